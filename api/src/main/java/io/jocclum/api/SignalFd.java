package io.jocclum.api;

/** {@code signalfd(2)} flags and the {@code struct signalfd_siginfo} layout (include/uapi/linux/signalfd.h). */
public final class SignalFd {
    private SignalFd() {
    }

    public static final int SFD_NONBLOCK = OpenFlags.O_NONBLOCK;
    public static final int SFD_CLOEXEC = OpenFlags.O_CLOEXEC;
    /** {@code sizeof(struct signalfd_siginfo)}: each signal a read takes fills this many bytes. */
    public static final int SIGINFO_SIZE = 128;
    /** Offsets in {@code struct signalfd_siginfo} (u32/s32 fields; the rest of the 128 bytes is 0 here). */
    public static final int SSI_SIGNO = 0;
    public static final int SSI_ERRNO = 4;
    public static final int SSI_CODE = 8;
    public static final int SSI_PID = 12;
    public static final int SSI_UID = 16;
    /** {@code ssi_code} of a signal sent by kill(2). */
    public static final int SI_USER = 0;
    /** {@code ssi_code} of a signal the kernel raised (SIGPIPE, SIGCHLD here). */
    public static final int SI_KERNEL = 0x80;
    /** {@code ssi_code} of a signal sent by tkill(2) or tgkill(2). */
    public static final int SI_TKILL = -6;
}
