package io.jocclum.sgx.enclave;

import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.CostModel;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.enclave.RangeAcceptTest.Side;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The give-back and permission changes over a range (MODIFY_TYPES, the EACCEPTs of the trimmed
 * pages and REMOVE_PAGES, as the LibOS trims; RESTRICT_PERMISSIONS with its EACCEPTs; EMODPE of a
 * range) against the same calls made one page at a time, from random states of the pages: the same
 * outcome (errno, status or fault), EPCM entries, charges (but for the OCALL of each call made),
 * enclave page count, free EPC, order on the reclaimer's LRU, and the same frames handed out
 * afterwards (the EPC free list's order).
 */
@ExtendWith(SgxInvariantsExtension.class)
class GiveBackRunTest {
    private static final long SIZE = RangeAcceptTest.SIZE;
    private static final long DYNAMIC = RangeAcceptTest.DYNAMIC;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);
    private static final SecInfo TRIMMED = SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED);

    /** One step on [at, at + length): an ioctl or a leaf over the range. */
    private interface Step {
        void apply(EnclaveContext ctx, long at, long length);
    }

    /**
     * The steps of an operation, each over the whole range ({@code run}) or, as the page-by-page
     * path, each step page by page before the next step; the first failure ends the operation.
     */
    private static String outcome(EnclaveContext ctx, List<Step> op, long at, long length, boolean run) {
        try {
            for (Step step : op) {
                if (run) {
                    step.apply(ctx, at, length);
                } else {
                    for (long a = at; a < at + length; a += Pages.SIZE) {
                        step.apply(ctx, a, Pages.SIZE);
                    }
                }
            }
            return "ok";
        } catch (ErrnoException e) {
            return e.errno().name();
        } catch (EnclaveFault f) {
            return f.kind() + "@0x" + Long.toHexString(f.address());
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    private static void accept(EnclaveContext ctx, long at, long length, SecInfo si) {
        long[] next = {at};
        int st = ctx.eacceptRange(at, length, si, a -> next[0] = a + Pages.SIZE);
        if (st != SgxStatus.SUCCESS.code()) {
            throw new IllegalStateException("EACCEPT of 0x" + Long.toHexString(next[0]) + ": status " + st);
        }
    }

    private static final Step MODIFY = (ctx, a, n) -> ctx.modifyTypes(a, n, PageType.TRIM);
    private static final Step ACCEPT_TRIMMED = (ctx, a, n) -> accept(ctx, a, n, TRIMMED);
    private static final Step REMOVE = EnclaveContext::removePages;
    private static final Step RESTRICT = (ctx, a, n) -> ctx.restrictPermissions(a, n, SecInfo.R);
    private static final Step ACCEPT_RESTRICTED = (ctx, a, n) -> accept(ctx, a, n, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR));
    private static final Step EXTEND = (ctx, a, n) -> ctx.emodpeRange(a, n, SecInfo.reg(SecInfo.R | SecInfo.W | SecInfo.X));

    private static void assertSame(Side run, Side loop, String where) {
        for (CostEvent e : CostEvent.values()) {
            if (e != CostEvent.OCALL) {
                assertThat(run.fd().stats().count(e)).as(where + ": " + e).isEqualTo(loop.fd().stats().count(e));
            }
        }
        long ocalls = loop.fd().stats().count(CostEvent.OCALL) - run.fd().stats().count(CostEvent.OCALL);
        assertThat(loop.fd().stats().cycles() - run.fd().stats().cycles()).as(where + ": cycles but the OCALLs")
                .isEqualTo(ocalls * CostModel.defaults().cycles(CostEvent.OCALL));
        RangeAcceptTest.assertSameEpcm(run, loop, DYNAMIC, BASE + SIZE, where);
        assertThat(run.platform().epcManager().allocator().freePages()).as(where + ": free EPC")
                .isEqualTo(loop.platform().epcManager().allocator().freePages());
        assertThat(RangeAcceptTest.frames(run, DYNAMIC, BASE + SIZE)).as(where + ": frames")
                .isEqualTo(RangeAcceptTest.frames(loop, DYNAMIC, BASE + SIZE));
        assertThat(RangeAcceptTest.lru(run)).as(where + ": LRU order").isEqualTo(RangeAcceptTest.lru(loop));
        assertThat(run.fd().enclave().pageCnt).as(where + ": page count").isEqualTo(loop.fd().enclave().pageCnt);
        assertThat(run.fd().enclave().secsChildCnt).as(where + ": children").isEqualTo(loop.fd().enclave().secsChildCnt);
    }

    @Test
    void aRangeGivesBackAndChangesPermissionsAsItsPagesOneByOne() {
        long seed = System.nanoTime();
        System.out.println("GiveBackRunTest seed " + seed);
        Random rnd = new Random(seed);
        long dynamicPages = Pages.count(BASE + SIZE - DYNAMIC);
        List<Step> trim = List.of(MODIFY, ACCEPT_TRIMMED, REMOVE);
        List<List<Step>> ops = List.of(trim, trim, trim, List.of(RESTRICT, ACCEPT_RESTRICTED), List.of(EXTEND),
                List.of(REMOVE), List.of(MODIFY));
        List<String> names = List.of("trim", "trim", "trim", "restrict", "extend", "remove", "modify types");
        for (int round = 0; round < 6; round++) {
            // a small EPC makes the ioctls reclaim directly (and so break their lock runs)
            long epc = rnd.nextBoolean() ? 2048 : 96 + rnd.nextInt(128);
            Side run = Side.of(epc);
            Side loop = Side.of(epc);
            for (int op = 0; op < 30; op++) {
                // commit a random range (present pages end the range's EAUGs; the status is the same on both sides)
                long first = rnd.nextInt((int) dynamicPages);
                long pages = 1 + rnd.nextInt((int) Math.min(300, dynamicPages - first));
                long at = DYNAMIC + Pages.bytes(first);
                for (Side s : List.of(run, loop)) {
                    for (long a = at; a < at + Pages.bytes(pages); a += Pages.SIZE) {
                        if (!s.fd().enclave().hasPage(a)) {
                            assertThat(s.ctx().eaccept(a, PENDING_RW)).isZero();
                        }
                    }
                }
                first = rnd.nextInt((int) dynamicPages);
                pages = 1 + rnd.nextInt((int) Math.min(rnd.nextBoolean() ? 8 : 400, dynamicPages - first));
                at = DYNAMIC + Pages.bytes(first);
                int k = rnd.nextInt(ops.size());
                String where = "seed " + seed + ", round " + round + ", op " + op + " (EPC " + epc + " pages, "
                        + names.get(k) + " of " + pages + " pages at 0x" + Long.toHexString(at) + ")";
                String r = outcome(run.ctx(), ops.get(k), at, Pages.bytes(pages), true);
                String l = outcome(loop.ctx(), ops.get(k), at, Pages.bytes(pages), false);
                assertThat(r).as(where).isEqualTo(l);
                assertSame(run, loop, where);
            }
            // the free lists' order: the frames the next EAUGs get
            for (Side s : List.of(run, loop)) {
                for (long a = DYNAMIC; a < BASE + SIZE; a += Pages.SIZE) {
                    if (!s.fd().enclave().hasPage(a)) {
                        s.ctx().eaccept(a, PENDING_RW);
                    }
                }
            }
            assertSame(run, loop, "seed " + seed + ", round " + round + ", every page committed at the end");
            run.fd().close();
            loop.fd().close();
        }
    }
}
