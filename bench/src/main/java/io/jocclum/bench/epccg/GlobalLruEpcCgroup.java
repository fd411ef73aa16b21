package io.jocclum.bench.epccg;

import io.jocclum.api.Errno;
import io.jocclum.sgx.cgroup.Cgroup;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.epc.EpcController;
import io.jocclum.sgx.epc.EpcGroup;
import io.jocclum.sgx.epc.EpcLru;
import io.jocclum.sgx.epc.EpcServices;
import io.jocclum.sgx.epc.Reclaim;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The benchmark's anchor: EPC pages grouped by cgroup but kept on one global LRU, so reclaiming for
 * one cgroup means scanning that LRU from its head for the cgroup's pages, under the LRU lock - the
 * design the v17 cover letter rejects ("unspeakably inefficient to scan a linked list with millions
 * of entries for what could be dozens of pages from a cgroup"). Same pages, same LRU structure, same
 * base reclaimer ({@link EpcServices#reclaimPages(EpcLru, Mm, java.util.function.Predicate)}); only
 * the LRU organisation differs. No limits are enforced: the benchmark only reclaims.
 */
final class GlobalLruEpcCgroup implements EpcController {
    /** A cgroup's pages, as the anchor groups them. */
    static final class Group implements EpcGroup {
        private final Cgroup cgroup;

        Group(Cgroup cgroup) {
            this.cgroup = cgroup;
        }

        @Override
        public String name() {
            return cgroup.path();
        }
    }

    private final EpcServices services;
    private final EpcLru global = new EpcLru("sgx_global_lru");
    private final ConcurrentHashMap<Cgroup, Group> groups = new ConcurrentHashMap<>();

    GlobalLruEpcCgroup(EpcServices services) {
        this.services = services;
    }

    /** One reclaim batch for {@code cg}: scan the global LRU for up to SGX_NR_TO_SCAN of its pages. */
    int reclaimCgroup(Cgroup cg, Mm chargeMm) {
        Group g = groups.get(cg);
        return services.reclaimPages(global, chargeMm, p -> p.group() == g);
    }

    EpcLru globalLru() {
        return global;
    }

    @Override
    public EpcGroup currentGroup(HostTask task) {
        return groups.computeIfAbsent(task.cgroup(), Group::new);
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
}
