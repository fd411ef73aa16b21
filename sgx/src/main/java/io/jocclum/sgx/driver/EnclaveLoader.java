package io.jocclum.sgx.driver;

import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.image.PageSource;
import io.jocclum.sgx.measure.SigStruct;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The untrusted runtime's enclave loader: CREATE with the image's SECS, then SGX_IOC_ENCLAVE_ADD_PAGES
 * of every segment in order, at most {@link #CHUNK_PAGES} pages per call, with SGX_PAGE_MEASURE for
 * measured segments (the driver EADDs each page and EEXTENDs its sixteen chunks), resuming after
 * partial progress; {@link #load} then INITs with the SIGSTRUCT. These are the pages, offsets,
 * SECINFOs and contents {@link EnclaveImage#load} walks, in the same order, so the CPU's MRENCLAVE
 * is {@link EnclaveImage#mrEnclave} (see there). Zero pages come from one shared zero buffer, so a
 * large zero heap costs no host memory for its source.
 */
public final class EnclaveLoader {
    /** Pages per ADD_PAGES call of {@link #add(EnclaveImage)}. */
    public static final int CHUNK_PAGES = 64;
    private static final byte[] ZERO = new byte[CHUNK_PAGES * Pages.SIZE];

    /**
     * One SGX_IOC_ENCLAVE_ADD_PAGES of a load: {@code pages} pages of {@code segment} from its page
     * {@code first}.
     */
    public record Add(EnclaveImage.Segment segment, long first, long pages) {
        /** Offset in ELRANGE of the first page. */
        public long offset() {
            return segment.offset() + first * Pages.SIZE;
        }

        public long length() {
            return pages * Pages.SIZE;
        }

        /** The ioctl argument adding this range from byte {@code done} on (0, or the progress of earlier calls). */
        public SgxIoctl.AddPages request(long done) {
            if (!Pages.isAligned(done) || done < 0 || done >= length()) {
                throw new IllegalArgumentException("progress " + done + " is not a page inside this add of " + length()
                        + " bytes");
            }
            long skip = done / Pages.SIZE;
            return new SgxIoctl.AddPages(source(segment.content(), first + skip, pages - skip), offset() + done,
                    length() - done, segment.secInfo(), segment.measured() ? SgxIoctl.SGX_PAGE_MEASURE : 0);
        }
    }

    private final EnclaveFd fd;
    private long pagesAdded;

    /** A loader adding to the enclave of {@code fd} (not yet created). */
    public EnclaveLoader(EnclaveFd fd) {
        this.fd = fd;
    }

    /**
     * The ADD_PAGES calls that load {@code image}, in order: each segment split into runs of at
     * most {@code maxPages} pages.
     */
    public static List<Add> adds(EnclaveImage image, long maxPages) {
        if (maxPages < 1) {
            throw new IllegalArgumentException("an ADD_PAGES call adds at least one page, got " + maxPages);
        }
        List<Add> out = new ArrayList<>();
        for (EnclaveImage.Segment s : image.segments()) {
            for (long p = 0; p < s.pages(); p += maxPages) {
                out.add(new Add(s, p, Math.min(maxPages, s.pages() - p)));
            }
        }
        return out;
    }

    /**
     * CREATE at the image's SECS.BASEADDR, then ADD_PAGES of all of {@code image}. An
     * {@link ErrnoException} of the driver propagates; {@link #pagesAdded} tells how far it got.
     */
    public void add(EnclaveImage image) {
        fd.create(image.secs());
        for (Add a : adds(image, CHUNK_PAGES)) {
            long done = 0;
            while (done < a.length()) {
                SgxIoctl.AddPages part = a.request(done);
                try {
                    fd.addPages(part);
                } finally {
                    pagesAdded += part.count / Pages.SIZE;
                }
                done += part.count;
            }
        }
    }

    /** Pages the driver added so far. */
    public long pagesAdded() {
        return pagesAdded;
    }

    /**
     * Opens {@code /dev/sgx_enclave} as {@code task}, adds {@code image} and INITs it with
     * {@code sigstruct}. On any ioctl error the enclave file is closed and the
     * {@link ErrnoException} is rethrown.
     */
    public static EnclaveFd load(SgxPlatform platform, HostTask task, EnclaveImage image, SigStruct sigstruct) {
        EnclaveFd fd = platform.openEnclave(task);
        try {
            new EnclaveLoader(fd).add(image);
            fd.init(sigstruct.toBytes());
            return fd;
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Pages {@code [first, first + pages)} of {@code content} as an ADD_PAGES source. */
    private static MemorySegment source(PageSource content, long first, long pages) {
        long bytes = pages * Pages.SIZE;
        if (content instanceof PageSource.Zero && bytes <= ZERO.length) {
            return MemorySegment.ofArray(ZERO).asSlice(0, bytes);
        }
        byte[] b = new byte[Math.toIntExact(bytes)];
        byte[] page = new byte[Pages.SIZE];
        for (long i = 0; i < pages; i++) {
            content.page(first + i, page);
            System.arraycopy(page, 0, b, (int) (i * Pages.SIZE), Pages.SIZE);
        }
        return MemorySegment.ofArray(b);
    }
}
