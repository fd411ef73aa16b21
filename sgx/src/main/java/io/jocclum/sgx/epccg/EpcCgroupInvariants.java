package io.jocclum.sgx.epccg;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.Css;
import io.jocclum.sgx.cgroup.MiscCgroup;
import io.jocclum.sgx.cgroup.MiscResource;
import io.jocclum.sgx.epc.EpcGroup;
import io.jocclum.sgx.epc.EpcServices;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code sgx_epc} controller's invariants, checked when the platform is quiescent (no
 * allocation, free or reclaim in flight; background work run or idle). Together with the platform's
 * own checker (EPCM ↔ free lists ↔ LRU tracking ↔ enclave pages ↔ VA slots ↔ backing store) this
 * closes the loop from the EPCM to {@code misc.current}:
 *
 * <ul>
 *   <li>every allocated EPC page is charged to an {@link SgxCgroup} of this controller whose css is
 *       not released (the page holds a reference on it);</li>
 *   <li>every page on a cgroup's LRU is tracked, charged to that very cgroup and linked to that LRU;
 *       every tracked page is on its own cgroup's LRU; each LRU's size is its length;</li>
 *   <li>{@code misc.current} of every misc cgroup (online or dying) is 4096 × the pages charged in
 *       its subtree; the root's usage is at most the capacity, which is 4096 × the EPC pages;</li>
 *   <li>every linked misc css has its {@code sgx_cgroup} state, and each state's {@code next_cg}
 *       cursor is an unreleased css of its own subtree;</li>
 *   <li>no async work item is queued or running;</li>
 *   <li>lock hygiene: no lock of the controller (cursor locks, LRU locks, the work queue's lock) is
 *       held by any thread (checked first: taking a leaked lock would block or hide the leak);</li>
 *   <li>reference counts balance: every linked misc css holds exactly its base reference (while
 *       online), one per linked child and one per EPC page charged to it.</li>
 * </ul>
 */
public final class EpcCgroupInvariants {
    private static final MiscResource SGX_EPC = MiscResource.SGX_EPC;

    private EpcCgroupInvariants() {
    }

    static void check(SgxEpcCgroup ctl, EpcServices services, Consumer<String> problems) {
        if (heldLocks(ctl, problems)) {
            return;
        }
        Map<SgxCgroup, long[]> charged = new IdentityHashMap<>();
        long[] allocated = {0};
        services.forEachPage(p -> {
            if (p.isFree()) {
                return;
            }
            allocated[0]++;
            EpcGroup g = p.group();
            if (!(g instanceof SgxCgroup s)) {
                problems.accept(p + " is charged to " + g + ", not to an sgx_cgroup");
                return;
            }
            if (s.misc().isReleased()) {
                problems.accept(p + " is charged to released " + s.misc());
            }
            charged.computeIfAbsent(s, k -> new long[1])[0]++;
            if (p.isReclaimerTracked() && p.lruList() != s.lru()) {
                problems.accept(p + " is tracked but on " + p.lruList() + " instead of its cgroup's " + s.lru());
            }
        });

        MiscCgroup rootCss = ctl.root().misc();
        if (rootCss.priv(SGX_EPC) != ctl.root()) {
            problems.accept("the root misc cgroup's sgx_epc state is not the controller's root");
        }
        long capacity = rootCss.controller().capacity(SGX_EPC);
        if (capacity != services.capacityPages() * Pages.SIZE) {
            problems.accept("sgx_epc capacity " + capacity + " != 4096 x " + services.capacityPages() + " EPC pages");
        }
        if (Long.compareUnsigned(rootCss.usage(SGX_EPC), capacity) > 0) {
            problems.accept("root sgx_epc usage " + rootCss.usage(SGX_EPC) + " exceeds the capacity " + capacity);
        }
        Map<MiscCgroup, Long> subtree = new IdentityHashMap<>();
        subtreePages(rootCss, charged, subtree, problems);
        long rootPages = subtree.getOrDefault(rootCss, 0L);
        if (rootPages != allocated[0]) {
            problems.accept(allocated[0] + " EPC pages allocated but " + rootPages + " charged in the cgroup tree"
                    + " (pages charged to cgroups no longer linked?)");
        }
        for (Map.Entry<MiscCgroup, Long> e : subtree.entrySet()) {
            MiscCgroup m = e.getKey();
            long usage = m.usage(SGX_EPC);
            if (usage != e.getValue() * Pages.SIZE) {
                problems.accept(m + ": misc.current sgx_epc " + Long.toUnsignedString(usage) + " != 4096 x "
                        + e.getValue() + " pages charged in its subtree");
            }
        }
        if (ctl.workBusyCount() != 0) {
            problems.accept(ctl.workBusyCount() + " async reclaim work items queued or running while quiescent");
        }
    }

    /** Reports every lock of the controller some thread still holds; true if there is one. */
    private static boolean heldLocks(SgxEpcCgroup ctl, Consumer<String> problems) {
        boolean held = false;
        if (ctl.workqueue().isLocked()) {
            problems.accept("sgx_cg_wq: lock still held");
            held = true;
        }
        for (MiscCgroup m : ctl.root().misc().descendantsPre()) {
            SgxCgroup s = m.priv(SGX_EPC);
            if (s == null) {
                continue;
            }
            if (s.nextLock.isLocked()) {
                problems.accept(s + ": next_cg lock still held");
                held = true;
            }
            if (s.lru().isLocked()) {
                problems.accept(s.lru() + ": LRU lock still held");
                held = true;
            }
        }
        return held;
    }

    /** Pages charged in each css's subtree, and the per-css checks. Returns the subtree's pages. */
    private static long subtreePages(MiscCgroup m, Map<SgxCgroup, long[]> charged, Map<MiscCgroup, Long> out,
                                     Consumer<String> problems) {
        SgxCgroup s = m.priv(SGX_EPC);
        long own = 0;
        if (s == null) {
            problems.accept(m + " has no sgx_epc state");
        } else {
            if (s.misc() != m) {
                problems.accept(m + " holds the sgx_epc state of " + s.misc());
            }
            long[] c = charged.get(s);
            own = c == null ? 0 : c[0];
            checkLru(s, problems);
            MiscCgroup cursor = s.cursor();
            if (cursor.isReleased() || !isInSubtree(cursor, m)) {
                problems.accept(s + ": next_cg cursor " + cursor + " is not a live css of its subtree");
            }
        }
        long total = own;
        int children = 0;
        for (MiscCgroup d : childrenOf(m)) {
            total += subtreePages(d, charged, out, problems);
            children++;
        }
        long expected = (m.isOnline() ? 1 : 0) + children + own;
        if (m.refCount() != expected) {
            problems.accept(m + ": " + m.refCount() + " references but " + expected + " expected ("
                    + (m.isOnline() ? "base, " : "") + children + " children, " + own + " charged pages)");
        }
        out.put(m, total);
        return total;
    }

    private static Iterable<MiscCgroup> childrenOf(MiscCgroup m) {
        java.util.List<MiscCgroup> kids = new java.util.ArrayList<>();
        for (MiscCgroup d : m.descendantsPre()) {
            if (d.parent() == m) {
                kids.add(d);
            }
        }
        return kids;
    }

    private static boolean isInSubtree(MiscCgroup c, MiscCgroup root) {
        for (Css<MiscCgroup> x = c; x != null; x = x.parent()) {
            if (x == root) {
                return true;
            }
        }
        return false;
    }

    private static void checkLru(SgxCgroup s, Consumer<String> problems) {
        int[] n = {0};
        s.lru().forEach(p -> {
            n[0]++;
            if (p.group() != s) {
                problems.accept(p + " is on " + s.lru() + " but charged to " + p.group());
            }
            if (!p.isReclaimerTracked() || p.lruList() != s.lru()) {
                problems.accept(p + " is on " + s.lru() + " without being tracked there");
            }
        });
        if (n[0] != s.lru().size()) {
            problems.accept(s.lru() + " says " + s.lru().size() + " pages but links " + n[0]);
        }
    }
}
