package io.jocclum.libos.signal;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.SigAction;
import io.jocclum.api.Signal;

/**
 * The signal dispositions of one process and its process-wide pending set (Linux
 * {@code sighand_struct} and {@code signal_struct.shared_pending}). Shared by the threads of the
 * process; a spawned child gets a fresh one with every action at SIG_DFL except the ignored ones
 * (posix_spawn keeps SIG_IGN, as execve does).
 *
 * <p>Locking: {@link #lock} guards {@link #actions} and the writes of {@link #sharedPending}
 * (read without it: it is volatile, and every change is followed by a waiter wake-up). The
 * thread states of the process take the same lock when they dequeue, so dequeueing and sending
 * never race.
 */
public final class Sighand {
    /** SIGKILL and SIGSTOP: their action cannot change and they cannot be blocked. */
    public static final long UNBLOCKABLE = Signal.bit(Signal.SIGKILL) | Signal.bit(Signal.SIGSTOP);

    /** Guards {@link #actions} and writes to {@link #sharedPending}. */
    final Object lock = new Object();
    /** Index = signal number (1..64). */
    @GuardedBy("lock")
    private final SigAction[] actions = new SigAction[Signal.NSIG + 1];
    /** Process-directed pending signals not yet taken by a thread; written under lock. */
    volatile long sharedPending;

    public Sighand() {
        java.util.Arrays.fill(actions, SigAction.DEFAULT);
    }

    /** The dispositions a spawned child starts with: SIG_IGN stays ignored, everything else is SIG_DFL. */
    public Sighand forSpawnedChild() {
        Sighand c = new Sighand();
        synchronized (lock) {
            for (int s = 1; s <= Signal.NSIG; s++) {
                if (actions[s].kind() == SigAction.Kind.IGNORE) {
                    c.actions[s] = SigAction.IGNORE;
                }
            }
        }
        return c;
    }

    /** Validates a signal number: EINVAL outside 1..64. */
    public static void checkSignal(int sig) {
        if (sig < 1 || sig > Signal.NSIG) {
            throw Errno.EINVAL.exception("signal " + sig + " is outside 1.." + Signal.NSIG);
        }
    }

    /** The action of {@code sig}. */
    public SigAction action(int sig) {
        checkSignal(sig);
        synchronized (lock) {
            return actions[sig];
        }
    }

    /**
     * {@code rt_sigaction}: installs {@code act} (null: query) and returns the old action. EINVAL
     * for SIGKILL and SIGSTOP. Setting SIG_IGN (or SIG_DFL of a default-ignored signal) discards
     * the signal from the shared pending set (POSIX; Linux {@code do_sigaction}); the threads'
     * own pending sets are flushed by {@code ThreadSignalState.dequeue} when they get there.
     */
    public SigAction set(int sig, SigAction act) {
        checkSignal(sig);
        synchronized (lock) {
            SigAction old = actions[sig];
            if (act != null) {
                if ((Signal.bit(sig) & UNBLOCKABLE) != 0) {
                    throw Errno.EINVAL.exception("the action of " + Signal.name(sig) + " cannot be changed");
                }
                actions[sig] = act;
                if (ignoredLocked(sig)) {
                    sharedPending &= ~Signal.bit(sig);
                }
            }
            return old;
        }
    }

    /** True when the current action of {@code sig} discards it (SIG_IGN, or SIG_DFL of an ignored/stop/cont signal). */
    public boolean ignored(int sig) {
        synchronized (lock) {
            return ignoredLocked(sig);
        }
    }

    boolean ignoredLocked(int sig) {
        SigAction a = actions[sig];
        return switch (a.kind()) {
            case IGNORE -> true;
            case DEFAULT -> !DefaultAction.of(sig).kills();
            case HANDLER -> false;
        };
    }

    /** True when the current action of {@code sig} kills the process (SIG_DFL of a TERM/CORE signal, or SIGKILL). */
    public boolean fatal(int sig) {
        synchronized (lock) {
            return fatalLocked(sig);
        }
    }

    boolean fatalLocked(int sig) {
        return sig == Signal.SIGKILL || actions[sig].kind() == SigAction.Kind.DEFAULT && DefaultAction.of(sig).kills();
    }

    /** What {@link #queue} did with a signal. */
    public enum Queued {
        /** Ignored and not blocked: dropped. */
        DISCARDED,
        /** Pending for the process; a thread will take it. */
        QUEUED,
        /** Pending, and its action kills the process now. */
        FATAL
    }

    /**
     * Queues a process-directed {@code sig} (Linux {@code prepare_signal} + {@code complete_signal}):
     * with a thread that accepts it, an ignored signal is dropped and a fatal one kills the
     * process; when every thread blocks it, it stays pending until one unblocks it.
     */
    public Queued queue(int sig, boolean someThreadAccepts) {
        synchronized (lock) {
            if (someThreadAccepts && ignoredLocked(sig)) {
                return Queued.DISCARDED;
            }
            sharedPending |= Signal.bit(sig);
            return someThreadAccepts && fatalLocked(sig) ? Queued.FATAL : Queued.QUEUED;
        }
    }

    /** Makes {@code sig} pending for the whole process (any thread that does not block it takes it). */
    public void addShared(int sig) {
        synchronized (lock) {
            sharedPending |= Signal.bit(sig);
        }
    }

    /** The process-wide pending set. */
    public long sharedPending() {
        return sharedPending;
    }

    /**
     * SIGCHLD is ignored explicitly or with SA_NOCLDWAIT: children are reaped at exit and never
     * become zombies (Linux {@code do_notify_parent}).
     */
    public boolean autoReapChildren() {
        synchronized (lock) {
            SigAction a = actions[Signal.SIGCHLD];
            return a.kind() == SigAction.Kind.IGNORE || (a.flags() & Signal.SA_NOCLDWAIT) != 0;
        }
    }
}
