package io.jocclum.api;

/** {@code eventfd(2)} flags (include/uapi/linux/eventfd.h). */
public final class EventFd {
    private EventFd() {
    }

    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_CLOEXEC = OpenFlags.O_CLOEXEC;
    public static final int EFD_NONBLOCK = OpenFlags.O_NONBLOCK;
}
