package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.cpu.HostPagePool;
import io.jocclum.sgx.epc.BackingMemory;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The enclave's backing store, the shmem file "SGX backing" (encl.c, spec 3.3): evicted contents at
 * file page {@code i} for enclave page {@code i}, the SECS at page {@code size / 4096}, and the
 * 128-byte PCMDs packed 32 per page after that ({@code sgx_encl_get_backing_page_pcmd_offset}).
 *
 * <p>Design: sparse (a map of the file pages that exist, keyed by the page's number with no boxing
 * and no entry object, see {@link FilePages}); the pages' bytes come from the driver's
 * {@link HostPagePool} (a temporary file mapped outside the Java heap, as the kernel's shmem is host
 * memory outside the enclave), so evicted enclave memory never has to fit in the heap. Each page is charged to the memory cgroup
 * that was active when it was allocated and uncharged from that one when it is truncated or the file
 * is dropped. After ELDU the contents page is truncated and the PCMD entry zeroed; a PCMD page is
 * truncated when all its entries are zero and no reclaimer is about to write into it (the kernel's
 * {@code reclaimer_writing_to_pcmd} check, modelled with a count of pending writers).
 *
 * <p>Locking: guarded by the enclave lock.
 */
final class BackingStore {

    /**
     * One shmem page: 4096 bytes of the host page pool, {@code slab[offset, offset+4096)} (the
     * paging path names it so and makes no segment per page; {@link #data} is one for other uses).
     */
    static final class ShmemPage {
        final long handle;
        final MemorySegment slab;
        final long offset;
        final BackingMemory memcg;
        int pendingWriters;
        /** PCMD entries written by EWB and not yet cleared by a reload (what memchr_inv would find). */
        int liveEntries;

        ShmemPage(BackingMemory memcg, HostPagePool host, long handle) {
            this.memcg = memcg;
            this.handle = handle;
            this.slab = host.slab(handle);
            this.offset = HostPagePool.offset(handle);
        }

        /** The page as a segment of its own. */
        MemorySegment data() {
            return slab.asSlice(offset, Pages.SIZE);
        }
    }

    /** {@code struct sgx_backing}: the contents page and the PCMD page + offset of one enclave page. */
    record Slot(long pageIndex, ShmemPage contents, ShmemPage pcmd, int pcmdOffset) {
    }

    private final long encSize;
    private final HostPagePool host;
    private final FilePages pages = new FilePages();
    private long bytes;

    BackingStore(long enclaveSize, HostPagePool host) {
        this.encSize = enclaveSize;
        this.host = host;
    }

    /** File offset of the PCMD of enclave page {@code pageIndex}. */
    long pcmdOffset(long pageIndex) {
        return encSize + Pages.SIZE + pageIndex * Pcmd.SIZE;
    }

    /**
     * {@code sgx_encl_alloc_backing}: gets (creating, charged to {@code memcg}) the contents and PCMD
     * pages; null if a charge fails or the host has no memory left for the page (what a failed shmem
     * allocation gives the kernel). The PCMD page counts a pending writer until {@link #put}.
     */
    Slot alloc(long pageIndex, BackingMemory memcg) {
        ShmemPage contents = pages.get(pageIndex);
        boolean newContents = false;
        if (contents == null) {
            long data = chargedPage(memcg, false);
            if (data == HostPagePool.NONE) {
                return null;
            }
            contents = new ShmemPage(memcg, host, data);
            pages.put(pageIndex, contents);
            bytes += Pages.SIZE;
            newContents = true;
        }
        long pcmdOff = pcmdOffset(pageIndex);
        long pcmdIndex = Pages.index(pcmdOff);
        ShmemPage pcmd = pages.get(pcmdIndex);
        if (pcmd == null) {
            long data = chargedPage(memcg, true);
            if (data == HostPagePool.NONE) {
                if (newContents) {
                    drop(pageIndex);
                }
                return null;
            }
            pcmd = new ShmemPage(memcg, host, data);
            pages.put(pcmdIndex, pcmd);
            bytes += Pages.SIZE;
        }
        pcmd.pendingWriters++;
        return new Slot(pageIndex, contents, pcmd, Pages.offset(pcmdOff));
    }

    /** {@code sgx_encl_put_backing} after the EWB wrote the slot ({@code written}: the EWB succeeded). */
    void put(Slot s, boolean written) {
        s.pcmd().pendingWriters--;
        if (written) {
            s.pcmd().liveEntries++;
        }
    }

    /** {@code sgx_encl_lookup_backing} for ELDU: null if the contents or PCMD page is missing. */
    Slot lookup(long pageIndex) {
        ShmemPage contents = pages.get(pageIndex);
        long pcmdOff = pcmdOffset(pageIndex);
        ShmemPage pcmd = pages.get(Pages.index(pcmdOff));
        if (contents == null || pcmd == null) {
            return null;
        }
        return new Slot(pageIndex, contents, pcmd, Pages.offset(pcmdOff));
    }

    /** After a successful ELDU: truncate the contents page, zero the PCMD, truncate an empty PCMD page. */
    void truncateAfterLoad(Slot s) {
        drop(s.pageIndex());
        Pcmd.clear(s.pcmd().slab, s.pcmd().offset + s.pcmdOffset());
        s.pcmd().liveEntries--;
        if (s.pcmd().pendingWriters == 0 && s.pcmd().liveEntries == 0) {
            drop(Pages.index(pcmdOffset(s.pageIndex())));
        }
    }

    private void drop(long fileIndex) {
        ShmemPage p = pages.remove(fileIndex);
        if (p != null) {
            p.memcg.uncharge(Pages.SIZE);
            bytes -= Pages.SIZE;
            host.giveHandle(p.handle);
        }
    }

    /** A host page charged to {@code memcg} (zero-filled when {@code zeroed}); NONE if either fails. */
    private long chargedPage(BackingMemory memcg, boolean zeroed) {
        if (!memcg.tryCharge(Pages.SIZE)) {
            return HostPagePool.NONE;
        }
        try {
            return host.takeHandle(zeroed);
        } catch (HostPagePool.HostMemoryExhausted e) {
            memcg.uncharge(Pages.SIZE);
            return HostPagePool.NONE;
        }
    }

    /** {@code fput(encl->backing)}: frees every page. */
    void release() {
        for (long i : pages.keys()) {
            drop(i);
        }
    }

    long bytes() {
        return bytes;
    }

    boolean hasPage(long fileIndex) {
        return pages.containsKey(fileIndex);
    }

    ShmemPage page(long fileIndex) {
        return pages.get(fileIndex);
    }

    TreeSet<Long> fileIndexes() {
        TreeSet<Long> all = new TreeSet<>();
        for (long i : pages.keys()) {
            all.add(i);
        }
        return all;
    }

    /**
     * The file pages that exist, by page number: open addressing with linear probing over parallel
     * arrays (a lookup reads one slot of each, where a {@code HashMap<Long, …>} reads a table slot, an
     * entry and a boxed key, and boxes the key of each call), deletion by moving the entries of the
     * probe run back (no tombstones). Page numbers are never negative, so -1 marks an empty slot.
     */
    static final class FilePages {
        private static final long EMPTY = -1;
        private long[] keys = emptyKeys(16);
        private ShmemPage[] values = new ShmemPage[16];
        private int size;

        private static long[] emptyKeys(int n) {
            long[] k = new long[n];
            Arrays.fill(k, EMPTY);
            return k;
        }

        private int slot(long key) {
            return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> 32) & (keys.length - 1);
        }

        ShmemPage get(long key) {
            int mask = keys.length - 1;
            for (int i = slot(key); ; i = (i + 1) & mask) {
                long k = keys[i];
                if (k == key) {
                    return values[i];
                }
                if (k == EMPTY) {
                    return null;
                }
            }
        }

        boolean containsKey(long key) {
            return get(key) != null;
        }

        /** Adds {@code key} (not present) with {@code value} (not null). */
        void put(long key, ShmemPage value) {
            if (key < 0 || value == null) {
                throw new IllegalArgumentException("file page " + key + " -> " + value);
            }
            if ((size + 1) * 2 > keys.length) {
                rehash(keys.length * 2);
            }
            int mask = keys.length - 1;
            int i = slot(key);
            while (keys[i] != EMPTY) {
                if (keys[i] == key) {
                    throw new IllegalStateException("file page " + key + " already exists");
                }
                i = (i + 1) & mask;
            }
            keys[i] = key;
            values[i] = value;
            size++;
        }

        /** Removes {@code key}; returns its value, or null if it was not present. */
        ShmemPage remove(long key) {
            int mask = keys.length - 1;
            int i = slot(key);
            while (keys[i] != key) {
                if (keys[i] == EMPTY) {
                    return null;
                }
                i = (i + 1) & mask;
            }
            ShmemPage old = values[i];
            // move back the entries after i in the probe run whose home slot does not lie in (i, j]
            for (int j = (i + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
                int home = slot(keys[j]);
                if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
                    keys[i] = keys[j];
                    values[i] = values[j];
                    i = j;
                }
            }
            keys[i] = EMPTY;
            values[i] = null;
            size--;
            return old;
        }

        int size() {
            return size;
        }

        /** The keys present, in ascending order. */
        long[] keys() {
            long[] out = new long[size];
            int n = 0;
            for (long k : keys) {
                if (k != EMPTY) {
                    out[n++] = k;
                }
            }
            Arrays.sort(out);
            return out;
        }

        private void rehash(int capacity) {
            long[] oldKeys = keys;
            ShmemPage[] oldValues = values;
            keys = emptyKeys(capacity);
            values = new ShmemPage[capacity];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != EMPTY) {
                    put(oldKeys[i], oldValues[i]);
                }
            }
        }
    }
}
