package io.jocclum.sgx.driver;

import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.measure.SigStruct;

import java.lang.foreign.MemorySegment;

/**
 * The untrusted runtime's enclave loader: open {@code /dev/sgx_enclave}, CREATE, ADD_PAGES each
 * segment (resuming after partial progress), INIT with the SIGSTRUCT. Zero segments are added a page
 * at a time from one zero page, so a large zero heap costs no host memory for its source.
 */
public final class EnclaveLoader {
    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[4096]);

    private EnclaveLoader() {
    }

    /**
     * Builds and initialises the enclave of {@code image} for {@code task}. On any ioctl error the
     * enclave file is closed and the {@link ErrnoException} is rethrown.
     */
    public static EnclaveFd load(SgxPlatform platform, HostTask task, EnclaveImage image, SigStruct sigstruct) {
        EnclaveFd fd = platform.openEnclave(task);
        try {
            fd.create(image.secs());
            for (EnclaveImage.Segment s : image.segments()) {
                long flags = s.measured() ? SgxIoctl.SGX_PAGE_MEASURE : 0;
                if (s.data() == null) {
                    for (long off = 0; off < s.length(); off += 4096) {
                        addAll(fd, new SgxIoctl.AddPages(ZERO_PAGE, s.offset() + off, 4096, s.secInfo(), flags));
                    }
                } else {
                    addAll(fd, new SgxIoctl.AddPages(MemorySegment.ofArray(s.data()), s.offset(), s.length(),
                            s.secInfo(), flags));
                }
            }
            fd.init(sigstruct.toBytes());
            return fd;
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    private static void addAll(EnclaveFd fd, SgxIoctl.AddPages a) {
        long total = a.length;
        long done = 0;
        while (done < total) {
            SgxIoctl.AddPages part = new SgxIoctl.AddPages(a.src.asSlice(done), a.offset + done, total - done, a.secinfo,
                    a.flags);
            fd.addPages(part);
            done += part.count;
        }
    }
}
