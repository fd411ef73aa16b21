package io.jocclum.libos.events;

import java.util.concurrent.locks.LockSupport;

/** {@link WaitClock#system()}: the only reader of the host clock in the event layer. */
final class SystemWaitClock implements WaitClock {
    static final SystemWaitClock INSTANCE = new SystemWaitClock();

    private SystemWaitClock() {
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void parkNanos(Object blocker, long nanos) {
        LockSupport.parkNanos(blocker, nanos);
    }
}
