package io.jocclum.libos.fs;

import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;

/**
 * The calling guest thread as the file layer sees it: its process's fd table and file-system
 * context, its credentials, its signal hook, its waiter (one per thread, reused by every blocking
 * call) and the clock timeouts are measured with. The process layer builds one per guest thread
 * and passes it to every syscall entry point of the file layer.
 */
public final class Caller {
    private final FdTable files;
    private final FsContext fs;
    private final Credentials credentials;
    private final ThreadSignals signals;
    private final Waiter waiter;
    private final WaitClock clock;

    public Caller(FdTable files, FsContext fs, Credentials credentials, ThreadSignals signals, Waiter waiter, WaitClock clock) {
        if (files == null || fs == null || credentials == null || signals == null || waiter == null || clock == null) {
            throw new IllegalArgumentException("every part of a Caller is required");
        }
        this.files = files;
        this.fs = fs;
        this.credentials = credentials;
        this.signals = signals;
        this.waiter = waiter;
        this.clock = clock;
    }

    /** A root caller with no signals, cwd "/", a fresh level waiter and the system clock. */
    public static Caller of(FdTable files) {
        return new Caller(files, FsContext.initial(), Credentials.ROOT, ThreadSignals.NONE, Waiter.level(), WaitClock.system());
    }

    /** Another thread of the same process (same fd table and fs context, own waiter). */
    public Caller newThread(ThreadSignals threadSignals) {
        return new Caller(files, fs, credentials, threadSignals, Waiter.level(), clock);
    }

    /** The same caller with other credentials. */
    public Caller withCredentials(Credentials c) {
        return new Caller(files, fs, c, signals, waiter, clock);
    }

    /** The same caller with another clock. */
    public Caller withClock(WaitClock c) {
        return new Caller(files, fs, credentials, signals, waiter, c);
    }

    public FdTable files() {
        return files;
    }

    public FsContext fs() {
        return fs;
    }

    public Credentials credentials() {
        return credentials;
    }

    public ThreadSignals signals() {
        return signals;
    }

    public Waiter waiter() {
        return waiter;
    }

    public WaitClock clock() {
        return clock;
    }
}
