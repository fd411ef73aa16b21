package io.jocclum.libos.events;

import io.jocclum.api.Poll;

/**
 * Readiness as an {@code int} bit set with the Linux {@code POLL*}/{@code EPOLL*} values
 * (include/uapi/asm-generic/poll.h). Unlike Occlum's {@code IoEvents}, which drops
 * RDNORM/RDBAND/WRNORM/WRBAND, every bit a guest can ask for is represented.
 */
public final class IoEvents {
    private IoEvents() {
    }

    public static final int IN = Poll.POLLIN;
    public static final int PRI = Poll.POLLPRI;
    public static final int OUT = Poll.POLLOUT;
    public static final int ERR = Poll.POLLERR;
    public static final int HUP = Poll.POLLHUP;
    public static final int NVAL = Poll.POLLNVAL;
    public static final int RDNORM = Poll.POLLRDNORM;
    public static final int RDBAND = Poll.POLLRDBAND;
    public static final int WRNORM = Poll.POLLWRNORM;
    public static final int WRBAND = Poll.POLLWRBAND;
    public static final int MSG = Poll.POLLMSG;
    public static final int RDHUP = Poll.POLLRDHUP;

    /** Bits that are always reported whether requested or not (poll(2), epoll_ctl(2)). */
    public static final int ALWAYS = ERR | HUP;
    /** Readable data: {@code IN | RDNORM}. */
    public static final int READABLE = IN | RDNORM;
    /** Writable: {@code OUT | WRNORM}. */
    public static final int WRITABLE = OUT | WRNORM;
    /**
     * What a file without a poll method reports ({@code DEFAULT_POLLMASK},
     * include/linux/poll.h): always readable and writable.
     */
    public static final int DEFAULT_POLLMASK = IN | OUT | RDNORM | WRNORM;
    /** All event bits (not flags such as EPOLLET). */
    public static final int ALL = IN | PRI | OUT | ERR | HUP | NVAL | RDNORM | RDBAND | WRNORM | WRBAND | MSG | RDHUP;

    /** Readable for select(2): {@code POLLIN_SET} of fs/select.c. */
    public static final int SELECT_READ = RDNORM | RDBAND | IN | HUP | ERR;
    /** Writable for select(2): {@code POLLOUT_SET}. */
    public static final int SELECT_WRITE = WRBAND | WRNORM | OUT | ERR;
    /** Exceptional for select(2): {@code POLLEX_SET}. */
    public static final int SELECT_EXCEPT = PRI;

    /** A readable rendering such as {@code IN|RDNORM}, for messages and tests. */
    public static String toString(int events) {
        if (events == 0) {
            return "0";
        }
        StringBuilder b = new StringBuilder();
        String[] names = {"IN", "PRI", "OUT", "ERR", "HUP", "NVAL", "RDNORM", "RDBAND", "WRNORM", "WRBAND", "MSG"};
        for (int i = 0; i < names.length; i++) {
            if ((events & (1 << i)) != 0) {
                b.append(b.isEmpty() ? "" : "|").append(names[i]);
            }
        }
        if ((events & RDHUP) != 0) {
            b.append(b.isEmpty() ? "" : "|").append("RDHUP");
        }
        int rest = events & ~ALL;
        if (rest != 0) {
            b.append(b.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
        return b.toString();
    }
}
