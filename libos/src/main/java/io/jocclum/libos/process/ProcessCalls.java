package io.jocclum.libos.process;

import io.jocclum.api.Clocks;
import io.jocclum.api.Errno;
import io.jocclum.api.Rlimit;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.ThreadFunction;
import io.jocclum.api.Wait;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.PathCalls;
import io.jocclum.libos.fs.SpawnFileAction;
import io.jocclum.libos.vm.UserCopy;

import java.util.ArrayList;
import java.util.List;

/**
 * The process, thread and time system calls as a guest thread makes them (Linux
 * {@code kernel/sys.c}, {@code kernel/exit.c}, {@code kernel/time/}): argument checks in Linux's
 * order, then the {@link Kernel}. A blocking wait4 or thread join that a signal interrupts
 * throws ERESTARTSYS, which the syscall façade restarts or turns into EINTR; nanosleep fails with
 * EINTR and is never restarted (signal(7)).
 */
public final class ProcessCalls {
    private ProcessCalls() {
    }

    /** {@code getppid(2)}: a process whose parent is gone (pid 0) reports init's pid, 1. */
    public static int getppid(GuestThread t) {
        GuestProcess p = t.process();
        int pp = p.ppid();
        return pp == 0 && p.pid() != 1 ? 1 : pp;
    }

    /**
     * {@code posix_spawn(3)}: the program's path and each file action's path are checked first
     * (EFAULT for NULL, EINVAL for an embedded NUL); NULL argv is an empty one. Returns the pid.
     */
    public static int posixSpawn(GuestThread t, String path, List<SpawnAction> actions, String[] argv, String[] envp) {
        PathCalls.checkPath(path);
        List<SpawnFileAction> fa = new ArrayList<>();
        if (actions != null) {
            for (SpawnAction a : actions) {
                fa.add(switch (a) {
                    case SpawnAction.Close c -> new SpawnFileAction.Close(c.fd());
                    case SpawnAction.Dup2 d -> new SpawnFileAction.Dup2(d.fd(), d.newFd());
                    case SpawnAction.Open o -> {
                        PathCalls.checkPath(o.path());
                        yield new SpawnFileAction.Open(o.fd(), o.path(), o.flags(), o.mode());
                    }
                });
            }
        }
        String[] args = argv == null ? new String[0] : argv.clone();
        String[] env = envp == null ? null : envp.clone();
        return t.kernel().spawn(t, path, fa, args, env);
    }

    /** {@code wait4(2)} with the status stored at {@code statusAddr} in guest memory (0 = NULL) when a child was reaped. */
    public static int wait4(GuestThread t, UserCopy u, int pid, long statusAddr, int options) {
        Wait.Result r = t.kernel().wait4(t, pid, options);
        if (statusAddr != 0 && r.pid() != 0) {
            u.writeInt(statusAddr, r.status());
        }
        return r.pid();
    }

    /** A new thread of the caller's process running {@code body} (clone with CLONE_THREAD); EINVAL without a body. */
    public static int threadCreate(GuestThread t, ThreadFunction body) {
        if (body == null) {
            throw Errno.EINVAL.exception("no thread body");
        }
        return t.kernel().createThread(t, body);
    }

    /** {@code clock_gettime(2)} in nanoseconds: the realtime, monotonic and CPU-time clocks; EINVAL for others. */
    public static long clockGettime(Kernel k, int clockId) {
        return switch (clockId) {
            case Clocks.CLOCK_REALTIME, Clocks.CLOCK_REALTIME_COARSE -> {
                var i = k.wallClock().instant();
                yield i.getEpochSecond() * 1_000_000_000L + i.getNano();
            }
            case Clocks.CLOCK_MONOTONIC, Clocks.CLOCK_MONOTONIC_RAW, Clocks.CLOCK_MONOTONIC_COARSE, Clocks.CLOCK_BOOTTIME ->
                    k.clock().nanoTime();
            case Clocks.CLOCK_PROCESS_CPUTIME_ID, Clocks.CLOCK_THREAD_CPUTIME_ID -> k.cpuNanos();
            default -> throw Errno.EINVAL.exception("clock " + clockId);
        };
    }

    /** {@code nanosleep(2)} on the caller's clock: EINTR when a signal is to be delivered. */
    public static void nanosleep(Caller c, long nanos) {
        if (nanos < 0) {
            throw Errno.EINVAL.exception("negative duration " + nanos);
        }
        WaitClock clock = c.clock();
        Waiter w = c.waiter();
        long deadline = clock.deadlineAfter(nanos);
        for (;;) {
            w.reset();
            if (c.signals().interruptPending()) {
                throw Errno.EINTR.exception("nanosleep interrupted");
            }
            if (!w.await(clock, deadline)) {
                return;
            }
        }
    }

    // ================================================================ identity and limits

    /**
     * {@code setuid(2)} and {@code setgid(2)} (kernel/sys.c {@code __sys_setuid}): -1 is no id
     * (EINVAL). Every process is root, as in Occlum: setting 0 succeeds and changes nothing;
     * setting another id, which on Linux would drop root for good, is refused with EPERM (a
     * result the man page tells programs to check), so no program goes on believing it dropped
     * privileges it still has.
     */
    public static void setId(GuestThread t, int id, String what) {
        if (id == -1) {
            throw Errno.EINVAL.exception(what + " -1 is not a valid id");
        }
        var cred = t.process().credentials();
        int current = what.equals("uid") ? cred.uid() : cred.gid();
        if (id != current) {
            throw Errno.EPERM.exception(what + " " + Integer.toUnsignedString(id) + ": the LibOS runs every process as root ("
                    + what + " " + current + ") and cannot change it");
        }
    }

    /** {@code getrlimit(2)}: EINVAL for an unknown resource. */
    public static Rlimit getrlimit(GuestThread t, int resource) {
        return t.process().rlimits().get(resource);
    }

    /** {@code setrlimit(2)}: EFAULT for no limit, then {@link Rlimits#set}'s checks. */
    public static void setrlimit(GuestThread t, int resource, Rlimit limit) {
        if (limit == null) {
            throw Errno.EFAULT.exception("null rlimit");
        }
        t.process().rlimits().set(resource, limit, t.caller().credentials().privileged());
    }

    /**
     * {@code prlimit64(2)} in Linux's order: the target (pid 0: the caller; ESRCH when no live
     * process has that pid), then the resource (EINVAL) and the new limit's checks. Returns the
     * old limit; {@code newLimit} null only reads.
     */
    public static Rlimit prlimit(GuestThread t, int pid, int resource, Rlimit newLimit) {
        GuestProcess target = pid == 0 ? t.process() : t.kernel().process(pid);
        if (target == null || target.exited()) {
            throw Errno.ESRCH.exception("no process " + pid);
        }
        Rlimits r = target.rlimits();
        return newLimit == null ? r.get(resource) : r.set(resource, newLimit, t.caller().credentials().privileged());
    }
}
