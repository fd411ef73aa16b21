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
     * One PCMD page: 4096 bytes of the host page pool, {@code slab[offset, offset+4096)} (the paging
     * path names it so and makes no segment per page; {@link #data} is one for other uses), with the
     * counts that decide when it can be truncated. Contents pages have no object: their map entry
     * holds the host page's handle and the memory cgroup charged.
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

    /**
     * {@code struct sgx_backing}: the contents page ({@code contentsSlab[contentsOffset, +4096)}, the
     * host page {@code contents}, charged to {@code memcg}) and the PCMD page + offset of one enclave page.
     */
    record Slot(long pageIndex, long contents, MemorySegment contentsSlab, long contentsOffset, BackingMemory memcg,
                ShmemPage pcmd, int pcmdOffset) {
        /** The contents page as a segment of its own. */
        MemorySegment contentsData() {
            return contentsSlab.asSlice(contentsOffset, Pages.SIZE);
        }
    }

    private final long encSize;
    private final HostPagePool host;
    /** Contents pages (enclave pages and the SECS): the host page's handle and the memcg charged. */
    private final FilePages<BackingMemory> contents = new FilePages<>();
    /** PCMD pages. */
    private final FilePages<ShmemPage> pcmds = new FilePages<>();
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
        int at = contents.find(pageIndex);
        long data;
        BackingMemory charged;
        boolean newContents = false;
        if (at >= 0) {
            data = contents.handleAt(at);
            charged = contents.valueAt(at);
        } else {
            data = chargedPage(memcg, false);
            if (data == HostPagePool.NONE) {
                return null;
            }
            charged = memcg;
            contents.put(pageIndex, data, memcg);
            bytes += Pages.SIZE;
            newContents = true;
        }
        long pcmdOff = pcmdOffset(pageIndex);
        long pcmdIndex = Pages.index(pcmdOff);
        ShmemPage pcmd = pcmds.get(pcmdIndex);
        if (pcmd == null) {
            long pd = chargedPage(memcg, true);
            if (pd == HostPagePool.NONE) {
                if (newContents) {
                    drop(pageIndex);
                }
                return null;
            }
            pcmd = new ShmemPage(memcg, host, pd);
            pcmds.put(pcmdIndex, pd, pcmd);
            bytes += Pages.SIZE;
        }
        pcmd.pendingWriters++;
        return new Slot(pageIndex, data, host.slab(data), HostPagePool.offset(data), charged, pcmd, Pages.offset(pcmdOff));
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
        int at = contents.find(pageIndex);
        long pcmdOff = pcmdOffset(pageIndex);
        ShmemPage pcmd = pcmds.get(Pages.index(pcmdOff));
        if (at < 0 || pcmd == null) {
            return null;
        }
        long data = contents.handleAt(at);
        return new Slot(pageIndex, data, host.slab(data), HostPagePool.offset(data), contents.valueAt(at), pcmd,
                Pages.offset(pcmdOff));
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
        int at = contents.find(fileIndex);
        FilePages<?> map = contents;
        if (at < 0) {
            at = pcmds.find(fileIndex);
            map = pcmds;
            if (at < 0) {
                return;
            }
        }
        long handle = map.handleAt(at);
        BackingMemory memcg = map == contents ? contents.valueAt(at) : pcmds.valueAt(at).memcg;
        map.removeAt(at);
        memcg.uncharge(Pages.SIZE);
        bytes -= Pages.SIZE;
        host.giveHandle(handle);
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
        for (long i : fileIndexArray()) {
            drop(i);
        }
    }

    long bytes() {
        return bytes;
    }

    boolean hasPage(long fileIndex) {
        return contents.find(fileIndex) >= 0 || pcmds.find(fileIndex) >= 0;
    }

    /** File page {@code fileIndex} as a segment of its own, or null if it does not exist. */
    MemorySegment data(long fileIndex) {
        int at = contents.find(fileIndex);
        if (at >= 0) {
            return host.segment(contents.handleAt(at));
        }
        ShmemPage p = pcmds.get(fileIndex);
        return p == null ? null : p.data();
    }

    TreeSet<Long> fileIndexes() {
        TreeSet<Long> all = new TreeSet<>();
        for (long i : fileIndexArray()) {
            all.add(i);
        }
        return all;
    }

    /** The file pages that exist, in ascending order. */
    private long[] fileIndexArray() {
        long[] a = contents.keys();
        long[] b = pcmds.keys();
        long[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        Arrays.sort(all);
        return all;
    }

    /**
     * File pages by page number, each with a host page handle and a value: open addressing with
     * linear probing over parallel arrays (a lookup reads one slot of each, where a
     * {@code HashMap<Long, …>} reads a table slot, an entry and a boxed key, and boxes the key of
     * each call), deletion by moving the entries of the probe run back (no tombstones). Page numbers
     * are never negative, so -1 marks an empty slot. {@link #find} gives a slot for the accessors,
     * valid until the next change.
     */
    static final class FilePages<V> {
        private static final long EMPTY = -1;
        private long[] keys = emptyKeys(16);
        private long[] handles = new long[16];
        private Object[] values = new Object[16];
        private int size;

        private static long[] emptyKeys(int n) {
            long[] k = new long[n];
            Arrays.fill(k, EMPTY);
            return k;
        }

        private int home(long key) {
            return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> 32) & (keys.length - 1);
        }

        /** The slot of {@code key}, or -1 if it is not present. */
        int find(long key) {
            int mask = keys.length - 1;
            for (int i = home(key); ; i = (i + 1) & mask) {
                long k = keys[i];
                if (k == key) {
                    return i;
                }
                if (k == EMPTY) {
                    return -1;
                }
            }
        }

        long handleAt(int slot) {
            return handles[slot];
        }

        @SuppressWarnings("unchecked")
        V valueAt(int slot) {
            return (V) values[slot];
        }

        /** The value of {@code key}, or null if it is not present. */
        V get(long key) {
            int at = find(key);
            return at < 0 ? null : valueAt(at);
        }

        /** Adds {@code key} (not present) with its host page {@code handle} and {@code value} (not null). */
        void put(long key, long handle, V value) {
            if (key < 0 || value == null) {
                throw new IllegalArgumentException("file page " + key + " -> " + value);
            }
            if ((size + 1) * 2 > keys.length) {
                rehash(keys.length * 2);
            }
            int mask = keys.length - 1;
            int i = home(key);
            while (keys[i] != EMPTY) {
                if (keys[i] == key) {
                    throw new IllegalStateException("file page " + key + " already exists");
                }
                i = (i + 1) & mask;
            }
            keys[i] = key;
            handles[i] = handle;
            values[i] = value;
            size++;
        }

        /** Removes {@code key}; returns its value, or null if it was not present. */
        V remove(long key) {
            int at = find(key);
            if (at < 0) {
                return null;
            }
            V old = valueAt(at);
            removeAt(at);
            return old;
        }

        /** Removes the entry in {@code slot} (from {@link #find}). */
        void removeAt(int slot) {
            int mask = keys.length - 1;
            int i = slot;
            // move back the entries after i in the probe run whose home slot does not lie in (i, j]
            for (int j = (i + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
                int h = home(keys[j]);
                if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
                    keys[i] = keys[j];
                    handles[i] = handles[j];
                    values[i] = values[j];
                    i = j;
                }
            }
            keys[i] = EMPTY;
            handles[i] = 0;
            values[i] = null;
            size--;
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
            long[] oldHandles = handles;
            Object[] oldValues = values;
            keys = emptyKeys(capacity);
            handles = new long[capacity];
            values = new Object[capacity];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != EMPTY) {
                    @SuppressWarnings("unchecked")
                    V v = (V) oldValues[i];
                    put(oldKeys[i], oldHandles[i], v);
                }
            }
        }
    }
}
