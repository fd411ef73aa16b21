package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An ordered map from primitive {@code long} keys to values: a B+ tree with wide nodes. It
 * replaces {@code TreeMap<Long, V>} on the VM's two hottest indexes (a process's VMAs and a free
 * space's holes).
 *
 * <p>Design. A lookup among 100,000 entries of a binary tree follows about seventeen nodes, each
 * a separate object on its own cache line and, as the heap goes, often its own page; at random
 * places most of the lower levels miss every cache. Here a node holds up to {@value #LEAF_MAX}
 * keys in one {@code long[]} (inner nodes up to {@value #INNER_MAX} children), so the same lookup
 * visits four nodes and binary-searches a few adjacent cache lines in each; the upper levels are
 * few enough to stay cached. Linux keeps a process's VMAs in such a tree for the same reason (the
 * maple tree, {@code lib/maple_tree.c}, whose nodes hold 10 to 16 entries). Leaves are linked in
 * key order, so iteration is O(1) per step. Nodes are merged or rebalanced with a neighbour when
 * they fall below a quarter full, so a split and a merge never alternate on one insertion and one
 * removal. All operations are O(log n).
 *
 * <p>{@link Node} is a position: a key and where it was found. A caller goes on from it
 * ({@link Node#next}, {@link Node#prev}, {@link Node#setValue}, {@link #delete}) without a walk
 * from the root as long as the map's structure did not change meanwhile; after a change the
 * position is looked up again by its key (keys are unique), so a node of a key still in the map
 * stays usable.
 *
 * <p>Not thread-safe: guarded by its owner's lock.
 */
final class LongTreeMap<V> {
    static final int LEAF_MAX = 32;
    static final int INNER_MAX = 32;
    /** A non-root leaf below this many entries is merged with or refilled from a neighbour. */
    static final int LEAF_MIN = LEAF_MAX / 4;
    /** A non-root inner node below this many children is merged with or refilled from a neighbour. */
    static final int INNER_MIN = INNER_MAX / 4;

    /** Up to {@link #LEAF_MAX} entries (one more while being split), linked to its neighbours. */
    static final class Leaf {
        final long[] keys = new long[LEAF_MAX + 1];
        final Object[] vals = new Object[LEAF_MAX + 1];
        int n;
        Leaf prev;
        Leaf next;
    }

    /** Up to {@link #INNER_MAX} children (one more while being split); keys[i] is the least key under kids[i + 1]. */
    static final class Inner {
        final long[] keys = new long[INNER_MAX];
        final Object[] kids = new Object[INNER_MAX + 1];
        int n;
    }

    /** An entry's position; {@link #next} and {@link #prev} walk the map in key order. */
    static final class Node<V> {
        private final LongTreeMap<V> map;
        final long key;
        private Leaf leaf;
        private int at;
        private int stamp;

        Node(LongTreeMap<V> map, Leaf leaf, int at) {
            this.map = map;
            this.leaf = leaf;
            this.at = at;
            this.key = leaf.keys[at];
            this.stamp = map.mods;
        }

        long key() {
            return key;
        }

        @SuppressWarnings("unchecked")
        V value() {
            sync();
            return (V) leaf.vals[at];
        }

        /** Replaces the entry's value (the key stays). */
        void setValue(V value) {
            sync();
            leaf.vals[at] = value;
        }

        /** The node with the next larger key, or null. */
        Node<V> next() {
            sync();
            if (at + 1 < leaf.n) {
                return new Node<>(map, leaf, at + 1);
            }
            Leaf l = leaf.next;
            return l == null ? null : new Node<>(map, l, 0);
        }

        /** The node with the next smaller key, or null. */
        Node<V> prev() {
            sync();
            if (at > 0) {
                return new Node<>(map, leaf, at - 1);
            }
            Leaf l = leaf.prev;
            return l == null ? null : new Node<>(map, l, l.n - 1);
        }

        /** Finds the entry again if the map's structure changed since this position was taken. */
        private void sync() {
            if (stamp == map.mods) {
                return;
            }
            if (at < leaf.n && leaf.keys[at] == key) { // still where it was (a leaf that left the tree has n 0)
                stamp = map.mods;
                return;
            }
            Leaf l = map.leafFor(key);
            int i = lowerBound(l.keys, l.n, key);
            if (i == l.n || l.keys[i] != key) {
                throw new IllegalStateException("key " + key + " is no longer in the map");
            }
            leaf = l;
            at = i;
            stamp = map.mods;
        }
    }

    private Object root = new Leaf();
    /**
     * The leaf the last search ended in. A search for a key within that leaf's first and last
     * keys would end there again (leaves partition the keys in order), so it starts there: the
     * calls of one mmap or munmap work at one place of the tree, and only the first walks from
     * the root. A leaf that leaves the tree gets n 0, which no key is within.
     */
    private Leaf finger = (Leaf) root;
    /** Inner levels above the leaves. */
    private int height;
    /** Structural changes (an entry added or removed), for {@link Node#sync}. */
    private int mods;
    int size; // package-private for the checker's tests
    /** The path of the last descent that records one: inner nodes and the child taken in each. */
    private Inner[] pathNode = new Inner[8];
    private int[] pathKid = new int[8];

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /*
     * Searches within a node scan its keys in order rather than bisect them: the loads do not
     * depend on each other, so the CPU fetches the node's cache lines together, where a binary
     * search waits for each probe's line before it knows the next one.
     */

    /** Index of the first of keys[0, n) that is >= key (n if none). */
    private static int lowerBound(long[] keys, int n, long key) {
        int i = 0;
        while (i < n && keys[i] < key) {
            i++;
        }
        return i;
    }

    /** Index of the first of keys[0, n) that is > key (n if none). */
    private static int upperBound(long[] keys, int n, long key) {
        int i = 0;
        while (i < n && keys[i] <= key) {
            i++;
        }
        return i;
    }

    /** True if {@code key} lies within the keys of the finger leaf (then its walk would end there). */
    private boolean inFinger(long key) {
        Leaf f = finger;
        return f.n > 0 && key >= f.keys[0] && key <= f.keys[f.n - 1];
    }

    /** The leaf whose range holds {@code key}. */
    private Leaf leafFor(long key) {
        if (inFinger(key)) {
            return finger;
        }
        Object x = root;
        for (int d = height; d > 0; d--) {
            Inner in = (Inner) x;
            x = in.kids[upperBound(in.keys, in.n - 1, key)];
        }
        Leaf l = (Leaf) x;
        finger = l;
        return l;
    }

    /** As {@link #leafFor}, recording the path in {@link #pathNode} and {@link #pathKid}. */
    private Leaf descend(long key) {
        if (pathNode.length < height) {
            pathNode = new Inner[height * 2];
            pathKid = new int[height * 2];
        }
        Object x = root;
        for (int d = 0; d < height; d++) {
            Inner in = (Inner) x;
            int c = upperBound(in.keys, in.n - 1, key);
            pathNode[d] = in;
            pathKid[d] = c;
            x = in.kids[c];
        }
        Leaf l = (Leaf) x;
        finger = l;
        return l;
    }

    private Node<V> node(Leaf l, int i) {
        return new Node<>(this, l, i);
    }

    /** The entry at index i of l, or the first of the leaves after it (i may equal l.n); null past the end. */
    private Node<V> atOrNext(Leaf l, int i) {
        if (i < l.n) {
            return node(l, i);
        }
        Leaf nx = l.next;
        return nx == null ? null : node(nx, 0);
    }

    /** The entry at index i of l, or the last of the leaves before it (i may be -1); null before the start. */
    private Node<V> atOrPrev(Leaf l, int i) {
        if (i >= 0) {
            return node(l, i);
        }
        Leaf pv = l.prev;
        return pv == null ? null : node(pv, pv.n - 1);
    }

    @SuppressWarnings("unchecked")
    V get(long key) {
        Leaf l = leafFor(key);
        int i = lowerBound(l.keys, l.n, key);
        return i < l.n && l.keys[i] == key ? (V) l.vals[i] : null;
    }

    /** Greatest key <= key. */
    Node<V> floor(long key) {
        Leaf l = leafFor(key);
        return atOrPrev(l, upperBound(l.keys, l.n, key) - 1);
    }

    /** Greatest key < key. */
    Node<V> lower(long key) {
        Leaf l = leafFor(key);
        return atOrPrev(l, lowerBound(l.keys, l.n, key) - 1);
    }

    /** Least key >= key. */
    Node<V> ceiling(long key) {
        Leaf l = leafFor(key);
        return atOrNext(l, lowerBound(l.keys, l.n, key));
    }

    /** Least key > key. */
    Node<V> higher(long key) {
        Leaf l = leafFor(key);
        return atOrNext(l, upperBound(l.keys, l.n, key));
    }

    private Leaf firstLeaf() {
        Object x = root;
        for (int d = height; d > 0; d--) {
            x = ((Inner) x).kids[0];
        }
        return (Leaf) x;
    }

    private Leaf lastLeaf() {
        Object x = root;
        for (int d = height; d > 0; d--) {
            Inner in = (Inner) x;
            x = in.kids[in.n - 1];
        }
        return (Leaf) x;
    }

    Node<V> first() {
        Leaf l = firstLeaf();
        return l.n == 0 ? null : node(l, 0);
    }

    Node<V> last() {
        Leaf l = lastLeaf();
        return l.n == 0 ? null : node(l, l.n - 1);
    }

    /** Maps key to value; returns the previous value or null. */
    V put(long key, V value) {
        int before = size;
        Node<V> n = insert(key, value);
        if (size != before) {
            return null;
        }
        V old = n.value();
        n.setValue(value);
        return old;
    }

    /**
     * The node of {@code key}: a new one holding {@code value}, or the existing one left as it is
     * (the caller compares its value). Lets a caller go on from the node ({@link Node#prev},
     * {@link Node#next}, {@link #delete}) without walking the tree again.
     */
    Node<V> insert(long key, V value) {
        Leaf f = finger;
        // strictly inside the finger leaf with room: no split, so no path is needed
        Leaf l = f.n > 0 && f.n < LEAF_MAX && key > f.keys[0] && key < f.keys[f.n - 1] ? f : descend(key);
        int i = lowerBound(l.keys, l.n, key);
        if (i < l.n && l.keys[i] == key) {
            return node(l, i);
        }
        System.arraycopy(l.keys, i, l.keys, i + 1, l.n - i);
        System.arraycopy(l.vals, i, l.vals, i + 1, l.n - i);
        l.keys[i] = key;
        l.vals[i] = value;
        l.n++;
        size++;
        mods++;
        if (l.n <= LEAF_MAX) {
            return node(l, i);
        }
        // split: the upper half goes to a new leaf on the right
        Leaf r = new Leaf();
        int keep = l.n / 2;
        r.n = l.n - keep;
        System.arraycopy(l.keys, keep, r.keys, 0, r.n);
        System.arraycopy(l.vals, keep, r.vals, 0, r.n);
        java.util.Arrays.fill(l.vals, keep, l.n, null);
        l.n = keep;
        r.next = l.next;
        if (r.next != null) {
            r.next.prev = r;
        }
        r.prev = l;
        l.next = r;
        addChild(r.keys[0], r);
        return i < keep ? node(l, i) : node(r, i - keep);
    }

    /** Adds {@code kid} right of the child on the recorded path at the lowest inner level, splitting upwards. */
    private void addChild(long sep, Object kid) {
        for (int d = height - 1; d >= 0; d--) {
            Inner p = pathNode[d];
            int c = pathKid[d];
            System.arraycopy(p.keys, c, p.keys, c + 1, p.n - 1 - c);
            p.keys[c] = sep;
            System.arraycopy(p.kids, c + 1, p.kids, c + 2, p.n - 1 - c);
            p.kids[c + 1] = kid;
            p.n++;
            if (p.n <= INNER_MAX) {
                return;
            }
            Inner r = new Inner();
            int keep = p.n / 2;
            r.n = p.n - keep;
            sep = p.keys[keep - 1];
            System.arraycopy(p.kids, keep, r.kids, 0, r.n);
            System.arraycopy(p.keys, keep, r.keys, 0, r.n - 1);
            java.util.Arrays.fill(p.kids, keep, p.n, null);
            p.n = keep;
            kid = r;
        }
        Inner top = new Inner();
        top.kids[0] = root;
        top.kids[1] = kid;
        top.keys[0] = sep;
        top.n = 2;
        root = top;
        height++;
    }

    /** The node of {@code key}, or null. */
    Node<V> node(long key) {
        Leaf l = leafFor(key);
        int i = lowerBound(l.keys, l.n, key);
        return i < l.n && l.keys[i] == key ? node(l, i) : null;
    }

    /** Removes the entry of a node of this map (its path was just walked, so the walk is cached). */
    void delete(Node<V> n) {
        if (remove(n.key) == null) {
            throw new IllegalStateException("key " + n.key + " is no longer in the map");
        }
    }

    /** Removes key; returns its value or null. */
    @SuppressWarnings("unchecked")
    V remove(long key) {
        // within the finger leaf and more than the minimum in it: no refill, so no path is needed
        Leaf l = finger.n > LEAF_MIN && inFinger(key) ? finger : descend(key);
        int i = lowerBound(l.keys, l.n, key);
        if (i == l.n || l.keys[i] != key) {
            return null;
        }
        V old = (V) l.vals[i];
        System.arraycopy(l.keys, i + 1, l.keys, i, l.n - i - 1);
        System.arraycopy(l.vals, i + 1, l.vals, i, l.n - i - 1);
        l.n--;
        l.vals[l.n] = null;
        size--;
        mods++;
        if (height > 0 && l.n < LEAF_MIN) {
            refillLeaf();
        }
        return old;
    }

    /** The leaf at the end of the recorded path is under-full: merge it with a neighbour or take some of its entries. */
    private void refillLeaf() {
        Inner p = pathNode[height - 1];
        int c = pathKid[height - 1];
        int k = c > 0 ? c - 1 : c; // separator between the pair kids[k], kids[k + 1]
        Leaf a = (Leaf) p.kids[k];
        Leaf b = (Leaf) p.kids[k + 1];
        int total = a.n + b.n;
        if (total <= LEAF_MAX) {
            System.arraycopy(b.keys, 0, a.keys, a.n, b.n);
            System.arraycopy(b.vals, 0, a.vals, a.n, b.n);
            a.n = total;
            a.next = b.next;
            if (a.next != null) {
                a.next.prev = a;
            }
            b.n = 0; // out of the tree: no finger or position may take it for a live leaf
            java.util.Arrays.fill(b.vals, null);
            removeChild(height - 1, k);
            return;
        }
        int na = total / 2;
        if (a.n > na) { // a gives its tail to b
            int move = a.n - na;
            System.arraycopy(b.keys, 0, b.keys, move, b.n);
            System.arraycopy(b.vals, 0, b.vals, move, b.n);
            System.arraycopy(a.keys, na, b.keys, 0, move);
            System.arraycopy(a.vals, na, b.vals, 0, move);
            java.util.Arrays.fill(a.vals, na, a.n, null);
        } else { // b gives its head to a
            int move = na - a.n;
            System.arraycopy(b.keys, 0, a.keys, a.n, move);
            System.arraycopy(b.vals, 0, a.vals, a.n, move);
            System.arraycopy(b.keys, move, b.keys, 0, b.n - move);
            System.arraycopy(b.vals, move, b.vals, 0, b.n - move);
            java.util.Arrays.fill(b.vals, b.n - move, b.n, null);
        }
        a.n = na;
        b.n = total - na;
        p.keys[k] = b.keys[0];
    }

    /** Removes child k + 1 and separator k of the inner node at level d of the path, refilling upwards. */
    private void removeChild(int d, int k) {
        while (true) {
            Inner p = pathNode[d];
            System.arraycopy(p.keys, k + 1, p.keys, k, p.n - 2 - k);
            System.arraycopy(p.kids, k + 2, p.kids, k + 1, p.n - 2 - k);
            p.n--;
            p.kids[p.n] = null;
            if (d == 0) {
                if (p.n == 1) { // the root keeps one child: it becomes the root
                    root = p.kids[0];
                    height--;
                }
                return;
            }
            if (p.n >= INNER_MIN) {
                return;
            }
            Inner g = pathNode[d - 1];
            int c = pathKid[d - 1];
            k = c > 0 ? c - 1 : c;
            Inner a = (Inner) g.kids[k];
            Inner b = (Inner) g.kids[k + 1];
            int total = a.n + b.n;
            // the pair's separators with g's separator between them, and their children
            long[] seps = new long[total - 1];
            Object[] kids = new Object[total];
            System.arraycopy(a.keys, 0, seps, 0, a.n - 1);
            seps[a.n - 1] = g.keys[k];
            System.arraycopy(b.keys, 0, seps, a.n, b.n - 1);
            System.arraycopy(a.kids, 0, kids, 0, a.n);
            System.arraycopy(b.kids, 0, kids, a.n, b.n);
            if (total <= INNER_MAX) {
                System.arraycopy(seps, 0, a.keys, 0, total - 1);
                System.arraycopy(kids, 0, a.kids, 0, total);
                a.n = total;
                d--;
                continue;
            }
            int na = total / 2;
            java.util.Arrays.fill(a.kids, null);
            java.util.Arrays.fill(b.kids, null);
            System.arraycopy(kids, 0, a.kids, 0, na);
            System.arraycopy(seps, 0, a.keys, 0, na - 1);
            g.keys[k] = seps[na - 1];
            System.arraycopy(kids, na, b.kids, 0, total - na);
            System.arraycopy(seps, na, b.keys, 0, total - na - 1);
            a.n = na;
            b.n = total - na;
            return;
        }
    }

    /** Values in key order. */
    @SuppressWarnings("unchecked")
    List<V> values() {
        List<V> out = new ArrayList<>(size);
        for (Leaf l = firstLeaf(); l != null; l = l.next) {
            for (int i = 0; i < l.n; i++) {
                out.add((V) l.vals[i]);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    void forEach(Consumer<V> action) {
        for (Leaf l = firstLeaf(); l != null; l = l.next) {
            for (int i = 0; i < l.n; i++) {
                action.accept((V) l.vals[i]);
            }
        }
    }

    // ---- for the checker's tests ---------------------------------------------------------------

    Object root() {
        return root;
    }

    /**
     * Structural check for tests: keys ordered within each node and inside the range its parent
     * gives it, every leaf at the same depth, fill levels, the leaf chain in key order, size.
     */
    List<String> check() {
        List<String> p = new ArrayList<>();
        List<Leaf> leaves = new ArrayList<>();
        int count = checkNode(root, 0, Long.MIN_VALUE, Long.MAX_VALUE, true, p, leaves);
        Leaf before = null;
        for (Leaf l : leaves) {
            if (l.prev != before || before != null && before.next != l) {
                p.add("leaf chain broken before key " + (l.n > 0 ? l.keys[0] : "none"));
            }
            before = l;
        }
        if (before != null && before.next != null) {
            p.add("leaf chain goes on after the last leaf");
        }
        if (count != size) {
            p.add("size " + size + " but " + count + " entries");
        }
        return p;
    }

    /** Checks the subtree of x, whose keys must lie in [lo, hi); returns its entry count. */
    private int checkNode(Object x, int depth, long lo, long hi, boolean isRoot, List<String> p, List<Leaf> leaves) {
        if (x instanceof Leaf l) {
            leaves.add(l);
            if (depth != height) {
                p.add("leaf at depth " + depth + ", the tree has " + height + " inner levels");
            }
            if (l.n > LEAF_MAX || !isRoot && l.n < LEAF_MIN) {
                p.add("leaf of " + l.n + " entries (allowed " + LEAF_MIN + " to " + LEAF_MAX + ")");
            }
            for (int i = 0; i < l.n; i++) {
                if (l.keys[i] < lo || l.keys[i] >= hi && hi != Long.MAX_VALUE || i > 0 && l.keys[i] <= l.keys[i - 1]) {
                    p.add("order violated at " + l.keys[i]);
                }
            }
            return l.n;
        }
        Inner in = (Inner) x;
        if (in.n > INNER_MAX || in.n < (isRoot ? 2 : INNER_MIN)) {
            p.add("inner node of " + in.n + " children (allowed " + (isRoot ? 2 : INNER_MIN) + " to " + INNER_MAX + ")");
        }
        for (int i = 0; i < in.n - 1; i++) {
            long s = in.keys[i];
            if (s <= lo || s >= hi && hi != Long.MAX_VALUE || i > 0 && s <= in.keys[i - 1]) {
                p.add("order violated at separator " + s);
            }
        }
        int count = 0;
        for (int i = 0; i < in.n; i++) {
            long a = i == 0 ? lo : in.keys[i - 1];
            long b = i == in.n - 1 ? hi : in.keys[i];
            count += checkNode(in.kids[i], depth + 1, a, b, false, p, leaves);
        }
        return count;
    }
}
