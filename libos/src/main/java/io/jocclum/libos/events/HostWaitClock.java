package io.jocclum.libos.events;

import java.util.concurrent.atomic.LongAdder;

/**
 * The wait clock of an enclave: a guest thread that sleeps leaves the enclave to sleep on the
 * host, and waking a sleeping thread asks the host too, so each park and each unpark of a parked
 * thread costs an OCALL. This is what Occlum's waiters do ({@code src/libos/src/events/waiter}):
 * a thread that must block polls its host eventfd ({@code occlum_ocall_eventfd_poll}, with the
 * timeout), and a waker that finds it waiting writes to that eventfd (an {@code ocall::write});
 * a wake that finds the thread still running costs no OCALL, and neither here (see
 * {@link Waiter#wake}). Time and parking are the wrapped clock's.
 */
public final class HostWaitClock implements WaitClock {
    private final WaitClock host;
    private final Runnable ocall;
    private final LongAdder sleeps = new LongAdder();
    private final LongAdder wakeups = new LongAdder();

    /**
     * @param host  the clock that tells the time and parks
     * @param ocall charges one OCALL (no bytes) to the enclave
     */
    public HostWaitClock(WaitClock host, Runnable ocall) {
        this.host = host;
        this.ocall = ocall;
    }

    @Override
    public long nanoTime() {
        return host.nanoTime();
    }

    @Override
    public void parkNanos(Object blocker, long nanos) {
        sleeps.increment();
        ocall.run();
        host.parkNanos(blocker, nanos);
    }

    @Override
    public void park(Object blocker) {
        sleeps.increment();
        ocall.run();
        host.park(blocker);
    }

    @Override
    public void unpark(Thread thread) {
        wakeups.increment();
        ocall.run();
        host.unpark(thread);
    }

    /** Sleeps on the host so far (an OCALL each). */
    public long sleeps() {
        return sleeps.sum();
    }

    /** Wake-ups of sleeping threads through the host so far (an OCALL each). */
    public long wakeups() {
        return wakeups.sum();
    }
}
