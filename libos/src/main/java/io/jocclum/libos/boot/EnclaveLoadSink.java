package io.jocclum.libos.boot;

import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.Region;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxIoctl;
import io.jocclum.sgx.image.LoadSink;
import io.jocclum.sgx.image.SecsParams;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The untrusted loader (the SGX SDK's urts, Occlum's {@code occlum run} start-up) driven by the
 * build's own leaf sequence: {@link EnclaveLayout#load} calls this sink, and every call becomes
 * the driver ioctl that performs it — ECREATE through SGX_IOC_ENCLAVE_CREATE, each EADD through
 * SGX_IOC_ENCLAVE_ADD_PAGES, with SGX_PAGE_MEASURE when the sixteen EEXTENDs of the page follow.
 * So the simulated CPU measures exactly what {@code Measurement.mrenclave} hashed at build time,
 * and EINIT with the build's SIGSTRUCT succeeds only if they agree.
 *
 * <p>The driver EEXTENDs a measured page's 256-byte chunks itself, in order, so a measured page is
 * added when its sixteenth EEXTEND arrives (while the layout's page buffer still holds it); an
 * unmeasured page is added at once. Any other shape (a partial EEXTEND) is refused, since the
 * ioctl interface cannot express it.
 */
final class EnclaveLoadSink implements LoadSink {
    private static final int CHUNKS_PER_PAGE = 4096 / 256;

    private final EnclaveFd fd;
    private final long base;
    private final long[][] measured;
    /** The measured page waiting for its EEXTENDs: offset, or -1. */
    private long pendingOffset = -1;
    private SecInfo pendingSecInfo;
    private int extends_;
    private long pagesAdded;
    /** First measured region that may still hold the next page. */
    private int cursor;

    EnclaveLoadSink(EnclaveFd fd, long base, EnclaveLayout layout) {
        this.fd = fd;
        this.base = base;
        List<Region> rs = layout.regions().stream().filter(Region::measured).toList();
        this.measured = new long[rs.size()][];
        for (int i = 0; i < rs.size(); i++) {
            measured[i] = new long[]{rs.get(i).offset(), rs.get(i).end()};
        }
    }

    @Override
    public void ecreate(SecsParams secs) {
        fd.create(io.jocclum.sgx.arch.Secs.forCreate(base, secs.size(), secs.ssaFrameSize(), secs.miscSelect(),
                secs.attributes()).toBytes());
    }

    @Override
    public void eadd(long offset, SecInfo secInfo, byte[] page) {
        requireNoPending();
        if (isMeasured(offset)) {
            pendingOffset = offset;
            pendingSecInfo = secInfo;
            extends_ = 0;
        } else {
            add(offset, secInfo, page, 0);
        }
    }

    @Override
    public void eextend(long offset, byte[] page, int from) {
        if (pendingOffset < 0 || offset != pendingOffset + (long) extends_ * 256 || from != extends_ * 256) {
            throw new IllegalStateException("EEXTEND at offset 0x" + Long.toHexString(offset)
                    + " does not continue the measured page being added");
        }
        if (++extends_ == CHUNKS_PER_PAGE) {
            add(pendingOffset, pendingSecInfo, page, SgxIoctl.SGX_PAGE_MEASURE);
            pendingOffset = -1;
        }
    }

    /** Ends the sequence: every measured page must have had its sixteen EEXTENDs. */
    void finish() {
        requireNoPending();
    }

    long pagesAdded() {
        return pagesAdded;
    }

    private void requireNoPending() {
        if (pendingOffset >= 0) {
            throw new IllegalStateException("measured page at offset 0x" + Long.toHexString(pendingOffset) + " got only "
                    + extends_ + " of " + CHUNKS_PER_PAGE + " EEXTENDs");
        }
    }

    /** Pages come in ascending offsets, so a cursor over the measured regions suffices. */
    private boolean isMeasured(long offset) {
        while (cursor < measured.length && measured[cursor][1] <= offset) {
            cursor++;
        }
        return cursor < measured.length && offset >= measured[cursor][0];
    }

    private void add(long offset, SecInfo secInfo, byte[] page, long flags) {
        SgxIoctl.AddPages a = new SgxIoctl.AddPages(MemorySegment.ofArray(page), offset, 4096, secInfo, flags);
        fd.addPages(a);
        if (a.count != 4096) {
            throw new IllegalStateException("SGX_IOC_ENCLAVE_ADD_PAGES added " + a.count + " of 4096 bytes at 0x"
                    + Long.toHexString(offset));
        }
        pagesAdded++;
    }
}
