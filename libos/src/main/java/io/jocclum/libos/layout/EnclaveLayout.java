package io.jocclum.libos.layout;

import io.jocclum.libos.config.ConfigException;
import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.libos.config.Resolver;
import io.jocclum.libos.config.Sizes;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.image.PageSource;
import io.jocclum.sgx.image.SecsParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The enclave's memory: SECS parameters and the ordered, non-overlapping regions of ELRANGE, each
 * with its SECINFO, whether the loader adds it and whether it is measured.
 *
 * <p>Order (offsets ascending, each region page-aligned):
 * <ol>
 *   <li>{@code libos.text} (1 page, R-X, measured) and {@code libos.data} (R--, measured:
 *       {@link MeasuredData});</li>
 *   <li>{@code kernel-heap}: HeapInitSize, RW, EADD only; then {@code kernel-heap.dynamic} up to
 *       HeapMaxSize (EDMM, uncommitted). The SDK keeps HEAP_MIN/INIT/MAX contiguous, so do we: one
 *       range for the kernel allocator;</li>
 *   <li>per TCS of TCSNum, a thread context: guard page (never added), kernel stack of
 *       StackMaxSize (RW, 0xCC, measured), TCS (measured), NSSA x SSAFRAMESIZE SSA pages (RW,
 *       zero, measured), thread data (RW, measured) — the SDK's guard|stack|TCS|SSA|TD order;</li>
 *   <li>{@code tcs-pool}: room for TCSMaxNum - TCSNum more contexts (EDMM, uncommitted);</li>
 *   <li>{@code reserved-user-memory}: ReservedMemMaxSize, RWX (ReservedMemExecutable=1), EADD
 *       only, 4 MB aligned after at least one hole page;</li>
 *   <li>{@code user-region}: UserRegionSize, RWX once committed (EDMM only, uncommitted), 4 MB
 *       aligned after at least one hole page (the gap the LibOS VM never uses).</li>
 * </ol>
 * SECS.SIZE is the smallest power of two holding everything; SSAFRAMESIZE is 1 page (3 with AMX,
 * whose 8 KB tile data joins the XSAVE area); NSSA is the SDK's 2. ATTRIBUTES: MODE64BIT, DEBUG if
 * debuggable, KSS if enabled; XFRM x87|SSE, plus PKRU (bit 9) or AMX TILECFG|TILEDATA (bits 17, 18)
 * when required (value 1). MISCSELECT is Enclave.xml's (EXINFO on EDMM).
 *
 * <p>This is the LibOS's plan of an Occlum enclave (which regions it has, what they hold, what
 * stays for EDMM); what is loaded is its {@link #image()}, the sgx module's {@link EnclaveImage},
 * whose one load walk gives both the build's MRENCLAVE and the boot's ADD_PAGES.
 *
 * <p>Immutable; the page contents are computed on demand and never materialised for zero or
 * filled regions.
 */
public final class EnclaveLayout {
    /** SSA frames per TCS (SGX SDK SSA_NUM). */
    public static final int NSSA = 2;
    /** Alignment of the user-memory regions: Occlum's VM tracks commits in 4 MB units (PAGE_CHUNK_UNIT). */
    public static final long USER_ALIGN = 4 * Sizes.MB;
    /** Size of the GPRSGX area at the end of each SSA frame (SDM Vol. 3D, 34.9.1). */
    static final int GPRSGX_SIZE = 184;
    /** The SDK fills stacks with 0xCC so that stack use can be measured. */
    static final byte STACK_FILL = (byte) 0xCC;
    /** XCR0 bit of PKRU state (SDM Vol. 1, 13.1). */
    static final long XFRM_PKRU = 1L << 9;
    /** XCR0 bits of AMX TILECFG and TILEDATA (SDM Vol. 1, 13.1). */
    static final long XFRM_AMX = (1L << 17) | (1L << 18);

    private final EnclaveXml xml;
    private final SecsParams secs;
    private final List<Region> regions;
    private final MeasuredData data;
    private final long threadContextSize;
    private final EnclaveImage image;

    private EnclaveLayout(EnclaveXml xml, SecsParams secs, List<Region> regions, MeasuredData data, long threadContextSize) {
        this.xml = xml;
        this.secs = secs;
        this.regions = Collections.unmodifiableList(regions);
        this.data = data;
        this.threadContextSize = threadContextSize;
        List<EnclaveImage.Segment> segments = new ArrayList<>();
        for (Region r : regions) {
            if (r.committedAtLoad()) {
                segments.add(new EnclaveImage.Segment(r.offset(), r.size(), r.secInfo(), r.content(), r.measured()));
            }
        }
        this.image = new EnclaveImage(secs.size(), secs, segments);
    }

    /**
     * Lays out the enclave. {@link ConfigException} when it does not fit the 128 TB a 64-bit
     * enclave can span on Linux.
     */
    public static EnclaveLayout plan(EnclaveXml xml, byte[] internalConfig, byte[] imageDigest) {
        boolean edmm = xml.edmm();
        int ssaFrame = xml.amx() == 1 ? 3 : 1;
        long flags = Attributes.MODE64BIT | (xml.disableDebug() == 0 ? Attributes.DEBUG : 0)
                | (xml.enableKss() == 1 ? Attributes.KSS : 0);
        long xfrm = Attributes.XFRM_LEGACY | (xml.pkru() == 1 ? XFRM_PKRU : 0) | (xml.amx() == 1 ? XFRM_AMX : 0);
        Attributes attributes = new Attributes(flags, xfrm);
        int tcsNum = Math.toIntExact(xml.tcsNum());
        int tcsMax = Math.toIntExact(xml.tcsMaxNum());
        long stack = xml.stackMaxSize();
        long ssaBytes = (long) NSSA * ssaFrame * Pages.SIZE;
        long heapDynamic = edmm ? xml.heapMaxSize() - xml.heapInitSize() : 0;
        int count = 3 + (heapDynamic > 0 ? 1 : 0) + 5 * tcsNum + (tcsMax > tcsNum ? 1 : 0) + 1 + (edmm ? 1 : 0);
        long dataSize = Pages.upExact(MeasuredData.encodedSize(internalConfig.length, count));
        List<Region> rs = new ArrayList<>(count);
        long ctx;
        long end;
        try {
            ctx = Math.addExact(Math.addExact(Pages.SIZE, stack), Pages.SIZE + ssaBytes + Pages.SIZE);
            long off = 0;
            rs.add(new Region(RegionKind.LIBOS_TEXT, -1, off, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.X), true, true,
                    new PageSource.Bytes(LibosImage.textPage())));
            off += Pages.SIZE;
            int dataIndex = rs.size();
            rs.add(new Region(RegionKind.LIBOS_DATA, -1, off, dataSize, SecInfo.reg(SecInfo.R), true, true, PageSource.ZERO));
            off += dataSize;
            SecInfo rw = SecInfo.reg(SecInfo.R | SecInfo.W);
            rs.add(new Region(RegionKind.KERNEL_HEAP, -1, off, xml.heapInitSize(), rw, false, true, PageSource.ZERO));
            off = Math.addExact(off, xml.heapInitSize());
            if (heapDynamic > 0) {
                rs.add(new Region(RegionKind.KERNEL_HEAP_DYNAMIC, -1, off, heapDynamic, rw, false, false, PageSource.ZERO));
                off = Math.addExact(off, heapDynamic);
            }
            for (int t = 0; t < tcsNum; t++) {
                long guard = off;
                long stackAt = guard + Pages.SIZE;
                long tcsAt = stackAt + stack;
                long ssaAt = tcsAt + Pages.SIZE;
                long tdAt = ssaAt + ssaBytes;
                rs.add(new Region(RegionKind.GUARD, t, guard, Pages.SIZE, SecInfo.reg(0), false, false, PageSource.ZERO));
                rs.add(new Region(RegionKind.STACK, t, stackAt, stack, rw, true, true, new PageSource.Fill(STACK_FILL)));
                rs.add(new Region(RegionKind.TCS, t, tcsAt, Pages.SIZE, SecInfo.of(PageType.TCS, 0), true, true,
                        new PageSource.Bytes(tcsPage(ssaAt, ssaFrame, tdAt))));
                rs.add(new Region(RegionKind.SSA, t, ssaAt, ssaBytes, rw, true, true, PageSource.ZERO));
                rs.add(new Region(RegionKind.THREAD_DATA, t, tdAt, Pages.SIZE, rw, true, true,
                        new PageSource.Bytes(threadData(t, tdAt, stackAt, stack, tcsAt, ssaAt, ssaFrame))));
                off = Math.addExact(off, ctx);
            }
            if (tcsMax > tcsNum) {
                long pool = Math.multiplyExact(ctx, (long) (tcsMax - tcsNum));
                rs.add(new Region(RegionKind.TCS_POOL, -1, off, pool, rw, false, false,
                        PageSource.ZERO));
                off = Math.addExact(off, pool);
            }
            SecInfo rwx = SecInfo.reg(SecInfo.R | SecInfo.W | SecInfo.X);
            off = alignUp(Math.addExact(off, Pages.SIZE), USER_ALIGN);
            rs.add(new Region(RegionKind.RESERVED_USER, -1, off, xml.reservedMemMaxSize(), rwx, false, true, PageSource.ZERO));
            off = Math.addExact(off, xml.reservedMemMaxSize());
            if (edmm) {
                off = alignUp(Math.addExact(off, Pages.SIZE), USER_ALIGN);
                long user = xml.userRegionSize().getAsLong();
                rs.add(new Region(RegionKind.USER_REGION, -1, off, user, rwx, false, false, PageSource.ZERO));
                off = Math.addExact(off, user);
            }
            end = off;
            if (end > Resolver.MAX_ADDRESS_SPACE) {
                throw new ArithmeticException();
            }
            SecsParams secs = new SecsParams(Math.max(2 * Pages.SIZE, ceilPow2(end)), ssaFrame, attributes, (int) xml.miscSelect());
            List<MeasuredData.Entry> entries = new ArrayList<>(rs.size());
            for (Region r : rs) {
                entries.add(new MeasuredData.Entry(r.kind(), r.thread(), r.offset(), r.size(), r.secInfo(), r.measured(),
                        r.committedAtLoad()));
            }
            MeasuredData data = new MeasuredData(LibosImage.VERSION, imageDigest, internalConfig, secs, NSSA, edmm, ctx,
                    tcsNum, tcsMax, entries);
            byte[] blob = data.encode();
            if (blob.length > dataSize) {
                throw new IllegalStateException("measured data of " + blob.length + " bytes exceeds its " + dataSize);
            }
            Region d = rs.get(dataIndex);
            rs.set(dataIndex, new Region(d.kind(), d.thread(), d.offset(), d.size(), d.secInfo(), true, true,
                    new PageSource.Bytes(blob)));
            return new EnclaveLayout(xml, secs, rs, data, ctx);
        } catch (ArithmeticException e) {
            throw ConfigException.single("Occlum.json", "resource_limits", "the enclave does not fit in 128TB, the"
                    + " largest address range of a 64-bit enclave on Linux; lower the sizes or the number of threads.");
        }
    }

    /**
     * A TCS (SDM Vol. 3D, 34.8.1): FLAGS 0, OSSA, CSSA 0, NSSA, OENTRY = the entry page (offset 0),
     * OFSBASE = OGSBASE = the thread data, FSLIMIT = GSLIMIT = 0xFFF; everything else zero.
     */
    static byte[] tcsPage(long ssaAt, int ssaFrame, long tdAt) {
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0);              // STATE (reserved for the CPU)
        b.putLong(8, 0);              // FLAGS: DBGOPTIN clear
        b.putLong(16, ssaAt);         // OSSA
        b.putInt(24, 0);              // CSSA
        b.putInt(28, NSSA);           // NSSA
        b.putLong(32, 0);             // OENTRY: libos.text
        b.putLong(40, 0);             // AEP: set by EENTER
        b.putLong(48, tdAt);          // OFSBASE
        b.putLong(56, tdAt);          // OGSBASE
        b.putInt(64, 0xFFF);          // FSLIMIT
        b.putInt(68, 0xFFF);          // GSLIMIT
        return b.array();
    }

    /**
     * Thread data after the first fields of the SDK's thread_data_t, as enclave offsets (the
     * runtime relocates them): self, last_sp (= stack base), stack_base, stack_limit,
     * first_ssa_gpr, then our TCS offset and thread index.
     */
    static byte[] threadData(int thread, long tdAt, long stackAt, long stack, long tcsAt, long ssaAt, int ssaFrame) {
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long base = stackAt + stack;
        b.putLong(tdAt).putLong(base).putLong(base).putLong(stackAt)
                .putLong(ssaAt + (long) ssaFrame * Pages.SIZE - GPRSGX_SIZE)
                .putLong(tcsAt).putInt(thread);
        return b.array();
    }

    private static long alignUp(long v, long a) {
        return Math.addExact(v, a - 1) & -a;
    }

    private static long ceilPow2(long v) {
        long h = Long.highestOneBit(v);
        return h == v ? v : Math.multiplyExact(h, 2L);
    }

    // ---- queries ------------------------------------------------------------------------------

    public SecsParams secs() {
        return secs;
    }

    /**
     * What the loader adds: the regions added at load, in order, as an {@link EnclaveImage} at
     * SECS.BASEADDR = SECS.SIZE (the lowest naturally aligned base above 0). Its
     * {@link EnclaveImage#mrEnclave} is the build's MRENCLAVE and the boot loads exactly it, so the
     * two agree by construction.
     */
    public EnclaveImage image() {
        return image;
    }

    public boolean edmm() {
        return xml.edmm();
    }

    public EnclaveXml enclaveXml() {
        return xml;
    }

    /** The regions in offset order. */
    public List<Region> regions() {
        return regions;
    }

    /** The measured data this layout carries (its table describes {@link #regions()}). */
    public MeasuredData measuredData() {
        return data;
    }

    /** Guard + stack + TCS + SSA + thread data: the stride of thread contexts, also inside the TCS pool. */
    public long threadContextSize() {
        return threadContextSize;
    }

    /** The first region of {@code kind}; {@code IllegalArgumentException} if there is none. */
    public Region region(RegionKind kind) {
        for (Region r : regions) {
            if (r.kind() == kind) {
                return r;
            }
        }
        throw new IllegalArgumentException("this layout has no " + kind + " region");
    }

    public boolean has(RegionKind kind) {
        return regions.stream().anyMatch(r -> r.kind() == kind);
    }

    /** Pages EADDed at load. */
    public long eaddCount() {
        return image.eaddCount();
    }

    /** 256-byte EEXTEND records at load. */
    public long eextendCount() {
        return image.eextendCount();
    }

    /** Bytes of EPC the loader commits before EINIT. */
    public long committedAtLoadBytes() {
        return regions.stream().filter(Region::committedAtLoad).mapToLong(Region::size).sum();
    }

    /** Bytes that EDMM may commit later (kernel heap above Init, TCS pool, user region). */
    public long onDemandBytes() {
        return regions.stream().filter(r -> r.kind().dynamic()).mapToLong(Region::size).sum();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("EnclaveLayout[SECS.SIZE=" + Sizes.human(secs.size()) + ", "
                + (edmm() ? "EDMM" : "non-EDMM") + "]");
        for (Region r : regions) {
            if (r.thread() <= 0) {
                b.append("\n  ").append(r);
            }
        }
        return b.toString();
    }
}
