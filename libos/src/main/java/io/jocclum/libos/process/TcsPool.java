package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The enclave's TCS pages as thread slots: every guest thread runs inside the enclave on one TCS,
 * so at most TCSMaxNum threads exist at once (Occlum's {@code max_num_of_threads}); one more is
 * EAGAIN, as clone(2) reports a thread limit.
 *
 * <p>The TCSs loaded with the enclave (TCSNum) are available at once. On an EDMM enclave the
 * remaining ones, up to TCSMaxNum, are added on demand when no free TCS is left, by the
 * {@link Grower} (the SGX SDK's dynamic thread creation: EAUG'd pages of the thread context
 * accepted, the TCS written, EMODT to PT_TCS, EACCEPT). A TCS is never removed: a freed one is
 * reused by the next thread, as the SDK keeps its thread contexts.
 *
 * <p>Locking: {@code this} guards the free list and the counters; the grower runs outside it (its
 * OCALLs take milliseconds of simulated time and other threads may release meanwhile).
 */
public final class TcsPool {

    /** Adds the thread context of TCS {@code index} to the enclave and returns the TCS's address. */
    @FunctionalInterface
    public interface Grower {
        long add(int index);
    }

    /** One TCS: its index (thread context number) and linear address. */
    public record Slot(int index, long address) {
    }

    private final int max;
    private final Grower grower;
    @GuardedBy("this")
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    /** Indexes of failed additions, retried first. */
    @GuardedBy("this")
    private final ArrayDeque<Integer> retry = new ArrayDeque<>();
    @GuardedBy("this")
    private int created;
    @GuardedBy("this")
    private int inUse;
    @GuardedBy("this")
    private int peak;
    @GuardedBy("this")
    private int added;

    /**
     * @param loaded  addresses of the TCSs loaded with the enclave, in index order
     * @param max     TCSMaxNum
     * @param grower  adds the others on demand, or null when the enclave cannot grow (non-EDMM)
     */
    public TcsPool(List<Long> loaded, int max, Grower grower) {
        if (loaded.isEmpty() || loaded.size() > max) {
            throw new IllegalArgumentException(loaded.size() + " loaded TCSs for a maximum of " + max);
        }
        for (int i = 0; i < loaded.size(); i++) {
            free.add(new Slot(i, loaded.get(i)));
        }
        this.created = loaded.size();
        this.max = grower == null ? loaded.size() : max;
        this.grower = grower;
    }

    /** A free TCS, adding one on EDMM when none is free; EAGAIN when all {@link #max()} are in use. */
    public Slot acquire() {
        int index;
        synchronized (this) {
            Slot s = free.pollFirst();
            if (s != null) {
                take();
                return s;
            }
            if (!retry.isEmpty()) {
                index = retry.pollFirst();
            } else if (created < max) {
                index = created++;
            } else {
                throw Errno.EAGAIN.exception("all " + max + " TCSs are in use (max_num_of_threads)");
            }
            take();
        }
        try {
            long address = grower.add(index);
            synchronized (this) {
                added++;
            }
            return new Slot(index, address);
        } catch (RuntimeException e) {
            synchronized (this) {
                inUse--;
                retry.addFirst(index);
            }
            throw e;
        }
    }

    private void take() {
        inUse++;
        peak = Math.max(peak, inUse);
    }

    /** Gives a TCS back for reuse. */
    public synchronized void release(Slot s) {
        inUse--;
        free.addFirst(s);
    }

    /** TCSMaxNum (or the loaded count when the enclave cannot grow). */
    public int max() {
        return max;
    }

    public synchronized int inUse() {
        return inUse;
    }

    /** Most TCSs in use at once. */
    public synchronized int peak() {
        return peak;
    }

    /** TCSs added on demand (EDMM) so far. */
    public synchronized int added() {
        return added;
    }

    /** Free slots, for the invariant check. */
    public synchronized List<Slot> freeSlots() {
        return new ArrayList<>(free);
    }

    /** Checks the counters: IllegalStateException when inconsistent. */
    public synchronized void checkInvariants(boolean quiescent) {
        if (inUse < 0 || free.size() + inUse + retry.size() != created || created > Math.max(max, free.size())) {
            throw new IllegalStateException("TCS pool: " + inUse + " in use, " + free.size() + " free, " + retry.size()
                    + " to retry, " + created + " created of " + max);
        }
        if (quiescent && inUse != 0) {
            throw new IllegalStateException("TCS pool: " + inUse + " TCSs still in use while no thread runs");
        }
    }
}
