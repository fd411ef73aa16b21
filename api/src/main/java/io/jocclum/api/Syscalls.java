package io.jocclum.api;

import java.util.List;

/**
 * The system-call interface of a jocclum guest program: Linux's system calls, with Linux's
 * semantics, argument checks and errno values, called on one guest thread. Every failure is an
 * {@link ErrnoException} carrying the Linux {@link Errno} (the call then had no effect unless its
 * description says otherwise). Constants have their Linux x86_64 values: {@link Mman},
 * {@link OpenFlags}, {@link Fcntl}, {@link Seek}, {@link Ioctls}, {@link Epoll}, {@link Poll},
 * {@link EventFd}, {@link Socket}, {@link Signal}, {@link Wait}, {@link Clocks}.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li><b>Guest memory.</b> A guest program touches the memory of its process only through this
 *   interface: {@link #loadByte}, {@link #storeInt}, {@link #loadBytes}, {@link #storeBytes}, ...
 *   An access the mapping does not allow (a store to read-only memory, an unmapped address) kills
 *   the process with SIGSEGV, as the hardware would; memory the platform cannot provide (no EPC
 *   left and nothing reclaimable) kills it with SIGBUS. These accesses do not return errors.</li>
 *   <li><b>Data buffers are guest addresses</b> ({@code long}), as in C: {@code read(fd, buf,
 *   count)} reads into guest memory at {@code buf}. A buffer the call cannot access is
 *   {@link Errno#EFAULT} (the call does not kill the process), as Linux's copy_to_user and
 *   copy_from_user report it. Arrays of structures in guest memory ({@code struct epoll_event},
 *   {@code struct pollfd}, {@code fd_set}) use the packed x86_64 layouts described at each call.</li>
 *   <li><b>Paths are Java strings</b> (UTF-8, no NUL), resolved by the LibOS file system relative
 *   to the working directory. A string containing NUL is {@link Errno#EINVAL}.</li>
 *   <li><b>Small results are Java values</b>: a descriptor pair ({@code int[]}), {@link Stat},
 *   {@link SockAddrIn}, {@link Wait.Result}, {@link SigAction}; socket addresses are passed as
 *   {@link SockAddrIn}.</li>
 *   <li><b>Signals.</b> Handlers ({@link SigAction}) run at system-call boundaries of a thread that
 *   does not block the signal: when a call returns, or when a blocking call is interrupted. A
 *   blocking call interrupted by a handler fails with {@link Errno#EINTR}, or is restarted when the
 *   handler has {@link Signal#SA_RESTART} and the call is restartable (signal(7)). A signal whose
 *   action kills the process (SIGKILL, or the default action of SIGTERM and friends) stops each of
 *   its threads at its next system call, guest-memory access or blocking wait; a thread computing
 *   without doing either cannot be stopped until it does.</li>
 *   <li><b>Threads.</b> Each thread has its own {@code Syscalls}; never use one from another
 *   thread. Methods that "do not return" end the calling thread by throwing an unchecked
 *   {@link Error} that a program must not catch (catching {@code Throwable} and continuing only
 *   delays the end: every later call throws it again).</li>
 * </ul>
 */
public interface Syscalls {

    // =============================================================================== memory

    /**
     * {@code mmap(2)}: maps {@code length} bytes. {@code fd} is ignored with
     * {@link Mman#MAP_ANONYMOUS} (pass -1); otherwise the mapping shows the file from
     * {@code offset} (a multiple of the page size). Errors: EINVAL (length 0, bad flags or
     * alignment), EBADF, EACCES (file not readable, or {@code MAP_SHARED|PROT_WRITE} on a file not
     * open for writing), ENODEV (file cannot be mapped), ENOMEM, EEXIST
     * ({@link Mman#MAP_FIXED_NOREPLACE} over a mapping), EPERM (MAP_FIXED below mmap_min_addr),
     * EOVERFLOW.
     *
     * @return the address of the mapping
     */
    long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    /** {@code munmap(2)}: unmaps the pages of [addr, addr+length); unmapped parts are fine. EINVAL for length 0 or an unaligned addr. */
    void munmap(long addr, long length);

    /** {@code mprotect(2)}: changes the protection of mapped pages. ENOMEM if part of the range is unmapped (nothing changes), EINVAL, EACCES. */
    void mprotect(long addr, long length, int prot);

    /**
     * {@code mremap(2)}: grows, shrinks or moves a mapping ({@link Mman#MREMAP_MAYMOVE},
     * {@link Mman#MREMAP_FIXED}, {@link Mman#MREMAP_DONTUNMAP}; {@code newAddr} is used with FIXED).
     * ENOMEM when it cannot grow in place without MAYMOVE, EFAULT when the old range is not one
     * mapping, EINVAL.
     *
     * @return the (possibly new) address
     */
    long mremap(long oldAddr, long oldSize, long newSize, int flags, long newAddr);

    /**
     * {@code brk(2)}: moves the program break inside the heap the process was given
     * ({@code process.default_heap_size}); {@code brk(0)} returns the current break.
     *
     * @return the new break, or the unchanged one when the request cannot be met (never an error)
     */
    long brk(long addr);

    /** {@code msync(2)}: writes modified pages of shared file mappings back. EINVAL for bad flags or alignment, ENOMEM for unmapped parts, EBUSY. */
    void msync(long addr, long length, int flags);

    /** {@code madvise(2)}: MADV_DONTNEED zeroes private anonymous memory, MADV_WILLNEED commits it, ...; EINVAL for unknown advice, ENOMEM for unmapped parts. */
    void madvise(long addr, long length, int advice);

    // =========================================================================== guest memory

    /** Loads the byte at {@code addr} (SIGSEGV/SIGBUS as described in the class comment). */
    byte loadByte(long addr);

    /** Stores {@code value} at {@code addr}. */
    void storeByte(long addr, byte value);

    /** Loads the little-endian int at {@code addr} (any alignment; it may span two pages). */
    int loadInt(long addr);

    /** Stores {@code value} as a little-endian int at {@code addr}. */
    void storeInt(long addr, int value);

    /** Loads the little-endian long at {@code addr}. */
    long loadLong(long addr);

    /** Stores {@code value} as a little-endian long at {@code addr}. */
    void storeLong(long addr, long value);

    /** Copies {@code length} bytes of guest memory at {@code addr} into {@code dst[offset, offset+length)}. */
    void loadBytes(long addr, byte[] dst, int offset, int length);

    /** Copies {@code src[offset, offset+length)} into guest memory at {@code addr}. */
    void storeBytes(long addr, byte[] src, int offset, int length);

    /** Stores {@code length} copies of {@code value} at {@code addr} ({@code memset}). */
    void fillBytes(long addr, long length, byte value);

    // =============================================================================== processes

    /** {@code getpid(2)}: the process id. */
    int getpid();

    /** {@code getppid(2)}: the parent's pid (1 once the parent has exited: orphans go to init). */
    int getppid();

    /** {@code gettid(2)}: the thread id (equal to the pid for the main thread). */
    int gettid();

    /**
     * {@code posix_spawn(3)}: starts the program at {@code path} (a built-in under {@code /bin} or
     * a jar file of the image; see docs/guest-api.md) in a new child process. The child inherits
     * the working directory, the umask and every descriptor; then {@code actions} are applied in
     * order and the FD_CLOEXEC descriptors are closed. Errors are returned to the parent, as glibc's
     * posix_spawn does: ENOENT, EACCES, ENOEXEC (not a program), ENOMEM (no room for its memory),
     * EAGAIN (no free pid or TCS), and the errno of a failing action (EBADF, EMFILE, ...).
     *
     * @param argv the child's arguments (by convention {@code argv[0]} is the program name)
     * @param envp the child's environment ({@code NAME=value}); null gives it the caller's
     * @return the child's pid
     */
    int posixSpawn(String path, List<SpawnAction> actions, String[] argv, String[] envp);

    /**
     * {@code exit(2)} (SYS_exit): ends the calling thread; when it is the last thread of the
     * process, the process exits with {@code status}. Does not return.
     */
    void exit(int status);

    /** {@code exit_group(2)}: ends every thread of the process, which exits with {@code status} (what C's {@code exit} does). Does not return. */
    void exitGroup(int status);

    /**
     * {@code wait4(2)} without rusage: waits for a child to exit and reaps it. {@code pid} > 0: that
     * child; -1 or 0: any child (there is one process group); &lt; -1: any child of group
     * {@code -pid}. ECHILD when there is no such child (also when SIGCHLD is ignored and all
     * children are gone), EINVAL for unknown options, EINTR when a handler without SA_RESTART ran.
     *
     * @return the child's pid and status ({@link Wait#WIFEXITED} ...), or pid 0 with
     *         {@link Wait#WNOHANG} when no child has exited yet
     */
    Wait.Result wait4(int pid, int options);

    /**
     * {@code wait4(2)} writing the status word, as an int, to guest memory at {@code statusAddr}
     * (0: do not write it). EFAULT if it cannot be written (the child is reaped nevertheless, as on Linux).
     *
     * @return the child's pid, or 0 with WNOHANG
     */
    int wait4(int pid, long statusAddr, int options);

    /** {@code waitpid(3)}: {@link #wait4(int, int)}. */
    default Wait.Result waitpid(int pid, int options) {
        return wait4(pid, options);
    }

    /**
     * {@code kill(2)}: sends {@code sig} (0 only checks) to process {@code pid}; pid 0 or -1 (all
     * processes the caller may signal, init and itself excluded for -1) or {@code -pgid} address
     * the one process group. ESRCH when no process matches, EINVAL for a bad signal number.
     * SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU and SIGCONT are accepted but do nothing (no job control).
     */
    void kill(int pid, int sig);

    /**
     * {@code rt_sigaction(2)}: installs {@code act} for {@code sig} (null: only query) and
     * returns the previous action. EINVAL for a bad signal or an attempt to change SIGKILL or SIGSTOP.
     */
    SigAction sigaction(int sig, SigAction act);

    /**
     * {@code rt_sigprocmask(2)}: changes the calling thread's blocked set ({@link Signal#SIG_BLOCK},
     * {@link Signal#SIG_UNBLOCK}, {@link Signal#SIG_SETMASK}); SIGKILL and SIGSTOP are never
     * blocked. EINVAL for a bad {@code how}.
     *
     * @return the previous mask
     */
    long sigprocmask(int how, long set);

    /** {@code rt_sigpending(2)}: the signals pending for the thread or its process that are blocked. */
    long sigpending();

    /**
     * {@code clone(2)} with the flags of {@code pthread_create}: a new thread of this process,
     * running {@code body} on a virtual thread. Every guest thread occupies a TCS of the enclave:
     * EAGAIN when all {@code max_num_of_threads} are in use (on EDMM, TCSs beyond the initial
     * ones are added to the enclave on demand, as the SGX SDK does).
     *
     * @return the new thread's tid
     */
    int threadCreate(ThreadFunction body);

    /**
     * {@code pthread_join(3)}: waits for thread {@code tid} of this process to end and returns
     * its value (what its body returned, or the status it passed to {@link #exit}). ESRCH when
     * there is no such thread, EDEADLK when it is the caller, EINVAL when it was already joined.
     * Signals run their handlers and the wait goes on (it never fails with EINTR).
     */
    long threadJoin(int tid);

    /** {@code sched_yield(2)}. */
    void schedYield();

    /**
     * {@code clock_gettime(2)} in nanoseconds: {@link Clocks#CLOCK_REALTIME} (since the epoch),
     * {@link Clocks#CLOCK_MONOTONIC} (the LibOS clock all timeouts use); the CPU-time clocks give
     * the simulated time charged to the enclave. EINVAL for an unknown clock.
     */
    long clockGettime(int clockId);

    /**
     * {@code nanosleep(2)}: sleeps {@code nanos} on the LibOS clock. EINTR when a handler ran
     * (never restarted), EINVAL for a negative duration.
     */
    void nanosleep(long nanos);

    // =============================================================================== files

    /** {@code open(2)}: returns the new descriptor. Errnos in Linux's order: ENOENT, ENOTDIR, EISDIR, EEXIST, ELOOP, EROFS, EACCES, EMFILE, ENAMETOOLONG, EINVAL. */
    int open(String path, int flags, int mode);

    /** {@code openat(2)}: {@code path} relative to directory {@code dirfd} ({@link OpenFlags#AT_FDCWD}: the working directory). */
    int openat(int dirfd, String path, int flags, int mode);

    /** {@code close(2)}. EBADF. */
    void close(int fd);

    /** {@code read(2)} into guest memory: returns the count, 0 at end of file. EBADF, EFAULT, EISDIR, EAGAIN (non-blocking), EINTR. */
    long read(int fd, long buf, long count);

    /** {@code write(2)} from guest memory: returns the count. EBADF, EFAULT, EPIPE (after SIGPIPE), ENOSPC, EAGAIN, EINTR. */
    long write(int fd, long buf, long count);

    /** {@code pread64(2)}: reads at {@code offset} without moving the file position. ESPIPE on streams, EINVAL for a negative offset. */
    long pread(int fd, long buf, long count, long offset);

    /** {@code pwrite64(2)}: writes at {@code offset} without moving the file position (appends with O_APPEND, as Linux). */
    long pwrite(int fd, long buf, long count, long offset);

    /** {@code lseek(2)}: {@link Seek#SEEK_SET}, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE; returns the new position. ESPIPE, EINVAL. */
    long lseek(int fd, long offset, int whence);

    /** {@code fstat(2)}. */
    Stat fstat(int fd);

    /** {@code stat(2)} (follows symbolic links). */
    Stat stat(String path);

    /** {@code lstat(2)} (does not follow a final symbolic link). */
    Stat lstat(String path);

    /** {@code ftruncate(2)}: EINVAL unless a regular file open for writing (or a negative length), EBADF. */
    void ftruncate(int fd, long length);

    /** {@code fsync(2)}: also writes back this process's shared mappings of the file. */
    void fsync(int fd);

    /** {@code unlink(2)}: EISDIR for a directory, ENOENT, EROFS, EBUSY. */
    void unlink(String path);

    /** {@code mkdir(2)}: EEXIST, ENOENT, EROFS, EACCES. */
    void mkdir(String path, int mode);

    /** {@code rmdir(2)}: ENOTDIR, ENOTEMPTY, EBUSY, EINVAL. */
    void rmdir(String path);

    /** {@code chdir(2)}. */
    void chdir(String path);

    /** {@code getcwd(2)}: the working directory. */
    String getcwd();

    /** {@code dup(2)}: the lowest free descriptor. */
    int dup(int fd);

    /** {@code dup2(2)}. */
    int dup2(int oldFd, int newFd);

    /** {@code dup3(2)}: flags 0 or {@link OpenFlags#O_CLOEXEC}; EINVAL when the descriptors are equal. */
    int dup3(int oldFd, int newFd, int flags);

    /** {@code fcntl(2)}: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETPIPE_SZ, F_SETPIPE_SZ ({@link Fcntl}). */
    long fcntl(int fd, int cmd, long arg);

    /**
     * {@code ioctl(2)}: {@code argAddr} is the guest address of the argument (0 for none):
     * FIONREAD stores an int there, FIONBIO reads one, FIOCLEX and FIONCLEX take none
     * ({@link Ioctls}). ENOTTY for commands the file does not know, EFAULT.
     */
    int ioctl(int fd, int cmd, long argAddr);

    /**
     * {@code getdents64(2)}: fills guest memory at {@code buf} (at most {@code count} bytes) with
     * packed {@code struct linux_dirent64} records (d_ino u64, d_off s64, d_reclen u16, d_type u8,
     * name NUL-terminated, each record 8-aligned). Returns the bytes written, 0 at the end. ENOTDIR,
     * EINVAL when the buffer is too small for the next record.
     */
    long getdents64(int fd, long buf, long count);

    /** {@code pipe2(2)}: returns {read end, write end}. Flags O_CLOEXEC, O_NONBLOCK. EMFILE. */
    int[] pipe2(int flags);

    /** {@code pipe(2)}: {@code pipe2(0)}. */
    default int[] pipe() {
        return pipe2(0);
    }

    /** {@code eventfd2(2)}: flags {@link EventFd#EFD_CLOEXEC}, EFD_NONBLOCK, EFD_SEMAPHORE. */
    int eventfd(int initval, int flags);

    // =============================================================================== events

    /** {@code epoll_create1(2)}: flags 0 or {@link Epoll#EPOLL_CLOEXEC}. */
    int epollCreate1(int flags);

    /**
     * {@code epoll_ctl(2)}: {@link Epoll#EPOLL_CTL_ADD}, MOD (with {@code event}) and DEL
     * ({@code event} may be null). EBADF, EPERM (a file that cannot be polled, e.g. a regular
     * file), EINVAL, EEXIST, ENOENT, ELOOP, EFAULT (no event for ADD or MOD).
     */
    void epollCtl(int epfd, int op, int fd, EpollEvent event);

    /**
     * {@code epoll_wait(2)}: waits up to {@code timeoutMs} (-1: forever, 0: do not block) and
     * stores up to {@code maxevents} packed 12-byte {@code struct epoll_event}s (u32 events, u64
     * data, little-endian) at {@code events}. Returns their number (0 on timeout). EINVAL
     * (maxevents &lt;= 0, not an epoll), EBADF, EFAULT, EINTR (never restarted).
     */
    int epollWait(int epfd, long events, int maxevents, int timeoutMs);

    /** {@code epoll_pwait(2)}: {@link #epollWait} with {@code sigmask} installed as the thread's mask for the duration of the call. */
    int epollPwait(int epfd, long events, int maxevents, int timeoutMs, long sigmask);

    /**
     * {@code poll(2)} over {@code nfds} packed 8-byte {@code struct pollfd}s at {@code fds}
     * (i32 fd, i16 events, i16 revents; {@link Poll#POLLFD_SIZE}): stores each revents and
     * returns the number of entries with non-zero revents. EINVAL (nfds above RLIMIT_NOFILE),
     * EFAULT, EINTR.
     */
    int poll(long fds, int nfds, int timeoutMs);

    /**
     * {@code select(2)} over {@code fd_set}s in guest memory (null address 0 for an absent set):
     * bitmaps of {@code nfds} bits in little-endian 64-bit words, bit {@code fd % 64} of word
     * {@code fd / 64} ({@link FdSet}). On return each set holds the ready descriptors. Returns
     * their total count (0 on timeout). {@code timeoutMicros} -1 waits forever (a NULL timeval);
     * the remaining time is not written back. EBADF, EINVAL, EFAULT, EINTR.
     */
    int select(int nfds, long readfds, long writefds, long exceptfds, long timeoutMicros);

    // =============================================================================== sockets

    /**
     * {@code socket(2)}: AF_INET + SOCK_STREAM (a host TCP socket), or AF_UNIX + SOCK_STREAM,
     * SOCK_DGRAM or SOCK_SEQPACKET (a socket inside the LibOS; see {@link #bind(int, SockAddrUn)}),
     * each with SOCK_NONBLOCK and SOCK_CLOEXEC. EAFNOSUPPORT, ESOCKTNOSUPPORT, EPROTONOSUPPORT,
     * EINVAL (unknown type flags), EMFILE. listen, accept, send, recv, shutdown, setsockopt,
     * getsockopt, read, write, poll and epoll work on both kinds.
     */
    int socket(int domain, int type, int protocol);

    /** {@code bind(2)}: EADDRINUSE, EADDRNOTAVAIL (only the loopback interface exists), EINVAL, ENOTSOCK. */
    void bind(int fd, SockAddrIn addr);

    /** {@code listen(2)}. */
    void listen(int fd, int backlog);

    /** {@code accept(2)}: the connection's descriptor; its peer is {@link #getpeername}. EAGAIN, EINVAL, EINTR. */
    int accept(int fd);

    /** {@code accept4(2)}: flags SOCK_NONBLOCK, SOCK_CLOEXEC. */
    int accept4(int fd, int flags);

    /** {@code connect(2)}: ECONNREFUSED, EINPROGRESS (non-blocking), EALREADY, EISCONN, ENETUNREACH, EINTR. */
    void connect(int fd, SockAddrIn addr);

    /** {@code send(2)} from guest memory (MSG_DONTWAIT, MSG_NOSIGNAL): EPIPE (and SIGPIPE without MSG_NOSIGNAL), ECONNRESET, EAGAIN, ENOTCONN. */
    long send(int fd, long buf, long len, int flags);

    /** {@code recv(2)} into guest memory (MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL): 0 at end of stream. */
    long recv(int fd, long buf, long len, int flags);

    /** {@code sendto(2)}: on stream sockets {@code dest} is ignored (null allowed), as Linux TCP does. */
    long sendto(int fd, long buf, long len, int flags, SockAddrIn dest);

    /** {@code recvfrom(2)}: on stream sockets the same as {@link #recv} (the sender is the peer). */
    long recvfrom(int fd, long buf, long len, int flags);

    /** {@code shutdown(2)}: {@link Socket#SHUT_RD}, SHUT_WR, SHUT_RDWR. ENOTCONN (TCP only: an unconnected AF_UNIX socket is no error, as on Linux), EINVAL. */
    void shutdown(int fd, int how);

    /** {@code setsockopt(2)} with an int value: SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF, TCP_NODELAY; ENOPROTOOPT for others. */
    void setsockopt(int fd, int level, int name, int value);

    /** {@code getsockopt(2)} of an int option (also SO_TYPE, SO_ERROR, SO_ACCEPTCONN, SO_DOMAIN, SO_PROTOCOL). */
    int getsockopt(int fd, int level, int name);

    /** {@code getsockname(2)}. */
    SockAddrIn getsockname(int fd);

    /** {@code getpeername(2)}: ENOTCONN. */
    SockAddrIn getpeername(int fd);

    // =============================================================================== files (more)

    /**
     * {@code fdatasync(2)}: as {@link #fsync}. EBADF, EINVAL (a pipe, socket or other file that
     * cannot be synchronised).
     */
    void fdatasync(int fd);

    /**
     * {@code fallocate(2)}: allocates [offset, offset+len) of a regular file open for writing.
     * Mode 0 grows the file to offset+len when it is shorter; {@link Falloc#FALLOC_FL_KEEP_SIZE}
     * leaves the size alone. Errors in Linux's order: EBADF (no descriptor), EINVAL (offset &lt; 0,
     * len &lt;= 0, COLLAPSE_RANGE or INSERT_RANGE combined with other bits), EOPNOTSUPP (unknown
     * bits, PUNCH_HOLE without KEEP_SIZE, and every mode but 0 and KEEP_SIZE), EBADF (not open for
     * writing), ESPIPE (a pipe), EISDIR, ENODEV (not a regular file), EFBIG (offset+len overflows),
     * ENOSPC.
     */
    void fallocate(int fd, int mode, long offset, long len);

    // =============================================================================== identity and limits

    /** {@code getuid(2)}: 0; every process of the LibOS runs as root, as in Occlum. */
    int getuid();

    /** {@code geteuid(2)}: 0. */
    int geteuid();

    /** {@code getgid(2)}: 0. */
    int getgid();

    /** {@code getegid(2)}: 0. */
    int getegid();

    /**
     * {@code setuid(2)}: EINVAL for -1. Setting 0 succeeds; any other uid is refused with EPERM,
     * since the LibOS has only root (Linux would drop root's privileges for good).
     */
    void setuid(int uid);

    /** {@code setgid(2)}: as {@link #setuid} for the group id. */
    void setgid(int gid);

    /**
     * {@code getrlimit(2)} of resource {@code resource} ({@link Rlimit#RLIMIT_NOFILE}, ...):
     * EINVAL for an unknown resource. RLIMIT_NOFILE starts at 1024 (hard 4096), RLIMIT_STACK at
     * the configured stack size, RLIMIT_DATA at the heap size, RLIMIT_AS at the size of the user
     * space; the others unlimited (RLIMIT_CORE 0, RLIMIT_MEMLOCK 8 MiB).
     */
    Rlimit getrlimit(int resource);

    /**
     * {@code setrlimit(2)}: EFAULT (null limit), EINVAL (unknown resource, soft above hard),
     * EPERM (hard RLIMIT_NOFILE above nr_open, 1048576; raising a hard limit without
     * privilege). A lower RLIMIT_NOFILE makes new descriptors at or above it fail with EMFILE;
     * open ones stay. Children started later inherit the limits.
     */
    void setrlimit(int resource, Rlimit limit);

    /**
     * {@code prlimit64(2)}: the limit of process {@code pid} (0: the caller), set to
     * {@code newLimit} unless it is null. Returns the old limit. ESRCH (no such live process),
     * then the errors of {@link #setrlimit}.
     */
    Rlimit prlimit(int pid, int resource, Rlimit newLimit);

    // =============================================================================== AF_UNIX sockets

    /**
     * {@code socketpair(2)}: two connected AF_UNIX sockets of {@code type}
     * ({@link Socket#SOCK_STREAM}, SOCK_DGRAM, SOCK_SEQPACKET, with SOCK_NONBLOCK and
     * SOCK_CLOEXEC); protocol 0. EAFNOSUPPORT (another family), EOPNOTSUPP (AF_INET),
     * ESOCKTNOSUPPORT, EPROTONOSUPPORT, EINVAL (unknown type flags), EMFILE.
     */
    int[] socketpair(int domain, int type, int protocol);

    /**
     * {@code bind(2)} of an AF_UNIX socket (made by {@link #socket} with {@link Socket#AF_UNIX}):
     * a path name creates a socket file (EADDRINUSE when the path exists, ENOENT, EACCES, EROFS),
     * an abstract name is taken in the LibOS-wide abstract namespace (EADDRINUSE), an unnamed
     * address picks a free abstract name. EINVAL (already bound, name longer than 108 bytes),
     * EFAULT (null), ENOTSOCK, EAFNOSUPPORT (not an AF_UNIX socket).
     */
    void bind(int fd, SockAddrUn addr);

    /**
     * {@code connect(2)} of an AF_UNIX socket. Stream and seqpacket: connects to a listening
     * socket (ENOENT: no such path; ECONNREFUSED: not a socket, nobody bound, or not listening;
     * EACCES; EPROTOTYPE: another socket type; EISCONN; EINVAL when listening; EAGAIN when
     * non-blocking and the backlog is full, else it waits; EINTR). Datagram: sets the default
     * destination.
     */
    void connect(int fd, SockAddrUn addr);

    /**
     * {@code sendto(2)} of a datagram to {@code dest} (null: the connected peer, ENOTCONN without
     * one). EPERM when the destination is connected to another socket, EMSGSIZE, EAGAIN,
     * ECONNREFUSED (nobody bound there any more), plus connect's lookup errors. On stream sockets
     * an address is EISCONN (connected) or EOPNOTSUPP.
     */
    long sendto(int fd, long buf, long len, int flags, SockAddrUn dest);

    /**
     * {@code sendmsg(2)} with a {@code struct msghdr} at {@code msg} ({@link Socket#MSGHDR_SIZE}
     * bytes, offsets {@code Socket.MSGHDR_*}): the bytes of its iovecs, to {@code msg_name} (a
     * {@code sockaddr_un}, for datagrams) and, on AF_UNIX sockets, the descriptors of SOL_SOCKET
     * SCM_RIGHTS control messages, which the receiver gets as new descriptors of the same open
     * files. EBADF (a descriptor to pass is not open), EINVAL (a malformed control message, more
     * than {@link Socket#SCM_MAX_FD} descriptors, negative iov length), EFAULT, EMSGSIZE (more than
     * 1024 iovecs), and the errors of send and sendto. Returns the bytes sent.
     */
    long sendmsg(int fd, long msg, int flags);

    /**
     * {@code recvmsg(2)} into the {@code struct msghdr} at {@code msg}: fills its iovecs, writes
     * the sender's address to {@code msg_name} (datagrams; {@code msg_namelen} gets its length),
     * received descriptors as one SCM_RIGHTS control message (lowest free descriptors;
     * {@link Socket#MSG_CMSG_CLOEXEC} sets FD_CLOEXEC on them) with {@code msg_controllen} set to
     * the bytes used, and {@code msg_flags}: MSG_TRUNC when a datagram or seqpacket record did
     * not fit (the rest is discarded), MSG_CTRUNC when the control buffer (or RLIMIT_NOFILE) had
     * no room for every descriptor (those are closed). Flags MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL,
     * MSG_TRUNC, MSG_CMSG_CLOEXEC. Returns the bytes received, 0 at end of stream.
     */
    long recvmsg(int fd, long msg, int flags);

    /** {@code getsockname(2)} of an AF_UNIX socket: its bound address or unnamed. EAFNOSUPPORT for other sockets. */
    SockAddrUn getsocknameUnix(int fd);

    /** {@code getpeername(2)} of an AF_UNIX socket: the peer's address when it was connected. ENOTCONN, EAFNOSUPPORT. */
    SockAddrUn getpeernameUnix(int fd);

    /**
     * {@code getsockopt(fd, SOL_SOCKET, SO_PEERCRED)}: the process that connected (or listened,
     * seen from the connecting side, or made the pair) and its ids; pid 0, uid and gid -1 when
     * it never was connected, as Linux reports.
     */
    Ucred getpeercred(int fd);
}
