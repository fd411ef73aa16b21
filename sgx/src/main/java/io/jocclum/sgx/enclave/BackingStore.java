package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.epc.BackingMemory;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The enclave's backing store, the shmem file "SGX backing" (encl.c, spec 3.3): evicted contents at
 * file page {@code i} for enclave page {@code i}, the SECS at page {@code size / 4096}, and the
 * 128-byte PCMDs packed 32 per page after that ({@code sgx_encl_get_backing_page_pcmd_offset}).
 *
 * <p>Design: sparse (a map of the file pages that exist); each page is charged to the memory cgroup
 * that was active when it was allocated and uncharged from that one when it is truncated or the file
 * is dropped. After ELDU the contents page is truncated and the PCMD entry zeroed; a PCMD page is
 * truncated when all its entries are zero and no reclaimer is about to write into it (the kernel's
 * {@code reclaimer_writing_to_pcmd} check, modelled with a count of pending writers).
 *
 * <p>Locking: guarded by the enclave lock.
 */
final class BackingStore {

    /**
     * One shmem page. {@code data} has 16 spare bytes after the page: scratch where the paging crypto
     * puts the MAC next to the ciphertext (not part of the file).
     */
    static final class ShmemPage {
        final byte[] data;
        final BackingMemory memcg;
        int pendingWriters;
        /** PCMD entries written by EWB and not yet cleared by a reload (what memchr_inv would find). */
        int liveEntries;

        ShmemPage(BackingMemory memcg, byte[] data) {
            this.memcg = memcg;
            this.data = data;
        }
    }

    /** {@code struct sgx_backing}: the contents page and the PCMD page + offset of one enclave page. */
    record Slot(long pageIndex, ShmemPage contents, ShmemPage pcmd, int pcmdOffset) {
    }

    /** Recycled page buffers, so that steady paging does not allocate (host memory accounting is unchanged). */
    private static final int SPARE_BUFFERS = 64;

    private final long encSize;
    private final Map<Long, ShmemPage> pages = new HashMap<>();
    private final java.util.ArrayDeque<byte[]> spare = new java.util.ArrayDeque<>();
    private long bytes;

    BackingStore(long enclaveSize) {
        this.encSize = enclaveSize;
    }

    /** File offset of the PCMD of enclave page {@code pageIndex}. */
    long pcmdOffset(long pageIndex) {
        return encSize + Pages.SIZE + pageIndex * Pcmd.SIZE;
    }

    /**
     * {@code sgx_encl_alloc_backing}: gets (creating, charged to {@code memcg}) the contents and PCMD
     * pages; null if a charge fails. The PCMD page counts a pending writer until {@link #put}.
     */
    Slot alloc(long pageIndex, BackingMemory memcg) {
        ShmemPage contents = pages.get(pageIndex);
        boolean newContents = false;
        if (contents == null) {
            if (!memcg.tryCharge(Pages.SIZE)) {
                return null;
            }
            contents = new ShmemPage(memcg, buffer(false));
            pages.put(pageIndex, contents);
            bytes += Pages.SIZE;
            newContents = true;
        }
        long pcmdOff = pcmdOffset(pageIndex);
        long pcmdIndex = Pages.index(pcmdOff);
        ShmemPage pcmd = pages.get(pcmdIndex);
        if (pcmd == null) {
            if (!memcg.tryCharge(Pages.SIZE)) {
                if (newContents) {
                    drop(pageIndex);
                }
                return null;
            }
            pcmd = new ShmemPage(memcg, buffer(true));
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
        java.util.Arrays.fill(s.pcmd().data, s.pcmdOffset(), s.pcmdOffset() + Pcmd.SIZE, (byte) 0);
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
            if (spare.size() < SPARE_BUFFERS) {
                spare.push(p.data);
            }
        }
    }

    /** A page buffer (page + 16 bytes of crypto scratch); zero-filled when {@code zeroed}. */
    private byte[] buffer(boolean zeroed) {
        byte[] b = spare.poll();
        if (b == null) {
            return new byte[Pages.SIZE + 16];
        }
        if (zeroed) {
            java.util.Arrays.fill(b, (byte) 0);
        }
        return b;
    }

    /** {@code fput(encl->backing)}: frees every page. */
    void release() {
        for (Long i : new TreeSet<>(pages.keySet())) {
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
        return new TreeSet<>(pages.keySet());
    }
}
