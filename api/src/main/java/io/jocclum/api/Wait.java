package io.jocclum.api;

/**
 * {@code wait4(2)} options and the wait status macros of {@code <sys/wait.h>}, with the Linux
 * encoding of the status word (include/uapi/linux/wait.h, glibc bits/waitstatus.h): a normal exit
 * with code {@code c} is {@code (c & 0xff) << 8}; death by signal {@code s} is {@code s & 0x7f}
 * ({@code | 0x80} when a core was dumped, which jocclum never does, as with RLIMIT_CORE = 0).
 */
public final class Wait {
    private Wait() {
    }

    /** Return at once if no child has changed state (the call then returns pid 0). */
    public static final int WNOHANG = 0x00000001;
    /** Also report stopped children (accepted; job control is not modelled, so none ever stops). */
    public static final int WUNTRACED = 0x00000002;
    /** Same value as {@link #WUNTRACED}. */
    public static final int WSTOPPED = WUNTRACED;
    /** waitid only: wait for children that exited. */
    public static final int WEXITED = 0x00000004;
    /** Also report continued children (accepted; none ever continues). */
    public static final int WCONTINUED = 0x00000008;
    /** waitid only: leave the child waitable. */
    public static final int WNOWAIT = 0x01000000;
    /** Do not wait for children of other threads of the process (accepted). */
    public static final int __WNOTHREAD = 0x20000000;
    /** Wait for all children regardless of their exit signal (accepted). */
    public static final int __WALL = 0x40000000;
    /** Wait for "clone" children only (accepted). */
    public static final int __WCLONE = 0x80000000;

    /** The status of a process that exited with {@code code}. */
    public static int exited(int code) {
        return (code & 0xff) << 8;
    }

    /** The status of a process killed by signal {@code sig}. */
    public static int signaled(int sig) {
        return sig & 0x7f;
    }

    /** True if the child exited normally (exit, exit_group, or returning from main). */
    public static boolean WIFEXITED(int status) {
        return (status & 0x7f) == 0;
    }

    /** The exit code (low 8 bits of the value passed to exit) when {@link #WIFEXITED}. */
    public static int WEXITSTATUS(int status) {
        return (status >>> 8) & 0xff;
    }

    /** True if a signal killed the child. */
    public static boolean WIFSIGNALED(int status) {
        return ((byte) ((status & 0x7f) + 1) >> 1) > 0;
    }

    /** The signal that killed the child when {@link #WIFSIGNALED}. */
    public static int WTERMSIG(int status) {
        return status & 0x7f;
    }

    /** True if the child dumped core (never, in jocclum). */
    public static boolean WCOREDUMP(int status) {
        return (status & 0x80) != 0;
    }

    /** True if the child is stopped (never, in jocclum). */
    public static boolean WIFSTOPPED(int status) {
        return (status & 0xff) == 0x7f;
    }

    /** The stop signal when {@link #WIFSTOPPED}. */
    public static int WSTOPSIG(int status) {
        return WEXITSTATUS(status);
    }

    /** True if the child was continued (never, in jocclum). */
    public static boolean WIFCONTINUED(int status) {
        return status == 0xffff;
    }

    /** What a shell shows as {@code $?}: the exit code, or 128 + the signal number. */
    public static int shellStatus(int status) {
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    }

    /**
     * What {@link Syscalls#wait4(int, int)} returns: the pid of the child whose state was
     * collected (0 with {@link #WNOHANG} when none has changed) and its status word.
     */
    public record Result(int pid, int status) {
    }
}
