package io.jocclum.sgx.epc;

import io.jocclum.api.Errno;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.Mm;

import java.util.function.Consumer;

/**
 * The no-op EPC controller: Linux without CONFIG_CGROUP_MISC (or before v17 patch 14). Every task is
 * in the root group, charges always succeed, and all reclaimable pages share one global LRU
 * ({@code sgx_global_lru}) that ksgxd and the allocation loop scan.
 */
public final class NoEpcCgroup implements EpcController {
    /** The single group. */
    private static final EpcGroup ROOT = () -> "/";

    private final EpcServices services;
    private final EpcLru global = new EpcLru("sgx_global_lru");

    public NoEpcCgroup(EpcServices services) {
        this.services = services;
    }

    public static Factory factory() {
        return NoEpcCgroup::new;
    }

    @Override
    public EpcGroup currentGroup(HostTask task) {
        return ROOT;
    }

    @Override
    public void putGroup(EpcGroup group) {
    }

    @Override
    public Errno tryCharge(EpcGroup group, Reclaim reclaim, HostTask task) {
        return null;
    }

    @Override
    public void uncharge(EpcGroup group) {
    }

    @Override
    public EpcLru lru(EpcGroup group) {
        return global;
    }

    @Override
    public boolean canReclaimGlobal() {
        return !global.isEmpty();
    }

    @Override
    public void reclaimGlobal(Mm chargeMm) {
        services.reclaimPages(global, chargeMm);
    }

    @Override
    public void reclaimDirect(HostTask task) {
    }

    @Override
    public boolean limitsGroups() {
        return false;
    }

    /** The global LRU. */
    public EpcLru globalLru() {
        return global;
    }

    @Override
    public void checkInvariants(Consumer<String> problems) {
        global.forEach(p -> {
            if (p.group() != ROOT) {
                problems.accept(p + " on the global LRU is charged to " + p.group());
            }
        });
    }
}
