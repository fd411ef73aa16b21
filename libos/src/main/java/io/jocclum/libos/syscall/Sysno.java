package io.jocclum.libos.syscall;

import java.util.Locale;

/**
 * The system calls of the guest API, named as Linux names them (for counters and stats), each
 * with what becomes of it when a signal interrupts it ({@link #restart()}).
 */
public enum Sysno {
    MMAP, MUNMAP, MPROTECT, MREMAP, BRK, MSYNC, MADVISE,
    GETPID, GETPPID, GETTID, POSIX_SPAWN, EXIT, EXIT_GROUP, WAIT4(Restart.SA_RESTART), KILL, RT_SIGACTION, RT_SIGPROCMASK,
    RT_SIGPENDING, CLONE, THREAD_JOIN(Restart.ALWAYS), SCHED_YIELD, CLOCK_GETTIME, NANOSLEEP,
    OPEN, OPENAT, CLOSE, READ(Restart.SA_RESTART), WRITE(Restart.SA_RESTART), PREAD64(Restart.SA_RESTART),
    PWRITE64(Restart.SA_RESTART), LSEEK, FSTAT, STAT, LSTAT, FTRUNCATE, FSYNC, UNLINK, MKDIR, RMDIR,
    CHDIR, GETCWD, DUP, DUP2, DUP3, FCNTL, IOCTL, GETDENTS64, PIPE2, EVENTFD2,
    EPOLL_CREATE1, EPOLL_CTL, EPOLL_WAIT, EPOLL_PWAIT, POLL, SELECT,
    SOCKET, BIND, LISTEN, ACCEPT(Restart.SA_RESTART), ACCEPT4(Restart.SA_RESTART), CONNECT, SENDTO(Restart.SA_RESTART),
    RECVFROM(Restart.SA_RESTART), SHUTDOWN, SETSOCKOPT, GETSOCKOPT, GETSOCKNAME, GETPEERNAME,
    FDATASYNC, FALLOCATE, GETUID, GETEUID, GETGID, GETEGID, SETUID, SETGID, GETRLIMIT, SETRLIMIT, PRLIMIT64,
    SOCKETPAIR, SENDMSG(Restart.SA_RESTART), RECVMSG(Restart.SA_RESTART);

    /**
     * What a call that a signal interrupted (the layers below throw ERESTARTSYS) becomes once the
     * signals are delivered (signal(7), "Interruption of system calls and library functions by
     * signal handlers").
     */
    public enum Restart {
        /** EINTR whatever the handlers' flags: epoll_wait, poll, select, nanosleep, connect, and every call not listed. */
        NEVER,
        /** Restarted when every handler that ran had SA_RESTART (or none ran), else EINTR: read, write, accept, send, recv, wait4. */
        SA_RESTART,
        /** Always restarted: a thread join (pthread_join never fails with EINTR). */
        ALWAYS
    }

    private final Restart restart;

    Sysno() {
        this(Restart.NEVER);
    }

    Sysno(Restart restart) {
        this.restart = restart;
    }

    /** The Linux name, e.g. "rt_sigaction". */
    public String linuxName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What becomes of the call when a signal interrupts it. */
    public Restart restart() {
        return restart;
    }
}
