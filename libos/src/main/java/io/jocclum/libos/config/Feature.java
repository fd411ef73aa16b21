package io.jocclum.libos.config;

/**
 * The {@code feature} section; every key defaults to 0/false (Occlum's {@code #[serde(default)]}).
 *
 * @param amx            0 off, 1 on (required); 2, "on if the platform has it", is accepted too
 * @param pkru           same values as {@code amx}
 * @param ioUring        number of io_uring instances, 0 = off
 * @param enableEdmm     asks for the EDMM build path (see {@link BuildPath})
 * @param enablePosixShm POSIX shared memory in the LibOS VM
 */
public record Feature(int amx, int pkru, long ioUring, boolean enableEdmm, boolean enablePosixShm) {
    public static final Feature DEFAULTS = new Feature(0, 0, 0, false, false);
}
