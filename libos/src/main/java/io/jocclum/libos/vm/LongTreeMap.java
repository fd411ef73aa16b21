package io.jocclum.libos.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An ordered map from primitive {@code long} keys to values: an AVL tree with parent links.
 * It replaces {@code TreeMap<Long, V>} on the VM's two hottest indexes (a process's VMAs and a
 * free space's holes) because on trees of 100,000 entries the boxed keys cost a pointer chase
 * per level and AVL trees are shallower than red-black ones (height at most 1.44 log2 n).
 * All operations are O(log n); iteration follows parent links, O(1) amortised per step.
 *
 * <p>Not thread-safe: guarded by its owner's lock.
 */
final class LongTreeMap<V> {
    /** A mapping; {@link #next} and {@link #prev} walk the map in key order. */
    static final class Node<V> {
        final long key;
        V value;
        Node<V> left;
        Node<V> right;
        Node<V> parent;
        int height = 1;

        Node(long key, V value, Node<V> parent) {
            this.key = key;
            this.value = value;
            this.parent = parent;
        }

        long key() {
            return key;
        }

        V value() {
            return value;
        }

        /** The node with the next larger key, or null. */
        Node<V> next() {
            Node<V> n = this;
            if (n.right != null) {
                n = n.right;
                while (n.left != null) {
                    n = n.left;
                }
                return n;
            }
            Node<V> p = n.parent;
            while (p != null && n == p.right) {
                n = p;
                p = p.parent;
            }
            return p;
        }

        /** The node with the next smaller key, or null. */
        Node<V> prev() {
            Node<V> n = this;
            if (n.left != null) {
                n = n.left;
                while (n.right != null) {
                    n = n.right;
                }
                return n;
            }
            Node<V> p = n.parent;
            while (p != null && n == p.left) {
                n = p;
                p = p.parent;
            }
            return p;
        }
    }

    private Node<V> root;
    int size; // package-private for the checker's tests

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    V get(long key) {
        Node<V> n = root;
        while (n != null) {
            if (key < n.key) {
                n = n.left;
            } else if (key > n.key) {
                n = n.right;
            } else {
                return n.value;
            }
        }
        return null;
    }

    /** Greatest key <= key. */
    Node<V> floor(long key) {
        Node<V> n = root;
        Node<V> best = null;
        while (n != null) {
            if (key < n.key) {
                n = n.left;
            } else if (key > n.key) {
                best = n;
                n = n.right;
            } else {
                return n;
            }
        }
        return best;
    }

    /** Greatest key < key. */
    Node<V> lower(long key) {
        Node<V> n = root;
        Node<V> best = null;
        while (n != null) {
            if (n.key < key) {
                best = n;
                n = n.right;
            } else {
                n = n.left;
            }
        }
        return best;
    }

    /** Least key >= key. */
    Node<V> ceiling(long key) {
        Node<V> n = root;
        Node<V> best = null;
        while (n != null) {
            if (key > n.key) {
                n = n.right;
            } else if (key < n.key) {
                best = n;
                n = n.left;
            } else {
                return n;
            }
        }
        return best;
    }

    /** Least key > key. */
    Node<V> higher(long key) {
        Node<V> n = root;
        Node<V> best = null;
        while (n != null) {
            if (n.key > key) {
                best = n;
                n = n.left;
            } else {
                n = n.right;
            }
        }
        return best;
    }

    Node<V> first() {
        Node<V> n = root;
        if (n == null) {
            return null;
        }
        while (n.left != null) {
            n = n.left;
        }
        return n;
    }

    Node<V> last() {
        Node<V> n = root;
        if (n == null) {
            return null;
        }
        while (n.right != null) {
            n = n.right;
        }
        return n;
    }

    /** Maps key to value; returns the previous value or null. */
    V put(long key, V value) {
        int before = size;
        Node<V> n = insert(key, value);
        if (size != before) {
            return null;
        }
        V old = n.value;
        n.value = value;
        return old;
    }

    /**
     * The node of {@code key}: a new one holding {@code value}, or the existing one left as it is
     * (the caller compares its value). Lets a caller go on from the node ({@link Node#prev},
     * {@link Node#next}, {@link #delete}) without walking the tree again.
     */
    Node<V> insert(long key, V value) {
        if (root == null) {
            root = new Node<>(key, value, null);
            size = 1;
            return root;
        }
        Node<V> n = root;
        Node<V> added;
        while (true) {
            if (key < n.key) {
                if (n.left == null) {
                    added = n.left = new Node<>(key, value, n);
                    break;
                }
                n = n.left;
            } else if (key > n.key) {
                if (n.right == null) {
                    added = n.right = new Node<>(key, value, n);
                    break;
                }
                n = n.right;
            } else {
                return n;
            }
        }
        size++;
        rebalanceFrom(n);
        return added;
    }

    /** The node of {@code key}, or null. */
    Node<V> node(long key) {
        Node<V> n = root;
        while (n != null && n.key != key) {
            n = key < n.key ? n.left : n.right;
        }
        return n;
    }

    /**
     * Removes a node of this map found earlier (no walk from the root). Other nodes stay valid:
     * removal relinks nodes, it never moves a key from one node to another.
     */
    void delete(Node<V> n) {
        removeNode(n);
    }

    /** Removes key; returns its value or null. */
    V remove(long key) {
        Node<V> n = node(key);
        if (n == null) {
            return null;
        }
        V old = n.value;
        removeNode(n);
        return old;
    }

    private void removeNode(Node<V> n) {
        size--;
        if (n.left != null && n.right != null) {
            // replace n by its successor s (leftmost of the right subtree), relinking nodes since keys are final
            Node<V> s = n.right;
            while (s.left != null) {
                s = s.left;
            }
            Node<V> fixFrom;
            if (s.parent == n) {
                fixFrom = s;
            } else {
                fixFrom = s.parent;
                fixFrom.left = s.right;
                if (s.right != null) {
                    s.right.parent = fixFrom;
                }
                s.right = n.right;
                s.right.parent = s;
            }
            s.left = n.left;
            s.left.parent = s;
            replaceChild(n.parent, n, s);
            s.parent = n.parent;
            s.height = n.height;
            rebalanceFrom(fixFrom);
            return;
        }
        Node<V> child = n.left != null ? n.left : n.right;
        Node<V> p = n.parent;
        replaceChild(p, n, child);
        if (child != null) {
            child.parent = p;
        }
        if (p != null) {
            rebalanceFrom(p);
        }
    }

    private void replaceChild(Node<V> p, Node<V> old, Node<V> now) {
        if (p == null) {
            root = now;
        } else if (p.left == old) {
            p.left = now;
        } else {
            p.right = now;
        }
    }

    private static int h(Node<?> n) {
        return n == null ? 0 : n.height;
    }

    /** Restores heights and balance from {@code n} up; stops where a balanced subtree kept its height. */
    private void rebalanceFrom(Node<V> n) {
        while (n != null) {
            int hl = h(n.left);
            int hr = h(n.right);
            if (hl - hr > 1) {
                if (h(n.left.left) < h(n.left.right)) {
                    rotateLeft(n.left);
                }
                n = rotateRight(n);
            } else if (hr - hl > 1) {
                if (h(n.right.right) < h(n.right.left)) {
                    rotateRight(n.right);
                }
                n = rotateLeft(n);
            } else {
                int nh = Math.max(hl, hr) + 1;
                if (nh == n.height) {
                    return;
                }
                n.height = nh;
            }
            n = n.parent;
        }
    }

    private Node<V> rotateRight(Node<V> n) {
        Node<V> l = n.left;
        n.left = l.right;
        if (l.right != null) {
            l.right.parent = n;
        }
        l.parent = n.parent;
        replaceChild(n.parent, n, l);
        l.right = n;
        n.parent = l;
        n.height = Math.max(h(n.left), h(n.right)) + 1;
        l.height = Math.max(h(l.left), h(l.right)) + 1;
        return l;
    }

    private Node<V> rotateLeft(Node<V> n) {
        Node<V> r = n.right;
        n.right = r.left;
        if (r.left != null) {
            r.left.parent = n;
        }
        r.parent = n.parent;
        replaceChild(n.parent, n, r);
        r.left = n;
        n.parent = r;
        n.height = Math.max(h(n.left), h(n.right)) + 1;
        r.height = Math.max(h(r.left), h(r.right)) + 1;
        return r;
    }

    /** Values in key order. */
    List<V> values() {
        List<V> out = new ArrayList<>(size);
        for (Node<V> n = first(); n != null; n = n.next()) {
            out.add(n.value);
        }
        return out;
    }

    void forEach(Consumer<V> action) {
        for (Node<V> n = first(); n != null; n = n.next()) {
            action.accept(n.value);
        }
    }

    /** Structural check for tests: order, parent links, heights, balance, size. */
    List<String> check() {
        List<String> p = new ArrayList<>();
        int[] count = {0};
        checkNode(root, null, Long.MIN_VALUE, Long.MAX_VALUE, p, count);
        if (count[0] != size) {
            p.add("size " + size + " but " + count[0] + " nodes");
        }
        return p;
    }

    private int checkNode(Node<V> n, Node<V> parent, long lo, long hi, List<String> p, int[] count) {
        if (n == null) {
            return 0;
        }
        count[0]++;
        if (n.parent != parent) {
            p.add("bad parent link at " + n.key);
        }
        if (n.key < lo || n.key > hi) {
            p.add("order violated at " + n.key);
        }
        int hl = checkNode(n.left, n, lo, n.key - 1, p, count);
        int hr = checkNode(n.right, n, n.key + 1, hi, p, count);
        if (n.height != Math.max(hl, hr) + 1) {
            p.add("bad height at " + n.key + ": " + n.height + " vs " + (Math.max(hl, hr) + 1));
        }
        if (Math.abs(hl - hr) > 1) {
            p.add("unbalanced at " + n.key);
        }
        return Math.max(hl, hr) + 1;
    }
}
