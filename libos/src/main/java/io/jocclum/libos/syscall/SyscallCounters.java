package io.jocclum.libos.syscall;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many times each system call was made, and what the calls cost in simulated cycles. A LibOS
 * system call is a function call inside the enclave (Occlum's syscalls never leave it), priced at
 * {@link #DEFAULT_SYSCALL_CYCLES}; host I/O additionally costs an OCALL, which the platform
 * charges to the enclave's account. Thread-safe, contention-free (LongAdders).
 */
public final class SyscallCounters {
    /**
     * Cycles of one LibOS system call: dispatch and argument checks inside the enclave, no
     * enclave exit. Source: estimate (no published per-syscall figure for Occlum; an in-enclave
     * call is a few hundred cycles, well below the 8.5-9 kcycles of an ECALL/OCALL in spec §6).
     */
    public static final long DEFAULT_SYSCALL_CYCLES = 300;

    private final LongAdder[] counts = new LongAdder[Sysno.values().length];
    private final long cyclesPerCall;

    public SyscallCounters(long cyclesPerCall) {
        if (cyclesPerCall < 0) {
            throw new IllegalArgumentException("syscall cost must be >= 0 cycles, got " + cyclesPerCall);
        }
        this.cyclesPerCall = cyclesPerCall;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    public SyscallCounters() {
        this(DEFAULT_SYSCALL_CYCLES);
    }

    void increment(Sysno s) {
        counts[s.ordinal()].increment();
    }

    public long count(Sysno s) {
        return counts[s.ordinal()].sum();
    }

    /** Total system calls. */
    public long total() {
        long t = 0;
        for (LongAdder a : counts) {
            t += a.sum();
        }
        return t;
    }

    /** Simulated cycles of all calls made (excluding the OCALLs and leaves they caused). */
    public long cycles() {
        return total() * cyclesPerCall;
    }

    public long cyclesPerCall() {
        return cyclesPerCall;
    }

    /** The non-zero counts by Linux name. */
    public Map<Sysno, Long> snapshot() {
        Map<Sysno, Long> m = new EnumMap<>(Sysno.class);
        for (Sysno s : Sysno.values()) {
            long n = counts[s.ordinal()].sum();
            if (n != 0) {
                m.put(s, n);
            }
        }
        return m;
    }
}
