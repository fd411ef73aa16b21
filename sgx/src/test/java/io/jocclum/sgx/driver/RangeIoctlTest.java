package io.jocclum.sgx.driver;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SGX_IOC_ENCLAVE_MODIFY_TYPES and SGX_IOC_ENCLAVE_REMOVE_PAGES over a range, which keep the
 * enclave lock from one page to the next, against the same ioctls issued one page at a time:
 * the same errno, the same count of bytes done when a page part-way fails (ioctl.c reports the
 * progress in {@code count} and stops at the first page it cannot handle: EPERM for a page of the
 * wrong type, EFAULT for a page the enclave does not have), the same EPCM states and charges.
 */
@ExtendWith(SgxInvariantsExtension.class)
class RangeIoctlTest {
    private static final long SIZE = 1 << 21;
    private static final long HEAP_PAGES = 4;
    private static final long DYNAMIC = 0x2000 + HEAP_PAGES * Pages.SIZE;   // offsets from here on are EAUGed
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);
    private static final SecInfo TRIMMED = SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED);

    private record Side(SgxPlatform platform, EnclaveFd fd) {
        static Side of(long epcPages) {
            SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(epcPages).build());
            return new Side(p, SgxTestSupport.load(p, p.newTask("range-ioctl"), SgxTestSupport.image(SIZE, HEAP_PAGES)));
        }
    }

    /** The errno (null: success) and the bytes done. */
    private record Outcome(Errno errno, long count) {
    }

    private static Outcome trim(EnclaveFd fd, long offset, long length) {
        SgxIoctl.ModifyTypes m = new SgxIoctl.ModifyTypes(offset, length, PageType.TRIM.encoding());
        try {
            fd.modifyTypes(m);
            return new Outcome(null, m.count);
        } catch (ErrnoException e) {
            return new Outcome(e.errno(), m.count);
        }
    }

    private static Outcome remove(EnclaveFd fd, long offset, long length) {
        SgxIoctl.RemovePages r = new SgxIoctl.RemovePages(offset, length);
        try {
            fd.removePages(r);
            return new Outcome(null, r.count);
        } catch (ErrnoException e) {
            return new Outcome(e.errno(), r.count);
        }
    }

    /** The ioctl page by page, stopping at the first error, with the progress a range ioctl reports. */
    private static Outcome pageByPage(EnclaveFd fd, long offset, long length, boolean removing) {
        for (long c = 0; c < length; c += Pages.SIZE) {
            Outcome o = removing ? remove(fd, offset + c, Pages.SIZE) : trim(fd, offset + c, Pages.SIZE);
            if (o.errno() != null) {
                return new Outcome(o.errno(), c + o.count());
            }
        }
        return new Outcome(null, length);
    }

    private static String epcm(EnclaveFd fd, long offset) {
        EpcmEntry e = fd.enclave().epcmAt(BASE + offset);
        return e == null ? "absent" : e.type() + " perms=" + e.perms() + " pending=" + e.pending() + " modified=" + e.modified();
    }

    @Test
    void aRangeIoctlDoesWhatTheSameIoctlPageByPageDoes() {
        long seed = System.nanoTime();
        System.out.println("RangeIoctlTest seed " + seed);
        Random rnd = new Random(seed);
        Side range = Side.of(2048);
        Side single = Side.of(2048);
        long pages = Pages.count(SIZE - DYNAMIC);
        for (int op = 0; op < 60; op++) {
            // random pages come and go: accepted RW pages (EAUG + EACCEPT), some trimmed and accepted as such
            for (int k = rnd.nextInt(40); k > 0; k--) {
                long off = DYNAMIC + Pages.bytes(rnd.nextInt((int) pages));
                for (Side s : List.of(range, single)) {
                    if (!s.fd().enclave().hasPage(BASE + off)) {
                        assertThat(s.fd().context().eaccept(BASE + off, PENDING_RW)).isZero();
                    }
                }
            }
            long first = rnd.nextInt((int) pages);
            long n = 1 + rnd.nextInt((int) Math.min(100, pages - first));
            long offset = DYNAMIC + Pages.bytes(first);
            long length = Pages.bytes(n);
            boolean removing = rnd.nextBoolean();
            String where = "seed " + seed + ", op " + op + ": " + (removing ? "REMOVE_PAGES" : "MODIFY_TYPES(TRIM)")
                    + " of " + n + " pages at offset 0x" + Long.toHexString(offset);
            if (removing) {
                // accept the trim of some trimmed pages first, so that some can be removed
                for (long c = 0; c < length; c += Pages.SIZE) {
                    if (rnd.nextInt(3) > 0 && epcm(range.fd(), offset + c).endsWith("modified=true")) {
                        for (Side s : List.of(range, single)) {
                            assertThat(s.fd().context().eaccept(BASE + offset + c, TRIMMED)).isZero();
                        }
                    }
                }
            }
            Outcome r = removing ? remove(range.fd(), offset, length) : trim(range.fd(), offset, length);
            Outcome p = pageByPage(single.fd(), offset, length, removing);
            assertThat(r).as(where).isEqualTo(p);
            for (long c = 0; c < length; c += Pages.SIZE) {
                assertThat(epcm(range.fd(), offset + c)).as(where + " at +0x" + Long.toHexString(c))
                        .isEqualTo(epcm(single.fd(), offset + c));
            }
            for (CostEvent e : CostEvent.values()) {
                assertThat(range.fd().stats().count(e)).as(where + ": " + e).isEqualTo(single.fd().stats().count(e));
            }
            assertThat(range.platform().epcManager().allocator().freePages()).as(where)
                    .isEqualTo(single.platform().epcManager().allocator().freePages());
        }
        range.fd().close();
        single.fd().close();
    }

    @Test
    void aRangeStopsAtThePageItCannotHandleAndCountsThePagesBefore() {
        Side s = Side.of(1024);
        EnclaveFd fd = s.fd();
        for (long c = 0; c < 6; c++) {
            assertThat(fd.context().eaccept(BASE + DYNAMIC + Pages.bytes(c), PENDING_RW)).isZero();
        }
        // pages 0..5 present, page 6 absent: MODIFY_TYPES trims 0..5 and fails with EFAULT at page 6
        assertThat(trim(fd, DYNAMIC, Pages.bytes(8))).isEqualTo(new Outcome(Errno.EFAULT, Pages.bytes(6)));
        // pages 0..2 accepted as trimmed, 3 not: REMOVE_PAGES removes 0..2 and fails with EPERM at page 3
        for (long c = 0; c < 3; c++) {
            assertThat(fd.context().eaccept(BASE + DYNAMIC + Pages.bytes(c), TRIMMED)).isZero();
        }
        long free = s.platform().epcManager().allocator().freePages();
        assertThat(remove(fd, DYNAMIC, Pages.bytes(6))).isEqualTo(new Outcome(Errno.EPERM, Pages.bytes(3)));
        assertThat(s.platform().epcManager().allocator().freePages()).isEqualTo(free + 3);
        assertThat(fd.enclave().hasPage(BASE + DYNAMIC + Pages.bytes(2))).isFalse();
        assertThat(fd.enclave().hasPage(BASE + DYNAMIC + Pages.bytes(3))).isTrue();
        fd.close();
    }
}
