package io.jocclum.api;

/**
 * epoll constants (include/uapi/linux/eventpoll.h). The event bits share their values with the
 * {@link Poll} bits. On x86_64 {@code struct epoll_event} is packed: a 32-bit {@code events}
 * followed by a 64-bit {@code data}, {@link #EVENT_SIZE} = 12 bytes.
 */
public final class Epoll {
    private Epoll() {
    }

    public static final int EPOLL_CLOEXEC = OpenFlags.O_CLOEXEC;

    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;

    public static final int EPOLLIN = 0x001;
    public static final int EPOLLPRI = 0x002;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLNVAL = 0x020;
    public static final int EPOLLRDNORM = 0x040;
    public static final int EPOLLRDBAND = 0x080;
    public static final int EPOLLWRNORM = 0x100;
    public static final int EPOLLWRBAND = 0x200;
    public static final int EPOLLMSG = 0x400;
    public static final int EPOLLRDHUP = 0x2000;
    /** Since Linux 4.5. */
    public static final int EPOLLEXCLUSIVE = 1 << 28;
    public static final int EPOLLWAKEUP = 1 << 29;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;

    /** Size of the packed x86_64 {@code struct epoll_event}. */
    public static final int EVENT_SIZE = 12;
}
