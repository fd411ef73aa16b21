package io.jocclum.api;

/** {@code poll(2)} event bits (include/uapi/asm-generic/poll.h). */
public final class Poll {
    private Poll() {
    }

    public static final int POLLIN = 0x001;
    public static final int POLLPRI = 0x002;
    public static final int POLLOUT = 0x004;
    public static final int POLLERR = 0x008;
    public static final int POLLHUP = 0x010;
    public static final int POLLNVAL = 0x020;
    public static final int POLLRDNORM = 0x040;
    public static final int POLLRDBAND = 0x080;
    public static final int POLLWRNORM = 0x100;
    public static final int POLLWRBAND = 0x200;
    public static final int POLLMSG = 0x400;
    public static final int POLLRDHUP = 0x2000;

    /**
     * Size of {@code struct pollfd} in guest memory: {@code int fd} at 0, {@code short events} at 4,
     * {@code short revents} at 6, little-endian.
     */
    public static final int POLLFD_SIZE = 8;
}
