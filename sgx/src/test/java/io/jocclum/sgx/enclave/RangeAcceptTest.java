package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EnclaveContext#eacceptRange} and {@link EnclaveContext#eacceptcopyRange}, whose driver
 * EAUGs a run of pages under one lock, against the loop of single-page leaves they stand for: the
 * same status, pages accepted, fault, EPCM entries and charges, from random starting states; and
 * the same EPC frames for the same pages, the same order on the reclaimer's LRU and the same VA
 * page count (the run allocates its frames and marks them reclaimable at once).
 */
@ExtendWith(SgxInvariantsExtension.class)
class RangeAcceptTest {
    static final long SIZE = 1 << 22;
    private static final long HEAP_PAGES = 8;
    /** The first page after the EADDed heap: pages from here on are added by EAUG. */
    static final long DYNAMIC = BASE + 0x2000 + HEAP_PAGES * Pages.SIZE;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);
    private static final SecInfo READ_ONLY = SecInfo.reg(SecInfo.R);
    private static final byte[] ZERO = new byte[Pages.SIZE];

    /** One enclave on a platform of its own (also {@link GiveBackRunTest}'s). */
    record Side(SgxPlatform platform, EnclaveFd fd, EnclaveContext ctx) {
        static Side of(long epcPages) {
            SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(epcPages).build());
            EnclaveFd fd = SgxTestSupport.load(p, p.newTask("range"), SgxTestSupport.image(SIZE, HEAP_PAGES));
            return new Side(p, fd, fd.context());
        }
    }

    /** What a range operation did, to compare. */
    private record Outcome(Integer status, List<Long> accepted, String fault) {
    }

    private static Outcome run(EnclaveContext ctx, boolean copy, long at, long length, boolean batch) {
        return run(ctx, copy, copy ? READ_ONLY : PENDING_RW, ZERO, at, length, batch);
    }

    private static Outcome run(EnclaveContext ctx, boolean copy, SecInfo secInfo, byte[] source, long at, long length,
                               boolean batch) {
        List<Long> accepted = new ArrayList<>();
        try {
            int st;
            if (batch) {
                st = copy ? ctx.eacceptcopyRange(at, length, secInfo, source, accepted::add)
                        : ctx.eacceptRange(at, length, secInfo, accepted::add);
            } else {
                st = SgxStatus.SUCCESS.code();
                for (long a = at; a < at + length; a += Pages.SIZE) {
                    st = copy ? ctx.eacceptcopy(a, secInfo, source) : ctx.eaccept(a, secInfo);
                    if (st != SgxStatus.SUCCESS.code()) {
                        break;
                    }
                    accepted.add(a);
                }
            }
            return new Outcome(st, accepted, null);
        } catch (EnclaveFault f) {
            return new Outcome(null, accepted, f.kind() + "@0x" + Long.toHexString(f.address()));
        }
    }

    /** Puts a page into a state: 0 absent, 1 EAUGed and PENDING (a load faulted on it), 2 accepted RW. */
    private static void prepare(EnclaveContext ctx, long page, int state) {
        if (state == 1) {
            try {
                ctx.readByte(page);
            } catch (EnclaveFault expected) {
                assertThat(expected.kind()).isEqualTo(EnclaveFault.Kind.PAGE_FAULT);
            }
        } else if (state == 2) {
            assertThat(ctx.eaccept(page, PENDING_RW)).isZero();
        }
    }

    private static void assertSame(Side batch, Side loop, long from, long to, String where) {
        for (CostEvent e : CostEvent.values()) {
            assertThat(batch.fd().stats().count(e)).as(where + ": " + e).isEqualTo(loop.fd().stats().count(e));
        }
        assertSameEpcm(batch, loop, from, to, where);
        assertThat(batch.platform().epcManager().allocator().freePages()).as(where + ": free EPC")
                .isEqualTo(loop.platform().epcManager().allocator().freePages());
        // the same frames, in the same order on the reclaimer's LRU, and the same VA bookkeeping
        assertThat(frames(batch, from, to)).as(where + ": frames").isEqualTo(frames(loop, from, to));
        assertThat(lru(batch)).as(where + ": LRU order").isEqualTo(lru(loop));
        assertThat(batch.fd().enclave().pageCnt).as(where + ": page count").isEqualTo(loop.fd().enclave().pageCnt);
    }

    /** The same EPCM entries (but for the enclave ID) at each page from {@code from} to {@code to}. */
    static void assertSameEpcm(Side batch, Side loop, long from, long to, String where) {
        for (long a = from; a < to; a += Pages.SIZE) {
            EpcmEntry x = batch.fd().enclave().epcmAt(a);
            EpcmEntry y = loop.fd().enclave().epcmAt(a);
            assertThat(x == null ? null : x.toString().replaceAll("ownerEid=\\d+", ""))
                    .as(where + ": EPCM at 0x" + Long.toHexString(a))
                    .isEqualTo(y == null ? null : y.toString().replaceAll("ownerEid=\\d+", ""));
        }
    }

    /** The EPC frame number of each page from {@code from} to {@code to} (-1: none). */
    static List<Long> frames(Side s, long from, long to) {
        Enclave e = s.fd().enclave();
        List<Long> out = new ArrayList<>();
        for (long a = from; a < to; a += Pages.SIZE) {
            EnclavePage p = e.hasPage(a) ? e.pages.get(Pages.index(a - e.base)) : null;
            out.add(p == null || p.frame == null ? -1 : p.frame.pfn());
        }
        return out;
    }

    /** The frame numbers on the reclaimer's (global) LRU, head first. */
    static List<Long> lru(Side s) {
        List<Long> out = new ArrayList<>();
        s.platform().controller().lru(null).forEach(p -> out.add(p.frame().pfn()));
        return out;
    }

    @Test
    void aRangeDoesWhatItsLoopOfLeavesDoes() {
        long seed = System.nanoTime();
        System.out.println("RangeAcceptTest seed " + seed);
        Random rnd = new Random(seed);
        for (int round = 0; round < 8; round++) {
            // some platforms too small for every page: EAUG then waits for the reclaimer (MANUAL, deterministic)
            long epc = rnd.nextBoolean() ? 1024 : 48 + rnd.nextInt(64);
            Side batch = Side.of(epc);
            Side loop = Side.of(epc);
            long dynamicPages = Pages.count(BASE + SIZE - DYNAMIC);
            for (int op = 0; op < 25; op++) {
                long first = rnd.nextInt((int) dynamicPages);
                long pages = 1 + rnd.nextInt(rnd.nextBoolean() ? 8 : 200);
                long at = DYNAMIC + Pages.bytes(first);
                long length = Pages.bytes(pages); // may run past ELRANGE: a fault at its end
                for (long a = at; a < Math.min(at + length, BASE + SIZE); a += Pages.SIZE) {
                    int state = rnd.nextInt(10) < 7 ? 0 : rnd.nextBoolean() ? 1 : 2;
                    if (batch.fd().enclave().hasPage(a) != loop.fd().enclave().hasPage(a)) {
                        throw new AssertionError("sides diverged at 0x" + Long.toHexString(a));
                    }
                    if (!batch.fd().enclave().hasPage(a)) {
                        prepare(batch.ctx(), a, state);
                        prepare(loop.ctx(), a, state);
                    }
                }
                boolean copy = rnd.nextBoolean();
                String where = "seed " + seed + ", round " + round + ", op " + op + " (EPC " + epc + " pages, "
                        + (copy ? "EACCEPTCOPY" : "EACCEPT") + " of " + pages + " pages at 0x" + Long.toHexString(at) + ")";
                Outcome b = run(batch.ctx(), copy, at, length, true);
                Outcome l = run(loop.ctx(), copy, at, length, false);
                assertThat(b).as(where).isEqualTo(l);
                assertSame(batch, loop, at, Math.min(at + length, BASE + SIZE), where);
                if (rnd.nextInt(4) == 0) {
                    // give some pages back (MODIFY_TYPES, EACCEPT, REMOVE_PAGES of the accepted ones), as the LibOS trims
                    for (long a : b.accepted()) {
                        for (Side s : List.of(batch, loop)) {
                            s.ctx().modifyTypes(a, Pages.SIZE, PageType.TRIM);
                            assertThat(s.ctx().eaccept(a, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
                            s.ctx().removePages(a, Pages.SIZE);
                        }
                    }
                    assertSame(batch, loop, at, Math.min(at + length, BASE + SIZE), where + " after the give-back");
                }
            }
            batch.fd().close();
            loop.fd().close();
        }
    }

    /** SECINFOs and sources for ranges over absent pages: some fit a fresh EAUGed page, most do not. */
    private static final SecInfo[] SECINFOS = {
            PENDING_RW, READ_ONLY, SecInfo.reg(SecInfo.R | SecInfo.W), SecInfo.reg(SecInfo.W),
            SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PENDING), SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W | SecInfo.X, SecInfo.PENDING),
            SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED), SecInfo.of(PageType.TCS, 0, SecInfo.MODIFIED),
            SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING | SecInfo.PR),
            SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING | SecInfo.MODIFIED),
            new SecInfo(PENDING_RW.flags() | 1L << 40), new SecInfo(READ_ONLY.flags() | 1L << 7)};
    private static final byte[][] SOURCES = {ZERO, new byte[Pages.SIZE - 1], null};

    @Test
    void aRangeWithASecInfoOrSourceAFreshPageDoesNotTakeDoesWhatItsLoopOfLeavesDoes() {
        long seed = System.nanoTime();
        System.out.println("RangeAcceptTest bad SECINFO seed " + seed);
        Random rnd = new Random(seed);
        Side batch = Side.of(1024);
        Side loop = Side.of(1024);
        long dynamicPages = Pages.count(BASE + SIZE - DYNAMIC);
        int failed = 0;
        for (int op = 0; op < 60; op++) {
            long at = DYNAMIC + Pages.bytes(rnd.nextInt((int) dynamicPages - 100));
            long length = Pages.bytes(2 + rnd.nextInt(80));
            for (long a = at; a < at + length; a += Pages.SIZE) {
                if (!batch.fd().enclave().hasPage(a) && rnd.nextInt(10) == 0) {
                    int state = 1 + rnd.nextInt(2);
                    prepare(batch.ctx(), a, state);
                    prepare(loop.ctx(), a, state);
                }
            }
            boolean copy = rnd.nextBoolean();
            SecInfo secInfo = SECINFOS[rnd.nextInt(SECINFOS.length)];
            byte[] source = copy && rnd.nextInt(4) == 0 ? SOURCES[rnd.nextInt(SOURCES.length)] : ZERO;
            String where = "seed " + seed + ", op " + op + " (" + (copy ? "EACCEPTCOPY" : "EACCEPT") + " of "
                    + Pages.count(length) + " pages at 0x" + Long.toHexString(at) + " with " + secInfo
                    + (!copy ? "" : source == null ? ", no source" : ", a source of " + source.length + " bytes") + ")";
            Outcome b = run(batch.ctx(), copy, secInfo, source, at, length, true);
            Outcome l = run(loop.ctx(), copy, secInfo, source, at, length, false);
            assertThat(b).as(where).isEqualTo(l);
            assertSame(batch, loop, at, at + length, where);
            failed += b.accepted().size() < Pages.count(length) ? 1 : 0;
        }
        assertThat(failed).as("ranges that stopped early (seed " + seed + ")").isPositive();
        batch.fd().close();
        loop.fd().close();
    }

    @Test
    void anEacceptWithAnotherSecInfoThanAFreshPagesEaugsOnlyTheFirstPageOfARangeOfAbsentPages() {
        Side s = Side.of(1024);
        SecInfo trim = SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED);
        List<Long> accepted = new ArrayList<>();
        int st = s.ctx().eacceptRange(DYNAMIC, 16 * Pages.SIZE, trim, accepted::add);
        assertThat(st).isEqualTo(SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code());
        assertThat(accepted).isEmpty();
        assertThat(s.fd().stats().count(CostEvent.EAUG)).as("EAUGs").isEqualTo(1);
        assertThat(s.fd().enclave().hasPage(DYNAMIC + Pages.SIZE)).isFalse();
        s.fd().close();
    }

    @Test
    void aRangeStopsAtTheFirstPageItCannotAcceptAfterAcceptingThePagesBefore() {
        Side s = Side.of(1024);
        long at = DYNAMIC;
        assertThat(s.ctx().eaccept(at + 3 * Pages.SIZE, PENDING_RW)).isZero();   // page 3 is accepted already
        List<Long> accepted = new ArrayList<>();
        int st = s.ctx().eacceptRange(at, 6 * Pages.SIZE, PENDING_RW, accepted::add);
        assertThat(st).as("EACCEPT of an accepted page").isNotZero();
        assertThat(accepted).containsExactly(at, at + Pages.SIZE, at + 2 * Pages.SIZE);
        assertThat(s.fd().enclave().hasPage(at + 4 * Pages.SIZE)).as("nothing after the page that failed").isFalse();
        assertThat(s.fd().stats().count(CostEvent.EAUG)).isEqualTo(4);
        assertThat(s.fd().stats().count(CostEvent.PAGE_FAULT)).isEqualTo(4);
        s.fd().close();
    }

    @Test
    void aRangePastTheEndOfElrangeFaultsThereAfterAcceptingThePagesInside() {
        Side s = Side.of(1024);
        long at = BASE + SIZE - 2 * Pages.SIZE;
        List<Long> accepted = new ArrayList<>();
        Outcome o;
        try {
            s.ctx().eacceptRange(at, 4 * Pages.SIZE, PENDING_RW, accepted::add);
            o = null;
        } catch (EnclaveFault f) {
            o = new Outcome(null, accepted, f.kind().toString());
            assertThat(f.address()).isEqualTo(BASE + SIZE);
        }
        assertThat(o).isNotNull();
        assertThat(accepted).containsExactly(at, at + Pages.SIZE);
        s.fd().close();
    }
}
