package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The Enclave Page Cache: one or more sections of 4 KiB frames.
 *
 * <p>Design: frames are created on first use through a two-level directory (4096 frames per chunk),
 * and a frame holds host memory only once it stores non-zero data ({@link HostPagePool}, outside the
 * Java heap), so a 64 GiB EPC (16 Mi frames) costs a 4096-entry array until pages are used. Frame numbers (pfn) are global
 * across sections. Lock-free: chunks and frames are published by CAS.
 */
public final class Epc implements AutoCloseable {
    /** Linux's SGX_MAX_EPC_SECTIONS (arch/x86/kernel/cpu/sgx/sgx.h). */
    public static final int MAX_SECTIONS = 8;
    /** Simulated physical address of the first section (an arbitrary PRMRR-like base). */
    static final long PHYS_BASE = 0x80_0000_0000L;
    private static final int CHUNK_SHIFT = 12;
    private static final int CHUNK = 1 << CHUNK_SHIFT;

    private final List<EpcSection> sections;
    private final long totalPages;
    private final AtomicReferenceArray<AtomicReferenceArray<EpcFrame>> directory;
    private final HostPagePool pool = new HostPagePool("epc");
    private final MemorySegment zeroPage = MemorySegment.ofArray(new byte[Pages.SIZE]).asReadOnly();

    /** An EPC with sections of the given sizes in bytes (each a positive multiple of 4096). */
    public Epc(List<Long> sectionBytes) {
        if (sectionBytes.isEmpty() || sectionBytes.size() > MAX_SECTIONS) {
            throw new IllegalArgumentException("an EPC has 1.." + MAX_SECTIONS + " sections (SGX_MAX_EPC_SECTIONS), got "
                    + sectionBytes.size());
        }
        List<EpcSection> s = new ArrayList<>();
        long pfn = 0;
        long phys = PHYS_BASE;
        for (int i = 0; i < sectionBytes.size(); i++) {
            long b = sectionBytes.get(i);
            if (b <= 0 || !Pages.isAligned(b)) {
                throw new IllegalArgumentException("EPC section " + i + " size " + b + " is not a positive multiple of 4096");
            }
            s.add(new EpcSection(i, pfn, Pages.count(b), phys));
            pfn += Pages.count(b);
            phys += b + (1L << 30); // sections are not contiguous in physical memory
        }
        if (pfn > (long) Integer.MAX_VALUE * CHUNK) {
            throw new IllegalArgumentException("EPC of " + pfn + " pages is too large");
        }
        this.sections = List.copyOf(s);
        this.totalPages = pfn;
        this.directory = new AtomicReferenceArray<>((int) ((pfn + CHUNK - 1) >>> CHUNK_SHIFT));
    }

    public List<EpcSection> sections() {
        return sections;
    }

    public long totalPages() {
        return totalPages;
    }

    public long capacityBytes() {
        return Pages.bytes(totalPages);
    }

    /** The frame with global number {@code pfn}, created on first use. */
    public EpcFrame frame(long pfn) {
        if (pfn < 0 || pfn >= totalPages) {
            throw new IllegalArgumentException("pfn " + pfn + " outside the EPC (0.." + (totalPages - 1) + ")");
        }
        int hi = (int) (pfn >>> CHUNK_SHIFT);
        int lo = (int) (pfn & (CHUNK - 1));
        AtomicReferenceArray<EpcFrame> chunk = directory.get(hi);
        if (chunk == null) {
            directory.compareAndSet(hi, null, new AtomicReferenceArray<>(CHUNK));
            chunk = directory.get(hi);
        }
        EpcFrame f = chunk.get(lo);
        if (f == null) {
            chunk.compareAndSet(lo, null, new EpcFrame(this, pfn, sectionOf(pfn)));
            f = chunk.get(lo);
        }
        return f;
    }

    /** Visits every frame created so far (for invariant checks and statistics). */
    public void forEachMaterializedFrame(Consumer<EpcFrame> action) {
        for (int hi = 0; hi < directory.length(); hi++) {
            AtomicReferenceArray<EpcFrame> chunk = directory.get(hi);
            if (chunk != null) {
                for (int lo = 0; lo < CHUNK; lo++) {
                    EpcFrame f = chunk.get(lo);
                    if (f != null) {
                        action.accept(f);
                    }
                }
            }
        }
    }

    public int sectionOf(long pfn) {
        for (EpcSection s : sections) {
            if (s.contains(pfn)) {
                return s.index();
            }
        }
        throw new IllegalArgumentException("pfn " + pfn + " is in no EPC section");
    }

    long physicalAddress(long pfn) {
        EpcSection s = sections.get(sectionOf(pfn));
        return s.physBase() + Pages.bytes(pfn - s.firstPfn());
    }

    /** Host bytes currently reserved for frame contents. */
    public long hostBytes() {
        return pool.hostBytes();
    }

    /** Frames currently holding a host memory chunk. */
    public long materializedPages() {
        return pool.pagesInUse();
    }

    /** Frees the host memory of every frame; the EPC must not be used afterwards. */
    @Override
    public void close() {
        pool.close();
    }

    HostPagePool pool() {
        return pool;
    }

    MemorySegment zeroPage() {
        return zeroPage;
    }
}
