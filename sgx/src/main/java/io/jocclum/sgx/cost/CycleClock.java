package io.jocclum.sgx.cost;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The platform's simulated clock: the sum of all cycles charged on the platform (by every
 * {@link CostAccount}), converted with the CPU frequency. Thread-safe.
 *
 * <p>A charge does not advance a shared counter: the clock keeps the accounts made on it and sums
 * their cycles when it is read, so charging (every leaf, fault and call) updates one counter of its
 * own account, and the clock reads the same total as if every charge had advanced it.
 */
public final class CycleClock implements SimClock {
    private final CostModel model;
    private final List<CostAccount> accounts = new CopyOnWriteArrayList<>();

    public CycleClock(CostModel model) {
        this.model = model;
    }

    /** An account whose cycles this clock counts (every account made with it, for the platform's life). */
    void register(CostAccount account) {
        accounts.add(account);
    }

    /** Total cycles charged on the platform. */
    public long cycles() {
        long c = 0;
        for (CostAccount a : accounts) {
            c += a.cycles();
        }
        return c;
    }

    @Override
    public long nanos() {
        return model.nanos(cycles());
    }
}
