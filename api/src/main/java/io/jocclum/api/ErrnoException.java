package io.jocclum.api;

/**
 * A syscall failed with a Linux errno. Unchecked, so guest programs read like C that checks the
 * return value only where it cares. Carries no stack trace: an errno is an ordinary outcome.
 */
public final class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Errno errno;

    public ErrnoException(Errno errno, String detail) {
        super(detail == null ? errno.name() + " (" + errno.message() + ")"
                : errno.name() + " (" + errno.message() + "): " + detail, null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }

    /** The negative errno, as a raw Linux syscall returns it. */
    public int asReturnValue() {
        return -errno.number();
    }
}
