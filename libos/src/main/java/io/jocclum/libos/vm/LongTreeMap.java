package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * An ordered map from primitive {@code long} keys to values: a B+ tree with wide nodes laid out
 * in flat arrays. It replaces {@code TreeMap<Long, V>} on the VM's two hottest indexes (a
 * process's VMAs and a free space's holes).
 *
 * <p>Design. A lookup among 100,000 entries of a binary tree follows about seventeen nodes, each
 * a separate object on its own cache line and, as the heap goes, often its own page; at random
 * places most of the lower levels miss every cache. Here a node holds up to {@value #LEAF_MAX}
 * keys (inner nodes up to {@value #INNER_MAX} children), so the same lookup visits four nodes;
 * the upper levels are few enough to stay cached. Linux keeps a process's VMAs in such a tree for
 * the same reason (the maple tree, {@code lib/maple_tree.c}, whose nodes hold 10 to 16 entries).
 *
 * <p>Layout. Nodes are not objects: every inner node is a slice of one {@code long[]}
 * ({@link #inner}) holding its child count and then its children's numbers interleaved with the
 * separator keys between them, so the key that decides the way down lies next to the child it
 * leads to; every leaf is a slice of another {@code long[]} ({@link #leaf}) holding its entry
 * count, the numbers of its neighbours and its keys, with the values in the same slot of one
 * {@code Object[]} ({@link #vals}). A map made with an <em>aux</em> long per entry keeps it in the
 * leaf right after the entry's key ({@link Node#aux}): an owner stores there what its lookups
 * decide on (the VMA tree: a VMA's end and attributes), so that a decision needs no read of the
 * value, which lies elsewhere in memory, but only of the leaf lines the key search read anyway. A level of a walk is then one run of adjacent cache lines
 * whose address is known as soon as the level above is read, where a node object would first be
 * read for the addresses of its key and child arrays: one memory latency per level instead of
 * two or three. Slices of nodes that left the tree are reused.
 *
 * <p>Leaves are linked in key order, so iteration is O(1) per step. Nodes are merged or
 * rebalanced with a neighbour when they fall below a quarter full, so a split and a merge never
 * alternate on one insertion and one removal. All operations are O(log n).
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

    /*
     * Leaf l is leaf[l * ls, (l + 1) * ls): its entry count, the previous and the next leaf (-1 at
     * the ends), then up to LEAF_MAX entries (one more while being split) of w longs each: the
     * key, and in a map with aux longs the entry's aux long; value i is vals[l * VS + i].
     */
    static final int L_N = 0;
    static final int L_PREV = 1;
    static final int L_NEXT = 2;
    static final int L_KEYS = 3;
    static final int VS = LEAF_MAX + 1;
    /*
     * Inner node x is inner[x * IS, (x + 1) * IS): its child count n, then child 0, separator 0,
     * child 1, ..., child n - 1 (up to INNER_MAX + 1 children while being split). Separator i is
     * the least key under child i + 1. A child is an inner node's number x, or, on the lowest inner
     * level, a leaf's number l stored as ~l (negative), so that the checker sees which is which.
     */
    static final int I_N = 0;
    static final int IS = 2 * (INNER_MAX + 1);

    /** Slot of child i of the inner node at base b. */
    static int kid(int b, int i) {
        return b + 1 + 2 * i;
    }

    /** Slot of separator i (between children i and i + 1) of the inner node at base b. */
    static int sep(int b, int i) {
        return b + 2 + 2 * i;
    }

    /** An entry's position; {@link #next} and {@link #prev} walk the map in key order. */
    static final class Node<V> {
        private final LongTreeMap<V> map;
        final long key;
        private int leaf;
        private int at;
        private int stamp;

        Node(LongTreeMap<V> map, int leaf, int at) {
            this.map = map;
            this.leaf = leaf;
            this.at = at;
            this.key = map.leaf[map.keySlot(leaf, at)];
            this.stamp = map.mods;
        }

        long key() {
            return key;
        }

        @SuppressWarnings("unchecked")
        V value() {
            sync();
            return (V) map.vals[leaf * VS + at];
        }

        /** Replaces the entry's value (the key and the aux long stay). */
        void setValue(V value) {
            sync();
            map.vals[leaf * VS + at] = value;
        }

        /** The entry's aux long (0 in a map without them). */
        long aux() {
            sync();
            return map.w == 1 ? 0 : map.leaf[map.keySlot(leaf, at) + 1];
        }

        /** Replaces the entry's value and its aux long (the key stays); the map must have aux longs. */
        void set(V value, long aux) {
            sync();
            int slot = map.auxSlot(leaf, at);
            map.vals[leaf * VS + at] = value;
            map.leaf[slot] = aux;
        }

        /** The node with the next larger key, or null. */
        Node<V> next() {
            sync();
            long[] lf = map.leaf;
            int b = leaf * map.ls;
            if (at + 1 < lf[b + L_N]) {
                return new Node<>(map, leaf, at + 1);
            }
            int l = (int) lf[b + L_NEXT];
            return l < 0 ? null : new Node<>(map, l, 0);
        }

        /** The node with the next smaller key, or null. */
        Node<V> prev() {
            sync();
            if (at > 0) {
                return new Node<>(map, leaf, at - 1);
            }
            long[] lf = map.leaf;
            int l = (int) lf[leaf * map.ls + L_PREV];
            return l < 0 ? null : new Node<>(map, l, (int) lf[l * map.ls + L_N] - 1);
        }

        /** Finds the entry again if the map's structure changed since this position was taken. */
        private void sync() {
            if (stamp == map.mods) {
                return;
            }
            long[] lf = map.leaf;
            // still where it was: a leaf that left the tree has n 0, and a reused one holding the key is live
            if (at < lf[leaf * map.ls + L_N] && lf[map.keySlot(leaf, at)] == key) {
                stamp = map.mods;
                return;
            }
            int l = map.leafFor(key);
            int i = map.lowerBound(l, key);
            if (i == map.n(l) || map.keyAt(l, i) != key) {
                throw new IllegalStateException("key " + key + " is no longer in the map");
            }
            leaf = l;
            at = i;
            stamp = map.mods;
        }
    }

    /** Longs per leaf entry: 1 (the key), or 2 (the key and its aux long). */
    final int w;
    /** Longs per leaf slice. */
    final int ls;
    // package-private for the checker's tests, which corrupt them deliberately
    long[] leaf;
    Object[] vals = new Object[VS];
    long[] inner = new long[0];
    /** The root, as a child is stored: ~l for leaf l when {@link #height} is 0, else an inner node's number. */
    int root = ~0;
    /** Inner levels above the leaves. */
    int height;
    int size;
    /** Leaf and inner-node slices in use or free (the arrays' capacity may be larger). */
    private int leaves = 1;
    private int inners;
    /** Numbers of slices that left the tree, for reuse. */
    private int[] freeLeaves = new int[4];
    private int freeLeafCount;
    private int[] freeInners = new int[4];
    private int freeInnerCount;
    /**
     * The leaf the last search ended in. A search for a key within that leaf's first and last
     * keys would end there again (leaves partition the keys in order), so it starts there: the
     * calls of one mmap or munmap work at one place of the tree, and only the first walks from
     * the root. A leaf that leaves the tree gets n 0, which no key is within.
     */
    private int finger;
    /** Structural changes (an entry added or removed), for {@link Node#sync}. */
    private int mods;
    /** The path of the last descent that records one: inner nodes and the child taken in each. */
    private int[] pathNode = new int[8];
    private int[] pathKid = new int[8];
    /** What {@link #seek} read, kept so that its reads are not optimised away. */
    private int seen;
    /** Scratch for merging or rebalancing two inner nodes. */
    private final long[] pair = new long[2 * IS];

    /** A map without aux longs. */
    LongTreeMap() {
        this(false);
    }

    /** A map with an aux long next to each key if {@code aux}. */
    LongTreeMap(boolean aux) {
        w = aux ? 2 : 1;
        ls = L_KEYS + w * (LEAF_MAX + 1);
        leaf = new long[ls];
        leaf[L_PREV] = -1;
        leaf[L_NEXT] = -1;
    }

    /** Slot of key i of leaf l in {@link #leaf}; its aux long, if any, is the slot after it. */
    int keySlot(int l, int i) {
        return l * ls + L_KEYS + w * i;
    }

    private int auxSlot(int l, int i) {
        if (w == 1) {
            throw new IllegalStateException("this map keeps no aux longs");
        }
        return keySlot(l, i) + 1;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    private int newLeaf() {
        int l;
        if (freeLeafCount > 0) {
            l = freeLeaves[--freeLeafCount];
        } else {
            l = leaves++;
            if (leaves * ls > leaf.length) {
                leaf = Arrays.copyOf(leaf, leaf.length * 2);
                vals = Arrays.copyOf(vals, vals.length * 2);
            }
        }
        leaf[l * ls + L_N] = 0;
        return l;
    }

    private void freeLeaf(int l) {
        leaf[l * ls + L_N] = 0; // out of the tree: no finger or position may take it for a live leaf
        Arrays.fill(vals, l * VS, l * VS + VS, null);
        if (freeLeafCount == freeLeaves.length) {
            freeLeaves = Arrays.copyOf(freeLeaves, freeLeafCount * 2);
        }
        freeLeaves[freeLeafCount++] = l;
    }

    private int newInner() {
        if (freeInnerCount > 0) {
            return freeInners[--freeInnerCount];
        }
        int x = inners++;
        if (inners * IS > inner.length) {
            inner = Arrays.copyOf(inner, Math.max(IS, inner.length * 2));
        }
        return x;
    }

    private void freeInner(int x) {
        inner[x * IS + I_N] = 0;
        if (freeInnerCount == freeInners.length) {
            freeInners = Arrays.copyOf(freeInners, freeInnerCount * 2);
        }
        freeInners[freeInnerCount++] = x;
    }

    /*
     * Searches within a node scan its keys in order rather than bisect them: the loads do not
     * depend on each other, so the CPU fetches the node's cache lines together, where a binary
     * search waits for each probe's line before it knows the next one.
     */

    /** Index of the first key of leaf l that is >= key (its n if none). */
    private int lowerBound(int l, long key) {
        long[] lf = leaf;
        int b = l * ls;
        int n = (int) lf[b + L_N];
        int w = this.w;
        int k = b + L_KEYS;
        int i = 0;
        while (i < n && lf[k] < key) {
            i++;
            k += w;
        }
        return i;
    }

    /** Index of the first key of leaf l that is > key (its n if none). */
    private int upperBound(int l, long key) {
        long[] lf = leaf;
        int b = l * ls;
        int n = (int) lf[b + L_N];
        int w = this.w;
        int k = b + L_KEYS;
        int i = 0;
        while (i < n && lf[k] <= key) {
            i++;
            k += w;
        }
        return i;
    }

    /** The child of the inner node at base b whose range holds key: the number of its separators <= key. */
    private static int kidIndex(long[] in, int b, long key) {
        int last = (int) in[b + I_N] - 1;
        int c = 0;
        while (c < last && in[sep(b, c)] <= key) {
            c++;
        }
        return c;
    }

    private int n(int l) {
        return (int) leaf[l * ls + L_N];
    }

    private long keyAt(int l, int i) {
        return leaf[keySlot(l, i)];
    }

    private int next(int l) {
        return (int) leaf[l * ls + L_NEXT];
    }

    private int prev(int l) {
        return (int) leaf[l * ls + L_PREV];
    }

    /** True if {@code key} lies within the keys of the finger leaf (then its walk would end there). */
    private boolean inFinger(long key) {
        int f = finger;
        int n = n(f);
        return n > 0 && key >= keyAt(f, 0) && key <= keyAt(f, n - 1);
    }

    /** The leaf whose range holds {@code key}. */
    private int leafFor(long key) {
        if (inFinger(key)) {
            return finger;
        }
        long[] in = inner;
        int x = root;
        for (int d = height; d > 0; d--) {
            int b = x * IS;
            x = (int) in[kid(b, kidIndex(in, b, key))];
        }
        x = ~x;
        finger = x;
        return x;
    }

    /** As {@link #leafFor}, recording the path in {@link #pathNode} and {@link #pathKid}. */
    private int descend(long key) {
        if (pathNode.length < height) {
            pathNode = new int[height * 2];
            pathKid = new int[height * 2];
        }
        long[] in = inner;
        int x = root;
        for (int d = 0; d < height; d++) {
            int b = x * IS;
            int c = kidIndex(in, b, key);
            pathNode[d] = x;
            pathKid[d] = c;
            x = (int) in[kid(b, c)];
        }
        x = ~x;
        finger = x;
        return x;
    }

    /**
     * Walks this map towards {@code key} and {@code other} towards {@code otherKey} in step, a
     * level of one and then the same level of the other, leaves each map's finger on the leaf it
     * reached, and reads the values next to each key there (the one before, at and after the
     * key's place). The two walks do not depend on each other, so the CPU has the cache misses of
     * both in flight at once, where two lookups one after the other wait for each miss in turn;
     * the lookups at these keys that follow start at the fingers and find their values cached.
     */
    void seek(long key, LongTreeMap<?> other, long otherKey) {
        long[] ia = inner;
        long[] ib = other.inner;
        int x = root;
        int y = other.root;
        int da = height;
        int db = other.height;
        while (da > 0 || db > 0) {
            if (da > 0) {
                int b = x * IS;
                x = (int) ia[kid(b, kidIndex(ia, b, key))];
                da--;
            }
            if (db > 0) {
                int b = y * IS;
                y = (int) ib[kid(b, kidIndex(ib, b, otherKey))];
                db--;
            }
        }
        x = ~x;
        y = ~y;
        finger = x;
        other.finger = y;
        int i = upperBound(x, key);
        int j = other.upperBound(y, otherKey);
        seen = touch(i, x) + other.touch(j, y);
    }

    /**
     * Reads the headers of the values at i - 1, i and i + 1 of leaf l, so that they are cached
     * (Java has no prefetch instruction; the count of values of a class no value has keeps the
     * loads from being optimised away). In a map with aux longs only the references and the aux
     * longs are read: the owner decides on the aux longs and reads few values, but the insertion
     * or removal that follows moves the references.
     */
    private int touch(int i, int l) {
        int v = l * VS;
        int from = Math.max(0, i - 1);
        int to = Math.min(n(l), i + 2);
        int t = 0;
        if (w != 1) {
            for (int k = from; k < to; k++) {
                if (vals[v + k] == null || leaf[keySlot(l, k) + 1] == -1) {
                    t++;
                }
            }
            return t;
        }
        for (int k = from; k < to; k++) {
            Object o = vals[v + k];
            if (o != null && o.getClass() == Node.class) {
                t++;
            }
        }
        return t;
    }

    private Node<V> node(int l, int i) {
        return new Node<>(this, l, i);
    }

    /** The entry at index i of l, or the first of the leaves after it (i may equal l's n); null past the end. */
    private Node<V> atOrNext(int l, int i) {
        if (i < n(l)) {
            return node(l, i);
        }
        int nx = next(l);
        return nx < 0 ? null : node(nx, 0);
    }

    /** The entry at index i of l, or the last of the leaves before it (i may be -1); null before the start. */
    private Node<V> atOrPrev(int l, int i) {
        if (i >= 0) {
            return node(l, i);
        }
        int pv = prev(l);
        return pv < 0 ? null : node(pv, n(pv) - 1);
    }

    @SuppressWarnings("unchecked")
    V get(long key) {
        int l = leafFor(key);
        int i = lowerBound(l, key);
        return i < n(l) && keyAt(l, i) == key ? (V) vals[l * VS + i] : null;
    }

    /** Greatest key <= key. */
    Node<V> floor(long key) {
        int l = leafFor(key);
        return atOrPrev(l, upperBound(l, key) - 1);
    }

    /** Greatest key < key. */
    Node<V> lower(long key) {
        int l = leafFor(key);
        return atOrPrev(l, lowerBound(l, key) - 1);
    }

    /** Least key >= key. */
    Node<V> ceiling(long key) {
        int l = leafFor(key);
        return atOrNext(l, lowerBound(l, key));
    }

    /** Least key > key. */
    Node<V> higher(long key) {
        int l = leafFor(key);
        return atOrNext(l, upperBound(l, key));
    }

    private int firstLeaf() {
        int x = root;
        for (int d = height; d > 0; d--) {
            x = (int) inner[kid(x * IS, 0)];
        }
        return ~x;
    }

    private int lastLeaf() {
        int x = root;
        for (int d = height; d > 0; d--) {
            int b = x * IS;
            x = (int) inner[kid(b, (int) inner[b + I_N] - 1)];
        }
        return ~x;
    }

    Node<V> first() {
        int l = firstLeaf();
        return n(l) == 0 ? null : node(l, 0);
    }

    Node<V> last() {
        int l = lastLeaf();
        return n(l) == 0 ? null : node(l, n(l) - 1);
    }

    /** Maps key to value (an aux long, if the map keeps them, of 0); returns the previous value or null. */
    V put(long key, V value) {
        int before = size;
        Node<V> n = insert(key, value, 0);
        if (size != before) {
            return null;
        }
        V old = n.value();
        n.setValue(value);
        return old;
    }

    /** As {@link #insert(long, Object, long)} with an aux long of 0. */
    Node<V> insert(long key, V value) {
        return insert(key, value, 0);
    }

    /**
     * The node of {@code key}: a new one holding {@code value} and, if the map keeps them, the
     * aux long {@code aux}, or the existing one left as it is (the caller compares its value).
     * Lets a caller go on from the node ({@link Node#prev}, {@link Node#next}, {@link #delete})
     * without walking the tree again.
     */
    Node<V> insert(long key, V value, long aux) {
        int f = finger;
        int fn = n(f);
        // strictly inside the finger leaf with room: no split, so no path is needed
        int l = fn > 0 && fn < LEAF_MAX && key > keyAt(f, 0) && key < keyAt(f, fn - 1) ? f : descend(key);
        long[] lf = leaf;
        int w = this.w;
        int b = l * ls;
        int ks = b + L_KEYS;
        int v = l * VS;
        int n = (int) lf[b + L_N];
        int i = lowerBound(l, key);
        if (i < n && lf[ks + w * i] == key) {
            return node(l, i);
        }
        System.arraycopy(lf, ks + w * i, lf, ks + w * (i + 1), w * (n - i));
        System.arraycopy(vals, v + i, vals, v + i + 1, n - i);
        lf[ks + w * i] = key;
        if (w != 1) {
            lf[ks + w * i + 1] = aux;
        }
        vals[v + i] = value;
        n++;
        lf[b + L_N] = n;
        size++;
        mods++;
        if (n <= LEAF_MAX) {
            return node(l, i);
        }
        // split: the upper half goes to a new leaf on the right
        int r = newLeaf();
        lf = leaf; // the arrays may have grown
        int rb = r * ls;
        int rv = r * VS;
        int keep = n / 2;
        int rn = n - keep;
        System.arraycopy(lf, ks + w * keep, lf, rb + L_KEYS, w * rn);
        System.arraycopy(vals, v + keep, vals, rv, rn);
        Arrays.fill(vals, v + keep, v + n, null);
        lf[b + L_N] = keep;
        lf[rb + L_N] = rn;
        int nx = (int) lf[b + L_NEXT];
        lf[rb + L_NEXT] = nx;
        if (nx >= 0) {
            lf[nx * ls + L_PREV] = r;
        }
        lf[rb + L_PREV] = l;
        lf[b + L_NEXT] = r;
        addChild(lf[rb + L_KEYS], ~r);
        return i < keep ? node(l, i) : node(r, i - keep);
    }

    /** Adds {@code kid} right of the child on the recorded path at the lowest inner level, splitting upwards. */
    private void addChild(long sepKey, int kid) {
        for (int d = height - 1; d >= 0; d--) {
            int p = pathNode[d];
            int c = pathKid[d];
            long[] in = inner;
            int b = p * IS;
            int n = (int) in[b + I_N];
            // separator c and child c + 1 go in after child c; the pairs after it move right
            System.arraycopy(in, sep(b, c), in, sep(b, c + 1), 2 * (n - 1 - c));
            in[sep(b, c)] = sepKey;
            in[kid(b, c + 1)] = kid;
            n++;
            in[b + I_N] = n;
            if (n <= INNER_MAX) {
                return;
            }
            int r = newInner();
            in = inner; // the array may have grown
            int rb = r * IS;
            int keep = n / 2;
            sepKey = in[sep(b, keep - 1)];
            // children keep .. n - 1 with the separators between them
            System.arraycopy(in, kid(b, keep), in, kid(rb, 0), 2 * (n - keep) - 1);
            in[rb + I_N] = n - keep;
            in[b + I_N] = keep;
            kid = r;
        }
        int top = newInner();
        int b = top * IS;
        inner[b + I_N] = 2;
        inner[kid(b, 0)] = root;
        inner[sep(b, 0)] = sepKey;
        inner[kid(b, 1)] = kid;
        root = top;
        height++;
    }

    /** The node of {@code key}, or null. */
    Node<V> node(long key) {
        int l = leafFor(key);
        int i = lowerBound(l, key);
        return i < n(l) && keyAt(l, i) == key ? node(l, i) : null;
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
        int l = n(finger) > LEAF_MIN && inFinger(key) ? finger : descend(key);
        long[] lf = leaf;
        int w = this.w;
        int b = l * ls;
        int ks = b + L_KEYS;
        int v = l * VS;
        int n = (int) lf[b + L_N];
        int i = lowerBound(l, key);
        if (i == n || lf[ks + w * i] != key) {
            return null;
        }
        V old = (V) vals[v + i];
        System.arraycopy(lf, ks + w * (i + 1), lf, ks + w * i, w * (n - i - 1));
        System.arraycopy(vals, v + i + 1, vals, v + i, n - i - 1);
        n--;
        lf[b + L_N] = n;
        vals[v + n] = null;
        size--;
        mods++;
        if (height > 0 && n < LEAF_MIN) {
            refillLeaf();
        }
        return old;
    }

    /** The leaf at the end of the recorded path is under-full: merge it with a neighbour or take some of its entries. */
    private void refillLeaf() {
        int p = pathNode[height - 1];
        int c = pathKid[height - 1];
        int k = c > 0 ? c - 1 : c; // separator between the pair kids[k], kids[k + 1]
        int pb = p * IS;
        long[] lf = leaf;
        int a = ~(int) inner[kid(pb, k)];
        int bl = ~(int) inner[kid(pb, k + 1)];
        int w = this.w;
        int ab = a * ls + L_KEYS; // a's and b's first keys
        int bb = bl * ls + L_KEYS;
        int av = a * VS;
        int bv = bl * VS;
        int an = n(a);
        int bn = n(bl);
        int total = an + bn;
        if (total <= LEAF_MAX) {
            System.arraycopy(lf, bb, lf, ab + w * an, w * bn);
            System.arraycopy(vals, bv, vals, av + an, bn);
            lf[a * ls + L_N] = total;
            int nx = next(bl);
            lf[a * ls + L_NEXT] = nx;
            if (nx >= 0) {
                lf[nx * ls + L_PREV] = a;
            }
            freeLeaf(bl);
            removeChild(height - 1, k);
            return;
        }
        int na = total / 2;
        if (an > na) { // a gives its tail to b
            int move = an - na;
            System.arraycopy(lf, bb, lf, bb + w * move, w * bn);
            System.arraycopy(vals, bv, vals, bv + move, bn);
            System.arraycopy(lf, ab + w * na, lf, bb, w * move);
            System.arraycopy(vals, av + na, vals, bv, move);
            Arrays.fill(vals, av + na, av + an, null);
        } else { // b gives its head to a
            int move = na - an;
            System.arraycopy(lf, bb, lf, ab + w * an, w * move);
            System.arraycopy(vals, bv, vals, av + an, move);
            System.arraycopy(lf, bb + w * move, lf, bb, w * (bn - move));
            System.arraycopy(vals, bv + move, vals, bv, bn - move);
            Arrays.fill(vals, bv + bn - move, bv + bn, null);
        }
        lf[a * ls + L_N] = na;
        lf[bl * ls + L_N] = total - na;
        inner[sep(pb, k)] = lf[bb];
    }

    /** Removes child k + 1 and separator k of the inner node at level d of the path, refilling upwards. */
    private void removeChild(int d, int k) {
        long[] in = inner;
        while (true) {
            int p = pathNode[d];
            int b = p * IS;
            int n = (int) in[b + I_N];
            System.arraycopy(in, sep(b, k + 1), in, sep(b, k), 2 * (n - 2 - k));
            n--;
            in[b + I_N] = n;
            if (d == 0) {
                if (n == 1) { // the root keeps one child: it becomes the root
                    root = (int) in[kid(b, 0)];
                    freeInner(p);
                    height--;
                }
                return;
            }
            if (n >= INNER_MIN) {
                return;
            }
            int g = pathNode[d - 1];
            int gb = g * IS;
            int c = pathKid[d - 1];
            k = c > 0 ? c - 1 : c;
            int a = (int) in[kid(gb, k)];
            int bi = (int) in[kid(gb, k + 1)];
            int ab = a * IS;
            int bb = bi * IS;
            int an = (int) in[ab + I_N];
            int bn = (int) in[bb + I_N];
            int total = an + bn;
            // the pair's children and separators with g's separator between them, interleaved as in a node
            long[] s = pair;
            System.arraycopy(in, kid(ab, 0), s, 0, 2 * an - 1);
            s[2 * an - 1] = in[sep(gb, k)];
            System.arraycopy(in, kid(bb, 0), s, 2 * an, 2 * bn - 1);
            if (total <= INNER_MAX) {
                System.arraycopy(s, 0, in, kid(ab, 0), 2 * total - 1);
                in[ab + I_N] = total;
                freeInner(bi);
                d--;
                continue;
            }
            int na = total / 2;
            System.arraycopy(s, 0, in, kid(ab, 0), 2 * na - 1);
            in[sep(gb, k)] = s[2 * na - 1];
            System.arraycopy(s, 2 * na, in, kid(bb, 0), 2 * (total - na) - 1);
            in[ab + I_N] = na;
            in[bb + I_N] = total - na;
            return;
        }
    }

    /** Values in key order. */
    @SuppressWarnings("unchecked")
    List<V> values() {
        List<V> out = new ArrayList<>(size);
        for (int l = firstLeaf(); l >= 0; l = next(l)) {
            for (int i = 0, n = n(l); i < n; i++) {
                out.add((V) vals[l * VS + i]);
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    void forEach(Consumer<V> action) {
        for (int l = firstLeaf(); l >= 0; l = next(l)) {
            for (int i = 0, n = n(l); i < n; i++) {
                action.accept((V) vals[l * VS + i]);
            }
        }
    }

    // ---- for the checker's tests ---------------------------------------------------------------

    /** The first leaf's number. */
    int firstLeafNumber() {
        return firstLeaf();
    }

    /**
     * Structural check for tests: keys ordered within each node and inside the range its parent
     * gives it, every leaf at the same depth, fill levels, the leaf chain in key order, size.
     */
    List<String> check() {
        List<String> p = new ArrayList<>();
        List<Integer> leafList = new ArrayList<>();
        int count = checkNode(root, 0, Long.MIN_VALUE, Long.MAX_VALUE, true, p, leafList);
        int before = -1;
        for (int l : leafList) {
            if (prev(l) != before || before >= 0 && next(before) != l) {
                p.add("leaf chain broken before key " + (n(l) > 0 ? keyAt(l, 0) : "none"));
            }
            before = l;
        }
        if (before >= 0 && next(before) >= 0) {
            p.add("leaf chain goes on after the last leaf");
        }
        if (count != size) {
            p.add("size " + size + " but " + count + " entries");
        }
        return p;
    }

    /** Checks the subtree of child x, whose keys must lie in [lo, hi); returns its entry count. */
    private int checkNode(int x, int depth, long lo, long hi, boolean isRoot, List<String> p, List<Integer> leafList) {
        if (x < 0) {
            x = ~x;
            leafList.add(x);
            if (depth != height) {
                p.add("leaf at depth " + depth + ", the tree has " + height + " inner levels");
            }
            int n = n(x);
            if (n > LEAF_MAX || !isRoot && n < LEAF_MIN) {
                p.add("leaf of " + n + " entries (allowed " + LEAF_MIN + " to " + LEAF_MAX + ")");
            }
            for (int i = 0; i < n; i++) {
                long k = keyAt(x, i);
                if (k < lo || k >= hi && hi != Long.MAX_VALUE || i > 0 && k <= keyAt(x, i - 1)) {
                    p.add("order violated at " + k);
                }
            }
            return n;
        }
        int b = x * IS;
        int n = (int) inner[b + I_N];
        if (n > INNER_MAX || n < (isRoot ? 2 : INNER_MIN)) {
            p.add("inner node of " + n + " children (allowed " + (isRoot ? 2 : INNER_MIN) + " to " + INNER_MAX + ")");
        }
        for (int i = 0; i < n - 1; i++) {
            long s = inner[sep(b, i)];
            if (s <= lo || s >= hi && hi != Long.MAX_VALUE || i > 0 && s <= inner[sep(b, i - 1)]) {
                p.add("order violated at separator " + s);
            }
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            long a = i == 0 ? lo : inner[sep(b, i - 1)];
            long e = i == n - 1 ? hi : inner[sep(b, i)];
            count += checkNode((int) inner[kid(b, i)], depth + 1, a, e, false, p, leafList);
        }
        return count;
    }
}
