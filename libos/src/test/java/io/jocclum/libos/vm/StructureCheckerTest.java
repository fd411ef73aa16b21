package io.jocclum.libos.vm;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The structural checkers of the VM's indexes ({@link FreeSpace#check}, {@link LongTreeMap#check},
 * {@link CommitTracker#check}, {@link AddressSpace#checkLocked}) report each kind of corruption,
 * with its exact message: every test corrupts one structure on purpose through its package-private
 * fields and asserts the report (and that the intact structure reports nothing).
 */
class StructureCheckerTest {
    private static final long P = 4096;

    /** Holes [0, 2P), [4P, 5P), [8P, 10P) (sizes 2P, P, 2P): two bins. */
    private static FreeSpace threeHoles() {
        FreeSpace f = new FreeSpace();
        f.free(0, 2 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(4 * P, 5 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        f.free(8 * P, 10 * P, Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(f.check("t")).isEmpty();
        return f;
    }

    private static FreeSpace.Hole live(FreeSpace f, long end) {
        FreeSpace.Hole h = f.byEnd.get(end);
        assertThat(h).isNotNull();
        return h;
    }

    @Test
    void freeSpaceReportsAMalformedHole() {
        FreeSpace f = threeHoles();
        live(f, 5 * P).start = 5 * P;
        assertThat(f.check("t")).contains("t: malformed Hole[0x5000-0x5000] under key 0x5000");
    }

    /** Moves the start of the hole ending at {@code end}, in the hole and in the address index alike. */
    private static FreeSpace.Hole restart(FreeSpace f, long end, long start) {
        FreeSpace.Hole h = live(f, end);
        h.start = start;
        f.byEnd.node(end).set(h, start);
        return h;
    }

    @Test
    void freeSpaceReportsAHoleOutsideTheBinOfItsSize() {
        FreeSpace f = threeHoles();
        restart(f, 10 * P, 9 * P); // now one page long, still in the 2-page bin
        assertThat(f.check("t")).containsExactly("t: Hole[0x9000-0xa000] is not in the bin of its size",
                "t: free byte count 20480 but holes sum to 16384");
    }

    @Test
    void freeSpaceReportsOverlappingHoles() {
        FreeSpace f = threeHoles();
        f.bySize.remove(P); // keep the bins out of it: drop the bin, then widen by hand
        FreeSpace.Hole h = restart(f, 5 * P, P);
        h.bin = null;
        assertThat(f.check("t")).contains("t: holes overlap Hole[0x0-0x2000] Hole[0x1000-0x5000]");
    }

    @Test
    void freeSpaceReportsAStartTheAddressIndexKeepsWrongly() {
        FreeSpace f = threeHoles();
        LongTreeMap.Node<FreeSpace.Hole> n = f.byEnd.node(5 * P);
        n.set(n.value(), 3 * P); // the hole still starts at 4P
        assertThat(f.check("t")).containsExactly("t: the address index keeps start 0x3000 for Hole[0x4000-0x5000]");
        // a lookup deciding on the wrong start would take a page that is not free
        assertThat(f.contains(3 * P, 5 * P)).isTrue();
        n.set(n.value(), 4 * P);
        assertThat(f.check("t")).isEmpty();
        assertThat(f.contains(3 * P, 5 * P)).isFalse();
    }

    @Test
    void freeSpaceReportsAStrayHoleInABin() {
        FreeSpace f = threeHoles();
        FreeSpace.Hole stray = new FreeSpace.Hole(20 * P, 21 * P);
        FreeSpace.Bin bin = f.bySize.get(P);
        bin.push(stray);
        assertThat(f.check("t")).containsExactly("t: bin 4096 holds a stray Hole[0x14000-0x15000]", "t: 3 holes but 4 in bins");
    }

    @Test
    void freeSpaceReportsAHoleWhoseBinEntryIsGone() {
        FreeSpace f = threeHoles();
        FreeSpace.Hole h = live(f, 5 * P);
        h.bin.stack[h.slot] = null;
        assertThat(f.check("t")).containsExactly("t: Hole[0x4000-0x5000] is not in the bin of its size", "t: bin 4096 counts 1 but links 0",
                "t: 3 holes but 2 in bins");
    }

    @Test
    void freeSpaceReportsABinCountThatDisagreesWithItsLinks() {
        FreeSpace f = threeHoles();
        f.bySize.get(2 * P).count++;
        assertThat(f.check("t")).containsExactly("t: bin 8192 counts 3 but links 2");
    }

    @Test
    void freeSpaceReportsAnEmptyBin() {
        FreeSpace f = threeHoles();
        f.bySize.put(7 * P, new FreeSpace.Bin(7 * P));
        assertThat(f.check("t")).containsExactly("t: bin 28672 counts 0 but links 0");
    }

    @Test
    void freeSpaceReportsAHoleMissingFromTheBins() {
        FreeSpace f = threeHoles();
        FreeSpace.Bin bin = f.bySize.get(P);
        bin.stack[0] = null;
        bin.top = 0;
        bin.count = 0;
        assertThat(f.check("t")).contains("t: 3 holes but 2 in bins", "t: bin 4096 counts 0 but links 0");
    }

    @Test
    void freeSpaceReportsABrokenAddressIndex() {
        FreeSpace f = threeHoles();
        f.byEnd.size++;
        assertThat(f.check("t")).contains("t: address index size 4 but 3 entries");
    }

    @Test
    void freeSpaceReportsAWrongFreeByteCount() {
        FreeSpace f = threeHoles();
        f.freeBytes += P;
        assertThat(f.check("t")).containsExactly("t: free byte count 24576 but holes sum to 20480");
    }

    /** 1000 keys 10, 20, ...: two inner levels. */
    private static LongTreeMap<String> tree() {
        LongTreeMap<String> m = new LongTreeMap<>();
        for (long k = 1; k <= 1000; k++) {
            m.put(k * 10, "v" + k);
        }
        assertThat(m.check()).isEmpty();
        assertThat(m.height).isEqualTo(2);
        assertThat(kid(m, m.root, 0)).as("an inner node under the root").isNotNegative();
        return m;
    }

    // the flat layout: leaf l at m.leaf[l * m.ls], inner node x at m.inner[x * IS], a leaf stored as a child as ~l

    private static int kid(LongTreeMap<String> m, int x, int i) {
        return (int) m.inner[LongTreeMap.kid(x * LongTreeMap.IS, i)];
    }

    private static int n(LongTreeMap<String> m, int l) {
        return (int) m.leaf[l * m.ls + LongTreeMap.L_N];
    }

    private static int next(LongTreeMap<String> m, int l) {
        return (int) m.leaf[l * m.ls + LongTreeMap.L_NEXT];
    }

    /** Slot of key i of leaf l. */
    private static int key(LongTreeMap<String> m, int l, int i) {
        return m.keySlot(l, i);
    }

    /** Entries under the children 1, 2, ... of inner node x of the lowest inner level. */
    private static int entriesRightOfFirst(LongTreeMap<String> m, int x) {
        int lost = 0;
        for (int i = 1; i < m.inner[x * LongTreeMap.IS + LongTreeMap.I_N]; i++) {
            lost += n(m, ~kid(m, x, i));
        }
        return lost;
    }

    @Test
    void treeReportsABrokenLeafChain() {
        LongTreeMap<String> m = tree();
        int l = m.firstLeafNumber();
        long skipped = m.leaf[key(m, next(m, l), 0)];
        m.leaf[l * m.ls + LongTreeMap.L_NEXT] = next(m, next(m, l));
        assertThat(m.check()).containsExactly("leaf chain broken before key " + skipped);
    }

    @Test
    void treeReportsAnOrderViolationInALeaf() {
        LongTreeMap<String> m = tree();
        int l = m.firstLeafNumber();
        long k = m.leaf[key(m, l, 1)];
        m.leaf[key(m, l, 1)] = m.leaf[key(m, l, 2)];
        m.leaf[key(m, l, 2)] = k;
        assertThat(m.check()).containsExactly("order violated at " + k);
    }

    @Test
    void treeReportsAKeyOutsideItsNodesRange() {
        LongTreeMap<String> m = tree();
        int l = m.firstLeafNumber();
        long k = m.leaf[key(m, next(m, l), 0)] + 1;
        m.leaf[key(m, l, n(m, l) - 1)] = k;
        assertThat(m.check()).containsExactly("order violated at " + k);
    }

    @Test
    void treeReportsSeparatorsOutOfOrder() {
        LongTreeMap<String> m = tree();
        m.inner[LongTreeMap.sep(m.root * LongTreeMap.IS, 0)] = Long.MIN_VALUE;
        assertThat(m.check()).contains("order violated at separator " + Long.MIN_VALUE);
    }

    @Test
    void treeReportsAnUnderfullLeaf() {
        LongTreeMap<String> m = tree();
        int l = m.firstLeafNumber();
        int cut = n(m, l) - 3;
        m.leaf[l * m.ls + LongTreeMap.L_N] = 3;
        m.size -= cut;
        assertThat(m.check()).containsExactly("leaf of 3 entries (allowed 8 to 32)");
    }

    @Test
    void treeReportsAnUnderfullInnerNode() {
        LongTreeMap<String> m = tree();
        int in = kid(m, m.root, 0);
        m.size -= entriesRightOfFirst(m, in);
        m.inner[in * LongTreeMap.IS + LongTreeMap.I_N] = 1;
        assertThat(m.check()).contains("inner node of 1 children (allowed 8 to 32)");
    }

    @Test
    void treeReportsLeavesAtDifferentDepths() {
        LongTreeMap<String> m = tree();
        int in = kid(m, m.root, 0);
        m.size -= entriesRightOfFirst(m, in);
        // the root's first child becomes the first leaf, linked to the first leaf under its second child
        int l = ~kid(m, in, 0);
        int after = ~kid(m, kid(m, m.root, 1), 0);
        m.leaf[l * m.ls + LongTreeMap.L_NEXT] = after;
        m.leaf[after * m.ls + LongTreeMap.L_PREV] = l;
        m.inner[LongTreeMap.kid(m.root * LongTreeMap.IS, 0)] = ~l;
        assertThat(m.check()).containsExactly("leaf at depth 1, the tree has 2 inner levels");
    }

    @Test
    void treeReportsAWrongSize() {
        LongTreeMap<String> m = tree();
        m.size--;
        assertThat(m.check()).containsExactly("size 999 but 1000 entries");
    }

    private static final long BASE = 1L << 40;

    /** Leaf 0 partial (3 pages), leaf 1 full. */
    private static CommitTracker tracker() {
        CommitTracker t = new CommitTracker(BASE, 16L << 20);
        t.commit(BASE, BASE + 3 * P, a -> { });
        t.commit(BASE + (4L << 20), BASE + (8L << 20), a -> { });
        assertThat(t.leaf(1)).isSameAs(CommitTracker.FULL);
        assertThat(t.check()).isEmpty();
        return t;
    }

    @Test
    void commitTrackerReportsALeafCountThatDisagreesWithItsBits() {
        CommitTracker t = tracker();
        t.leaf(0).count = 4;
        assertThat(t.check()).containsExactly("commit tracker leaf 0: count 4 but 3 bits set");
    }

    @Test
    void commitTrackerReportsAFullLeafNotCollapsed() {
        CommitTracker t = tracker();
        CommitTracker.Leaf l = new CommitTracker.Leaf();
        java.util.Arrays.fill(l.bits, -1L);
        l.count = CommitTracker.LEAF_PAGES;
        t.setLeaf(1, l);
        assertThat(t.check()).containsExactly("commit tracker leaf 1: 1024 pages set but not collapsed");
    }

    @Test
    void commitTrackerReportsAnEmptyLeafNotCollapsed() {
        CommitTracker t = tracker();
        t.setLeaf(2, new CommitTracker.Leaf());
        assertThat(t.check()).containsExactly("commit tracker leaf 2: 0 pages set but not collapsed");
    }

    @Test
    void commitTrackerReportsAWrongTotal() {
        CommitTracker t = tracker();
        t.committed.incrementAndGet();
        assertThat(t.check()).containsExactly("commit tracker: total 1028 but leaves hold 1027");
    }

    @Test
    void addressSpaceReportsHolesNotCoalesced() {
        UserSpaceLayout layout = new UserSpaceLayout(1L << 30, 1L << 20, 1L << 32, 1L << 20);
        AddressSpace as = new AddressSpace(layout, new LostPages());
        long a = layout.userRegionBase();
        as.lock.lock();
        try {
            assertThat(as.checkLocked()).isEmpty();
            FreeSpace user = as.free(UserMemoryKind.USER_REGION);
            assertThat(user.allocExact(a, a + 2 * P)).isTrue();
            user.free(a, a + P, a, a + P);           // bounds stop it from merging
            user.free(a + P, a + 2 * P, a + P, a + 2 * P);
            assertThat(user.check("u")).isEmpty();
            assertThat(as.checkLocked()).containsExactly(
                    "global free space: adjacent holes not coalesced Hole[0x100000000-0x100001000] Hole[0x100001000-0x100002000]",
                    "global free space: adjacent holes not coalesced Hole[0x100001000-0x100002000] Hole[0x100002000-0x100100000]");
            FreeSpace reserved = as.free(UserMemoryKind.RESERVED);
            reserved.freeBytes--;
            List<String> p = as.checkLocked();
            assertThat(p).contains("reserved free space: free byte count 1048575 but holes sum to 1048576");
        } finally {
            as.lock.unlock();
        }
    }
}
