package io.jocclum.sgx.image;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Sgx;
import io.jocclum.sgx.measure.MeasurementBuilder;
import io.jocclum.sgx.measure.SigStruct;

import java.security.interfaces.RSAPrivateCrtKey;
import java.util.function.LongConsumer;
import java.util.List;

/**
 * What is loaded into an enclave before EINIT: the ECREATE inputs and the pages to EADD, in order,
 * each measured (EEXTEND) or not. The one model of an enclave image: the LibOS's layout produces
 * it, the selftest's and the benchmarks' enclaves are written as one, and every path walks it the
 * same way.
 *
 * <p><b>Contract.</b> {@link #load} is the load sequence: ECREATE with SSAFRAMESIZE and SECS.SIZE,
 * then segment by segment, each page's EADD (offset relative to SECS.BASEADDR, SECINFO.FLAGS)
 * followed, for measured segments, by its sixteen EEXTENDs. {@link #mrEnclave} feeds that sequence
 * to {@link MeasurementBuilder} (the one implementation of the SDM's records, which the simulated
 * CPU also uses), and the driver-level loader ({@code sgx.driver.EnclaveLoader}) issues the
 * same pages in the same order through SGX_IOC_ENCLAVE_ADD_PAGES (SGX_PAGE_MEASURE for measured
 * segments, which makes the driver EEXTEND each page it adds). A loaded enclave therefore ends EINIT
 * with {@link #mrEnclave}'s value by construction.
 *
 * <p>Cost of measuring: one 64-byte record per page added plus 16 records of 320 bytes per measured
 * page ({@link #hashedBytes}); uniform pages (zero, filled) are never materialised more than once.
 *
 * @param base     SECS.BASEADDR (naturally aligned to SECS.SIZE; not measured)
 * @param params   the ECREATE inputs
 * @param segments the page ranges to add, in order
 */
public record EnclaveImage(long base, SecsParams params, List<Segment> segments) {

    /**
     * A page-aligned range added with one SECINFO.
     *
     * @param offset   offset in ELRANGE
     * @param length   bytes (a positive multiple of 4096)
     * @param secInfo  SECINFO of every page
     * @param content  what each page holds ({@link PageSource.Bytes} no longer than {@code length},
     *                 zero after its end)
     * @param measured EEXTEND the pages
     */
    public record Segment(long offset, long length, SecInfo secInfo, PageSource content, boolean measured) {
        public Segment {
            if (!Pages.isAligned(offset) || length <= 0 || !Pages.isAligned(length)) {
                throw new IllegalArgumentException("segment at 0x" + Long.toHexString(offset) + " of " + length
                        + " bytes is not a page-aligned range");
            }
            if (content instanceof PageSource.Bytes b && b.length() > length) {
                throw new IllegalArgumentException("segment data has " + b.length() + " bytes, length is " + length);
            }
        }

        /** A segment of {@code data} ({@code length} bytes at most, zero after its end). */
        public Segment(long offset, long length, SecInfo secInfo, byte[] data, boolean measured) {
            this(offset, length, secInfo, new PageSource.Bytes(data), measured);
        }

        /** A segment of zero pages. */
        public static Segment zero(long offset, long length, SecInfo secInfo, boolean measured) {
            return new Segment(offset, length, secInfo, PageSource.ZERO, measured);
        }

        public long pages() {
            return length / Pages.SIZE;
        }
    }

    public EnclaveImage {
        segments = List.copyOf(segments);
    }

    /** An image whose ECREATE inputs are SECS.SIZE {@code size}, SSAFRAMESIZE, ATTRIBUTES and MISCSELECT. */
    public EnclaveImage(long base, long size, int ssaFrameSize, Attributes attributes, int miscSelect,
                        List<Segment> segments) {
        this(base, new SecsParams(size, ssaFrameSize, attributes, miscSelect), segments);
    }

    /** SECS.SIZE. */
    public long size() {
        return params.size();
    }

    /** The 4096-byte SECS for SGX_IOC_ENCLAVE_CREATE. */
    public byte[] secs() {
        return params.secsPage(base);
    }

    /**
     * Replays the load into {@code sink} (see the class comment). One page buffer is reused;
     * uniform segments fill it once.
     */
    public void load(LoadSink sink) {
        sink.ecreate(params);
        byte[] page = new byte[Pages.SIZE];
        for (Segment s : segments) {
            PageSource src = s.content();
            boolean uniform = src.uniform();
            if (uniform) {
                src.page(0, page);
            }
            long pages = s.pages();
            for (long i = 0; i < pages; i++) {
                if (!uniform) {
                    src.page(i, page);
                }
                long at = s.offset() + i * Pages.SIZE;
                sink.eadd(at, s.secInfo(), page);
                if (s.measured()) {
                    for (int c = 0; c < Pages.SIZE; c += Sgx.EEXTEND_BLOCK) {
                        sink.eextend(at + c, page, c);
                    }
                }
            }
        }
    }

    /** MRENCLAVE of this image (SDM Vol. 3D, 38.3): {@link #load} fed to {@link MeasurementBuilder}. */
    public byte[] mrEnclave() {
        return mrEnclave(done -> { });
    }

    /** Pages between two reports of {@link #mrEnclave(LongConsumer)}. */
    public static final long PROGRESS_PAGES = 1 << 16;

    /**
     * As {@link #mrEnclave()}, telling {@code pagesDone} how many pages have been hashed every
     * {@link #PROGRESS_PAGES} pages and at the end (out of {@link #eaddCount()}). An interrupt of
     * the calling thread stops the walk with a {@link java.util.concurrent.CancellationException}.
     */
    public byte[] mrEnclave(LongConsumer pagesDone) {
        MeasurementBuilder mb = new MeasurementBuilder();
        long[] done = {0};
        load(new LoadSink() {
            @Override
            public void ecreate(SecsParams secs) {
                mb.ecreate(secs.ssaFrameSize(), secs.size());
            }

            @Override
            public void eadd(long offset, SecInfo secInfo, byte[] page) {
                mb.eadd(offset, secInfo);
                if (++done[0] % PROGRESS_PAGES == 0) {
                    if (Thread.interrupted()) {
                        throw new java.util.concurrent.CancellationException("measurement interrupted");
                    }
                    pagesDone.accept(done[0]);
                }
            }

            @Override
            public void eextend(long offset, byte[] page, int from) {
                mb.eextend(offset, page, from);
            }
        });
        pagesDone.accept(done[0]);
        return mb.finish();
    }

    /** Pages EADDed. */
    public long eaddCount() {
        return segments.stream().mapToLong(Segment::pages).sum();
    }

    /** 256-byte EEXTEND records. */
    public long eextendCount() {
        return segments.stream().filter(Segment::measured)
                .mapToLong(s -> s.pages() * (Pages.SIZE / Sgx.EEXTEND_BLOCK)).sum();
    }

    /**
     * Bytes {@link #mrEnclave} feeds to SHA-256: the ECREATE record, one 64-byte record per page
     * added and 64 + 256 bytes per EEXTEND. Hashing runs at roughly 1 GB/s on one core, so this is
     * the cost of measuring.
     */
    public long hashedBytes() {
        return 64 + 64 * eaddCount() + (64 + 256) * eextendCount();
    }

    /**
     * The unsigned SIGSTRUCT body of this image measured as {@code mrEnclave}: its MISCSELECT and
     * ATTRIBUTES, the SGX SDK's default attribute mask, and the signer's identity fields
     * ({@code isvFamilyId} and {@code isvExtProdId} 16 bytes each). {@code bcdDate} as
     * {@link SigStruct#bcdDate}.
     */
    public SigStruct sigStruct(byte[] mrEnclave, int bcdDate, int miscMask, byte[] isvFamilyId, byte[] isvExtProdId,
                               int isvProdId, int isvSvn) {
        return SigStruct.unsigned(bcdDate, params.miscSelect(), miscMask, isvFamilyId, params.attributes(),
                Attributes.SDK_DEFAULT_MASK, mrEnclave, isvExtProdId, isvProdId, isvSvn);
    }

    /** A SIGSTRUCT for this image signed with {@code key}, enforcing every attribute except DEBUG. */
    public SigStruct sign(RSAPrivateCrtKey key, int isvProdId, int isvSvn) {
        return sigStruct(mrEnclave(), SigStruct.bcdDate(2026, 1, 1), 0xFFFFFFFF, new byte[16], new byte[16], isvProdId,
                isvSvn).sign(key);
    }
}
