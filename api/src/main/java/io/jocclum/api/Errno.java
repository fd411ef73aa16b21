package io.jocclum.api;

/**
 * Linux error numbers (x86_64, {@code include/uapi/asm-generic/errno-base.h} and {@code errno.h}),
 * with the messages of glibc's {@code strerror}. Every guest-visible failure of the LibOS is one
 * of these. {@link #EWOULDBLOCK} is {@link #EAGAIN} as on Linux. {@code ERESTARTSYS} is
 * kernel-internal: it never reaches a guest.
 */
public enum Errno {
    /** 1: Operation not permitted. */
    EPERM(1, "Operation not permitted"),
    /** 2: No such file or directory. */
    ENOENT(2, "No such file or directory"),
    /** 3: No such process. */
    ESRCH(3, "No such process"),
    /** 4: Interrupted system call. */
    EINTR(4, "Interrupted system call"),
    /** 5: Input/output error. */
    EIO(5, "Input/output error"),
    /** 6: No such device or address. */
    ENXIO(6, "No such device or address"),
    /** 7: Argument list too long. */
    E2BIG(7, "Argument list too long"),
    /** 8: Exec format error. */
    ENOEXEC(8, "Exec format error"),
    /** 9: Bad file descriptor. */
    EBADF(9, "Bad file descriptor"),
    /** 10: No child processes. */
    ECHILD(10, "No child processes"),
    /** 11: Resource temporarily unavailable. */
    EAGAIN(11, "Resource temporarily unavailable"),
    /** 12: Cannot allocate memory. */
    ENOMEM(12, "Cannot allocate memory"),
    /** 13: Permission denied. */
    EACCES(13, "Permission denied"),
    /** 14: Bad address. */
    EFAULT(14, "Bad address"),
    /** 15: Block device required. */
    ENOTBLK(15, "Block device required"),
    /** 16: Device or resource busy. */
    EBUSY(16, "Device or resource busy"),
    /** 17: File exists. */
    EEXIST(17, "File exists"),
    /** 18: Invalid cross-device link. */
    EXDEV(18, "Invalid cross-device link"),
    /** 19: No such device. */
    ENODEV(19, "No such device"),
    /** 20: Not a directory. */
    ENOTDIR(20, "Not a directory"),
    /** 21: Is a directory. */
    EISDIR(21, "Is a directory"),
    /** 22: Invalid argument. */
    EINVAL(22, "Invalid argument"),
    /** 23: Too many open files in system. */
    ENFILE(23, "Too many open files in system"),
    /** 24: Too many open files. */
    EMFILE(24, "Too many open files"),
    /** 25: Inappropriate ioctl for device. */
    ENOTTY(25, "Inappropriate ioctl for device"),
    /** 26: Text file busy. */
    ETXTBSY(26, "Text file busy"),
    /** 27: File too large. */
    EFBIG(27, "File too large"),
    /** 28: No space left on device. */
    ENOSPC(28, "No space left on device"),
    /** 29: Illegal seek. */
    ESPIPE(29, "Illegal seek"),
    /** 30: Read-only file system. */
    EROFS(30, "Read-only file system"),
    /** 31: Too many links. */
    EMLINK(31, "Too many links"),
    /** 32: Broken pipe. */
    EPIPE(32, "Broken pipe"),
    /** 33: Numerical argument out of domain. */
    EDOM(33, "Numerical argument out of domain"),
    /** 34: Numerical result out of range. */
    ERANGE(34, "Numerical result out of range"),
    /** 35: Resource deadlock avoided. */
    EDEADLK(35, "Resource deadlock avoided"),
    /** 36: File name too long. */
    ENAMETOOLONG(36, "File name too long"),
    /** 37: No locks available. */
    ENOLCK(37, "No locks available"),
    /** 38: Function not implemented. */
    ENOSYS(38, "Function not implemented"),
    /** 39: Directory not empty. */
    ENOTEMPTY(39, "Directory not empty"),
    /** 40: Too many levels of symbolic links. */
    ELOOP(40, "Too many levels of symbolic links"),
    /** 42: No message of desired type. */
    ENOMSG(42, "No message of desired type"),
    /** 43: Identifier removed. */
    EIDRM(43, "Identifier removed"),
    /** 61: No data available. */
    ENODATA(61, "No data available"),
    /** 62: Timer expired. */
    ETIME(62, "Timer expired"),
    /** 75: Value too large for defined data type. */
    EOVERFLOW(75, "Value too large for defined data type"),
    /** 77: File descriptor in bad state. */
    EBADFD(77, "File descriptor in bad state"),
    /** 84: Invalid or incomplete multibyte or wide character. */
    EILSEQ(84, "Invalid or incomplete multibyte or wide character"),
    /** 85: Interrupted system call should be restarted. */
    ERESTART(85, "Interrupted system call should be restarted"),
    /** 88: Socket operation on non-socket. */
    ENOTSOCK(88, "Socket operation on non-socket"),
    /** 89: Destination address required. */
    EDESTADDRREQ(89, "Destination address required"),
    /** 90: Message too long. */
    EMSGSIZE(90, "Message too long"),
    /** 91: Protocol wrong type for socket. */
    EPROTOTYPE(91, "Protocol wrong type for socket"),
    /** 92: Protocol not available. */
    ENOPROTOOPT(92, "Protocol not available"),
    /** 93: Protocol not supported. */
    EPROTONOSUPPORT(93, "Protocol not supported"),
    /** 94: Socket type not supported. */
    ESOCKTNOSUPPORT(94, "Socket type not supported"),
    /** 95: Operation not supported. */
    EOPNOTSUPP(95, "Operation not supported"),
    /** 96: Protocol family not supported. */
    EPFNOSUPPORT(96, "Protocol family not supported"),
    /** 97: Address family not supported by protocol. */
    EAFNOSUPPORT(97, "Address family not supported by protocol"),
    /** 98: Address already in use. */
    EADDRINUSE(98, "Address already in use"),
    /** 99: Cannot assign requested address. */
    EADDRNOTAVAIL(99, "Cannot assign requested address"),
    /** 100: Network is down. */
    ENETDOWN(100, "Network is down"),
    /** 101: Network is unreachable. */
    ENETUNREACH(101, "Network is unreachable"),
    /** 102: Network dropped connection on reset. */
    ENETRESET(102, "Network dropped connection on reset"),
    /** 103: Software caused connection abort. */
    ECONNABORTED(103, "Software caused connection abort"),
    /** 104: Connection reset by peer. */
    ECONNRESET(104, "Connection reset by peer"),
    /** 105: No buffer space available. */
    ENOBUFS(105, "No buffer space available"),
    /** 106: Transport endpoint is already connected. */
    EISCONN(106, "Transport endpoint is already connected"),
    /** 107: Transport endpoint is not connected. */
    ENOTCONN(107, "Transport endpoint is not connected"),
    /** 108: Cannot send after transport endpoint shutdown. */
    ESHUTDOWN(108, "Cannot send after transport endpoint shutdown"),
    /** 110: Connection timed out. */
    ETIMEDOUT(110, "Connection timed out"),
    /** 111: Connection refused. */
    ECONNREFUSED(111, "Connection refused"),
    /** 112: Host is down. */
    EHOSTDOWN(112, "Host is down"),
    /** 113: No route to host. */
    EHOSTUNREACH(113, "No route to host"),
    /** 114: Operation already in progress. */
    EALREADY(114, "Operation already in progress"),
    /** 115: Operation now in progress. */
    EINPROGRESS(115, "Operation now in progress"),
    /** 125: Operation canceled. */
    ECANCELED(125, "Operation canceled"),
    /** 130: Owner died. */
    EOWNERDEAD(130, "Owner died"),
    /** 512: Restart the system call (kernel-internal). */
    ERESTARTSYS(512, "Restart the system call (kernel-internal)");

    /** Same number as EAGAIN on Linux. */
    public static final Errno EWOULDBLOCK = EAGAIN;
    /** Same number as EOPNOTSUPP on Linux. */
    public static final Errno ENOTSUP = EOPNOTSUPP;

    private static final Errno[] BY_NUMBER;

    static {
        int max = 0;
        for (Errno e : values()) {
            max = Math.max(max, e.number);
        }
        BY_NUMBER = new Errno[max + 1];
        for (Errno e : values()) {
            BY_NUMBER[e.number] = e;
        }
    }

    private final int number;
    private final String message;

    Errno(int number, String message) {
        this.number = number;
        this.message = message;
    }

    /** The Linux errno value. */
    public int number() {
        return number;
    }

    /** The strerror text. */
    public String message() {
        return message;
    }

    /** The errno with this number; {@code IllegalArgumentException} for an unknown one. */
    public static Errno of(int number) {
        if (number > 0 && number < BY_NUMBER.length && BY_NUMBER[number] != null) {
            return BY_NUMBER[number];
        }
        throw new IllegalArgumentException("unknown errno " + number);
    }

    /** An exception carrying this errno (no stack trace: errnos are ordinary results). */
    public ErrnoException exception() {
        return new ErrnoException(this, null);
    }

    /** An exception carrying this errno with a detail for logs and tests. */
    public ErrnoException exception(String detail) {
        return new ErrnoException(this, detail);
    }
}
