package io.jocclum.sgx.enclave;

import java.util.function.Consumer;

/**
 * {@code encl->va_pages}: the enclave's VA pages, the one with free slots first. New VA pages go
 * to the head; EWB takes a slot from the head and moves a full page to the tail; ELDU frees a slot
 * and moves its page to the head (encl.c, spec 3.2). Intrusive, O(1). Guarded by the enclave lock.
 */
final class VaList {
    private VaPage head;
    private VaPage tail;
    private int size;

    void addHead(VaPage v) {
        v.prev = null;
        v.next = head;
        if (head != null) {
            head.prev = v;
        } else {
            tail = v;
        }
        head = v;
        size++;
    }

    void remove(VaPage v) {
        if (v.prev == null) {
            head = v.next;
        } else {
            v.prev.next = v.next;
        }
        if (v.next == null) {
            tail = v.prev;
        } else {
            v.next.prev = v.prev;
        }
        v.prev = null;
        v.next = null;
        size--;
    }

    void moveToTail(VaPage v) {
        if (tail != v) {
            remove(v);
            v.prev = tail;
            v.next = null;
            if (tail != null) {
                tail.next = v;
            } else {
                head = v;
            }
            tail = v;
            size++;
        }
    }

    void moveToHead(VaPage v) {
        if (head != v) {
            remove(v);
            addHead(v);
        }
    }

    VaPage first() {
        return head;
    }

    int size() {
        return size;
    }

    void forEach(Consumer<VaPage> action) {
        for (VaPage v = head; v != null; v = v.next) {
            action.accept(v);
        }
    }
}
