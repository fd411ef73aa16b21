package io.jocclum.sgx.cost;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cost account of one enclave (or of the kernel, for work no enclave caused): event counters and
 * simulated cycles. Leaves, faults, AEX/ERESUME, ECALLs and OCALLs charge the account of the enclave
 * that caused them. Thread-safe and cheap under contention (LongAdders).
 *
 * <p>A charge updates two adders, the event's counter and the account's cycles (read often: a
 * scenario's clock per enclave); the platform clock is not a third: it sums its accounts' cycles
 * when it is read.
 *
 * <p>A run of charges by one thread can be deferred ({@link #deferCharges}, {@link #addDeferred}):
 * the thread's charges are counted in plain fields and added to the adders once per event at the
 * end, so a driver loop over many pages (every page charges a leaf or two) updates each adder once
 * per run rather than once per page. The totals are the same; only another thread reading the
 * account during the run sees the run's charges later (at its end), and the deferring thread's own
 * reads include them.
 */
public final class CostAccount {
    private static final VarHandle DEFERRING;

    static {
        try {
            DEFERRING = MethodHandles.lookup().findVarHandle(CostAccount.class, "deferring", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String name;
    private final CostModel model;
    private final LongAdder[] counts;
    private final LongAdder cycles = new LongAdder();
    private final long[] cyclesPerEvent;
    /** The thread whose charges are deferred now, or null; set and cleared only by that thread (see {@link #deferCharges}). */
    private volatile Thread deferring;
    /** The deferred charges per event, touched only by {@link #deferring}. */
    private final long[] deferred;

    public CostAccount(String name, CostModel model, CycleClock clock) {
        this.name = name;
        this.model = model;
        this.counts = new LongAdder[CostEvent.values().length];
        this.cyclesPerEvent = new long[counts.length];
        this.deferred = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
            cyclesPerEvent[i] = model.cycles(CostEvent.values()[i]);
        }
        if (clock != null) {
            clock.register(this);
        }
    }

    public String name() {
        return name;
    }

    public CostModel model() {
        return model;
    }

    public void charge(CostEvent e) {
        int i = e.ordinal();
        if (deferring == Thread.currentThread()) {
            deferred[i]++;
            return;
        }
        counts[i].increment();
        cycles.add(cyclesPerEvent[i]);
    }

    public void charge(CostEvent e, long times) {
        int i = e.ordinal();
        if (deferring == Thread.currentThread()) {
            deferred[i] += times;
            return;
        }
        counts[i].add(times);
        cycles.add(cyclesPerEvent[i] * times);
    }

    /**
     * Defers the current thread's charges to this account until {@link #addDeferred}: true if it
     * does so now (then call {@link #addDeferred} in a finally block), false if this thread defers
     * already (a nested run: its charges go with the outer run's) or another thread does (then the
     * charges go to the adders as usual).
     */
    public boolean deferCharges() {
        return deferring == null && DEFERRING.compareAndSet(this, null, Thread.currentThread());
    }

    /** Adds the charges deferred since {@link #deferCharges} (which returned true) and ends the deferral. */
    public void addDeferred() {
        if (deferring != Thread.currentThread()) {
            throw new IllegalStateException("charges to " + name + " are not deferred by " + Thread.currentThread());
        }
        for (int i = 0; i < deferred.length; i++) {
            long n = deferred[i];
            if (n != 0) {
                deferred[i] = 0;
                counts[i].add(n);
                cycles.add(cyclesPerEvent[i] * n);
            }
        }
        deferring = null;
    }

    /** Charges the copy of {@code bytes} across the enclave boundary (per KB, rounded up). */
    public void chargeCopy(long bytes) {
        if (bytes > 0) {
            cycles.add((bytes + 1023) / 1024 * model.copyCyclesPerKb());
        }
    }

    public long count(CostEvent e) {
        long n = counts[e.ordinal()].sum();
        return deferring == Thread.currentThread() ? n + deferred[e.ordinal()] : n;
    }

    public long cycles() {
        long c = cycles.sum();
        if (deferring == Thread.currentThread()) {
            for (int i = 0; i < deferred.length; i++) {
                c += cyclesPerEvent[i] * deferred[i];
            }
        }
        return c;
    }

    public EnclaveStats snapshot() {
        Map<CostEvent, Long> m = new EnumMap<>(CostEvent.class);
        for (CostEvent e : CostEvent.values()) {
            m.put(e, count(e));
        }
        long c = cycles();
        return new EnclaveStats(name, m, c, model.nanos(c));
    }
}
