package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.Tcs;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EnclaveContext semantics: memory access against the EPCM and the EDMM flows through the driver. */
@ExtendWith(SgxInvariantsExtension.class)
class EnclaveContextTest {
    private static final long SIZE = 1 << 22;
    private static final long HEAP = BASE + 0x2000;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(512).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("ctx"), SgxTestSupport.image(SIZE, 8));
    private final EnclaveContext ctx = fd.context();

    private static void fault(EnclaveFault.Kind kind, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(EnclaveFault.class, f -> assertThat(f.kind()).isEqualTo(kind));
    }

    @Test
    void readsAndWritesOfAllShapes() {
        assertThat(ctx.base()).isEqualTo(BASE);
        assertThat(ctx.size()).isEqualTo(SIZE);
        assertThat(ctx.edmm()).isTrue();
        byte[] code = new byte[4096];
        ctx.read(BASE + 0x1000, code, 0, 4096);
        assertThat(code[5]).isEqualTo((byte) (5 * 7 + 3));
        assertThat(ctx.readByte(HEAP + 100)).as("EADDed zero page").isZero();
        byte[] data = new byte[10000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        ctx.write(HEAP + 4000, data, 0, data.length);   // spans three pages
        byte[] back = new byte[10000];
        ctx.read(HEAP + 4000, back, 0, back.length);
        assertThat(back).isEqualTo(data);
        ctx.writeInt(HEAP + 4094, 0x11223344);          // spans two pages
        assertThat(ctx.readInt(HEAP + 4094)).isEqualTo(0x11223344);
        assertThat(ctx.readByte(HEAP + 4094)).isEqualTo((byte) 0x44);
        ctx.writeLong(HEAP + 8190, 0x0102030405060708L);
        assertThat(ctx.readLong(HEAP + 8190)).isEqualTo(0x0102030405060708L);
        ctx.writeLong(HEAP + 16, -2);
        assertThat(ctx.readLong(HEAP + 16)).isEqualTo(-2);
        ctx.writeInt(HEAP + 32, 7);
        assertThat(ctx.readInt(HEAP + 32)).isEqualTo(7);
        ctx.fill(HEAP + 5000, 6000, (byte) 0x5A);
        assertThat(ctx.readByte(HEAP + 10999)).isEqualTo((byte) 0x5A);
        assertThat(ctx.readByte(HEAP + 11000)).isNotEqualTo((byte) 0x5A);
        MemorySegment seg = Arena.ofAuto().allocate(9000);
        seg.fill((byte) 3);
        ctx.write(HEAP + 12000, seg, 100, 8000);
        MemorySegment out = Arena.ofAuto().allocate(8000);
        ctx.read(HEAP + 12000, out, 0, 8000);
        assertThat(out.mismatch(seg.asSlice(100, 8000))).isEqualTo(-1);
        ctx.writeByte(HEAP, (byte) 9);
        assertThat(ctx.readByte(HEAP)).isEqualTo((byte) 9);
    }

    @Test
    void epcmPermissionsAndTypesFault() {
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.writeByte(BASE + 0x1000, (byte) 1));  // R-X code page
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.readByte(BASE));                     // TCS page
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.readByte(BASE - 1));                 // outside ELRANGE
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.read(BASE + SIZE - 4, new byte[8], 0, 8));
        assertThatThrownBy(() -> ctx.read(HEAP, new byte[4], 2, 4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(fd.stats().count(CostEvent.PAGE_FAULT)).as("EPCM faults do not go to the driver").isZero();
        assertThat(fd.stats().count(CostEvent.AEX)).as("but they exit the enclave").isEqualTo(2);
    }

    @Test
    void aMultiPageWriteStopsAtTheFirstPageItMayNotWriteAfterWritingThePagesBefore() {
        // heap pages 0..7 at HEAP; page 5 made read-only; a write from page 1 to page 7 (7 pages, one run)
        ctx.restrictPermissions(HEAP + 5 * 4096, 4096, SecInfo.R);
        assertThat(ctx.eaccept(HEAP + 5 * 4096, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR))).isZero();
        byte[] data = new byte[7 * 4096 - 100];
        java.util.Arrays.fill(data, (byte) 0x6B);
        long at = HEAP + 4096 + 100;
        assertThatThrownBy(() -> ctx.write(at, data, 0, data.length)).isInstanceOfSatisfying(EnclaveFault.class, f -> {
            assertThat(f.kind()).isEqualTo(EnclaveFault.Kind.PAGE_FAULT);
            assertThat(f.address()).isEqualTo(HEAP + 5 * 4096);
        });
        assertThat(ctx.readByte(at)).isEqualTo((byte) 0x6B);
        assertThat(ctx.readByte(HEAP + 5 * 4096 - 1)).as("the last byte before the read-only page").isEqualTo((byte) 0x6B);
        assertThat(ctx.readByte(HEAP + 5 * 4096)).isZero();
        assertThat(ctx.readByte(HEAP + 6 * 4096)).as("nothing after the fault").isZero();
        // a write past the last EADDed heap page: the pages before are written, the next one is EAUGed and PENDING
        long end = HEAP + 8 * 4096;
        byte[] tail = new byte[3 * 4096];
        java.util.Arrays.fill(tail, (byte) 0x3C);
        assertThatThrownBy(() -> ctx.write(end - 2 * 4096, tail, 0, tail.length)).isInstanceOfSatisfying(EnclaveFault.class,
                f -> assertThat(f.address()).isEqualTo(end));
        assertThat(ctx.readByte(end - 1)).isEqualTo((byte) 0x3C);
        assertThat(fd.enclave().epcmAt(end).pending()).isTrue();
        // a read across pages sees the written bytes and is not disturbed by the faults above
        byte[] back = new byte[4 * 4096];
        ctx.read(HEAP + 4096, back, 0, back.length);
        assertThat(back[100]).isEqualTo((byte) 0x6B);
        assertThat(back[99]).isZero();
    }

    @Test
    void accessToAnUncommittedPageEaugsItAndFaultsOnPending() {
        long addr = BASE + 0x100000;
        assertThat(fd.enclave().hasPage(addr)).isFalse();
        assertThatThrownBy(() -> ctx.readInt(addr + 8)).isInstanceOfSatisfying(EnclaveFault.class, f -> {
            assertThat(f.kind()).isEqualTo(EnclaveFault.Kind.PAGE_FAULT);
            assertThat(f.address()).isEqualTo(addr + 8);
        });
        EpcmEntry e = fd.enclave().epcmAt(addr);
        assertThat(e.pending()).isTrue();
        assertThat(fd.stats().count(CostEvent.EAUG)).isEqualTo(1);
        assertThat(ctx.eaccept(addr, PENDING_RW)).isEqualTo(SgxStatus.SUCCESS.code());
        ctx.writeInt(addr + 8, 99);
        assertThat(ctx.readInt(addr + 8)).isEqualTo(99);
    }

    @Test
    void eacceptOfAnAbsentPageEaugsFirst() {
        long addr = BASE + 0x200000;
        assertThat(ctx.eaccept(addr, PENDING_RW)).isZero();
        assertThat(ctx.readLong(addr)).as("EAUG zeroes the page").isZero();
        assertThat(fd.stats().count(CostEvent.EAUG)).isEqualTo(1);
        assertThat(fd.stats().count(CostEvent.PAGE_FAULT)).isEqualTo(1);
        assertThat(fd.stats().count(CostEvent.AEX)).isEqualTo(1);
        assertThat(fd.stats().count(CostEvent.ERESUME)).isEqualTo(1);
    }

    @Test
    void restrictPermissionsThenAccept() {
        ctx.writeLong(HEAP, 42);
        ctx.restrictPermissions(HEAP, 4096, SecInfo.R);
        EpcmEntry e = fd.enclave().epcmAt(HEAP);
        assertThat(e.pr()).isTrue();
        assertThat(e.perms()).isEqualTo(SecInfo.R);
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.writeLong(HEAP, 1));
        assertThat(ctx.eaccept(HEAP, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR))).isZero();
        assertThat(ctx.readLong(HEAP)).isEqualTo(42);
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.writeLong(HEAP, 1));
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> ctx.emodpe(HEAP, new SecInfo(SecInfo.W)));
        ctx.emodpe(HEAP, new SecInfo(SecInfo.R | SecInfo.W));
        ctx.writeLong(HEAP, 43);
        assertThat(ctx.readLong(HEAP)).isEqualTo(43);
        assertThat(fd.stats().count(CostEvent.EMODPR)).isEqualTo(1);
        assertThat(fd.stats().count(CostEvent.EMODPE)).as("a faulting leaf is charged too").isEqualTo(2);
        assertThat(fd.stats().count(CostEvent.OCALL)).isEqualTo(1);
    }

    @Test
    void trimAcceptRemoveGivesTheEpcBack() {
        long addr = BASE + 0x300000;
        ctx.eaccept(addr, PENDING_RW);
        ctx.writeLong(addr, 5);
        long free = p.epcManager().allocator().freePages();
        ctx.modifyTypes(addr, 4096, PageType.TRIM);
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.readLong(addr));
        assertThat(ctx.eaccept(addr, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
        ctx.removePages(addr, 4096);
        assertThat(fd.enclave().hasPage(addr)).isFalse();
        assertThat(p.epcManager().allocator().freePages()).isEqualTo(free + 1);
        assertThat(ctx.eaccept(addr, PENDING_RW)).as("the address can be committed again").isZero();
        assertThat(ctx.readLong(addr)).isZero();
        assertThat(fd.stats().count(CostEvent.EMODT)).isEqualTo(1);
        assertThat(fd.stats().count(CostEvent.EREMOVE)).isEqualTo(1);
    }

    /**
     * Linux's sgx_encl_grow adds a VA page when page_cnt reaches a multiple of 512, and
     * REMOVE_PAGES only lowers page_cnt (sgx_encl_shrink(encl, NULL)): a commit/trim cycle across
     * the boundary costs one more VA page each time, kept until the enclave is released.
     */
    @Test
    void eaugRemoveCyclesAcrossA512PageBoundaryAccumulateVaPages() {
        SgxPlatform big = SgxTestSupport.platform(SgxTestSupport.config(2048).build());
        EnclaveFd e = SgxTestSupport.load(big, big.newTask("va"), SgxTestSupport.image(SIZE, 8));
        EnclaveContext c = e.context();
        long addr = BASE + 0x100000;
        while (e.enclave().vaPageCount() == 1) {
            assertThat(c.eaccept(addr, PENDING_RW)).isZero();
            addr += 4096;
        }
        long last = addr - 4096;
        for (int cycle = 1; cycle <= 2; cycle++) {
            c.modifyTypes(last, 4096, PageType.TRIM);
            assertThat(c.eaccept(last, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
            c.removePages(last, 4096);
            assertThat(e.enclave().vaPageCount()).as("REMOVE_PAGES frees no VA page").isEqualTo(1 + cycle);
            assertThat(c.eaccept(last, PENDING_RW)).isZero();
            assertThat(e.enclave().vaPageCount()).as("the EAUG crossed the boundary again").isEqualTo(2 + cycle);
        }
        assertThat(big.checkInvariants()).isEmpty();
        e.close();
    }

    /**
     * REMOVE_PAGES of a page the reclaimer has isolated is EBUSY in the kernel
     * ({@code sgx_unmark_page_reclaimable} fails); the untrusted runtime retries, as the SGX SDK's
     * {@code trim_range_commit} does, and removes the page once it is written back and reloaded.
     */
    @Test
    void removePagesRetriesWhileTheReclaimerHoldsThePage() throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        SgxPlatform q = SgxPlatform.start(SgxTestSupport.config(256).build(), io.jocclum.sgx.epc.NoEpcCgroup.factory());
        q.memcgs().setChargeHook(() -> {
            if (armed.compareAndSet(true, false)) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        SgxTestSupport.track(q);
        // enclave b's pages come first on the LRU: the reclaimer blocks in b's backing charge (under b's
        // lock only) while a's pages of the same batch are isolated
        EnclaveFd b = SgxTestSupport.load(q, q.newTask("b"), SgxTestSupport.image(SIZE, 0));
        EnclaveFd a = SgxTestSupport.load(q, q.newTask("a"), SgxTestSupport.image(SIZE, 8));
        EnclaveContext c = a.context();
        long addr = BASE + 0x300000;
        c.eaccept(addr, PENDING_RW);
        c.modifyTypes(addr, 4096, PageType.TRIM);
        assertThat(c.eaccept(addr, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
        armed.set(true);
        Thread reclaimer = Thread.ofPlatform().start(() -> q.controller().reclaimGlobal(null));
        entered.await();
        long probes = a.stats().count(CostEvent.EMODPR);
        Throwable[] failure = new Throwable[1];
        Thread remover = Thread.ofPlatform().start(() -> {
            try {
                c.removePages(addr, 4096);
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        while (a.stats().count(CostEvent.EMODPR) == probes) {
            Thread.onSpinWait(); // until REMOVE_PAGES has run once and met the isolated page
        }
        release.countDown();
        reclaimer.join();
        remover.join();
        assertThat(failure[0]).isNull();
        assertThat(a.enclave().hasPage(addr)).isFalse();
        assertThat(a.stats().count(CostEvent.EMODPR) - probes).as("tried again after EBUSY").isGreaterThan(1);
        a.close();
        b.close();
    }

    @Test
    void removePagesOfAnUnacceptedTrimFails() {
        long addr = BASE + 0x300000;
        ctx.eaccept(addr, PENDING_RW);
        ctx.modifyTypes(addr, 4096, PageType.TRIM);
        assertThatThrownBy(() -> ctx.removePages(addr, 4096)).isInstanceOfSatisfying(
                io.jocclum.api.ErrnoException.class, x -> assertThat(x.errno()).isEqualTo(io.jocclum.api.Errno.EPERM));
    }

    @Test
    void eacceptcopyAndTcsConversion() {
        long addr = BASE + 0x400000 - 0x2000;
        byte[] tcs = Tcs.image(0x1000, 1, 0x1000, 0, 0);
        assertThat(ctx.eacceptcopy(addr, PENDING_RW, tcs)).isZero();
        byte[] back = new byte[4096];
        ctx.read(addr, back, 0, 4096);
        assertThat(back).isEqualTo(tcs);
        ctx.modifyTypes(addr, 4096, PageType.TCS);
        assertThat(ctx.eaccept(addr, SecInfo.of(PageType.TCS, 0, SecInfo.MODIFIED))).isZero();
        assertThat(fd.enclave().epcmAt(addr).type()).isEqualTo(PageType.TCS);
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> ctx.readByte(addr));
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> ctx.eacceptcopy(addr + 1, PENDING_RW, tcs));
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> ctx.eacceptcopy(BASE + 0x10000, PENDING_RW, new byte[10]));
    }

    @Test
    void ocallChargesRoundTripAndCopy() {
        long before = fd.stats().cycles();
        ctx.ocall(2048);
        assertThat(fd.stats().count(CostEvent.OCALL)).isEqualTo(1);
        assertThat(fd.stats().cycles() - before).isEqualTo(CostEvent.OCALL.defaultCycles() + 2 * 1400);
    }

    @Test
    void ecallChecksTheTcs() {
        fd.ecall(BASE, 100);
        assertThat(fd.stats().count(CostEvent.ECALL)).isEqualTo(1);
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> fd.ecall(BASE + 0x1000, 0));   // a code page
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> fd.ecall(BASE + 8, 0));
        p.controller().reclaimGlobal(null);                                             // evicts the TCS
        assertThat(fd.enclave().epcmAt(BASE)).isNull();
        fd.ecall(BASE, 0);
        assertThat(fd.enclave().epcmAt(BASE).type()).isEqualTo(PageType.TCS);
    }

    @Test
    void sgx1() {
        SgxPlatform p1 = SgxTestSupport.platform(SgxTestSupport.config(256).sgx2(false).build());
        EnclaveFd fd1 = SgxTestSupport.load(p1, p1.newTask("sgx1"), SgxTestSupport.image(SIZE, 2));
        EnclaveContext c1 = fd1.context();
        assertThat(c1.edmm()).isFalse();
        fault(EnclaveFault.Kind.INVALID_OPCODE, () -> c1.eaccept(HEAP, PENDING_RW));
        fault(EnclaveFault.Kind.INVALID_OPCODE, () -> c1.eacceptcopy(HEAP, PENDING_RW, new byte[4096]));
        fault(EnclaveFault.Kind.INVALID_OPCODE, () -> c1.emodpe(HEAP, new SecInfo(SecInfo.X)));
        fault(EnclaveFault.Kind.SIGBUS, () -> c1.readByte(BASE + 0x100000));   // no page, no EAUG
        assertThatThrownBy(() -> c1.restrictPermissions(HEAP, 4096, SecInfo.R)).isInstanceOfSatisfying(
                io.jocclum.api.ErrnoException.class, x -> assertThat(x.errno()).isEqualTo(io.jocclum.api.Errno.ENODEV));
        c1.writeLong(HEAP, 1);
        assertThat(c1.readLong(HEAP)).isEqualTo(1);
        fd1.close();
    }

    @Test
    void accessAfterCloseIsSigbus() {
        fd.close();
        fault(EnclaveFault.Kind.SIGBUS, () -> ctx.readByte(HEAP));
        assertThat(p.epcManager().allocator().freePages()).isEqualTo(512);
    }

    @Test
    void reportAndKeyThroughTheContext() {
        byte[] ti = new byte[512];
        byte[] report = ctx.ereport(ti, new byte[64]);
        assertThat(report).hasSize(432);
        assertThat(java.util.Arrays.copyOfRange(report, 64, 96)).isEqualTo(fd.enclave().mrEnclave());
        byte[] kr = new io.jocclum.sgx.arch.KeyRequest(io.jocclum.sgx.arch.KeyRequest.SEAL_KEY,
                io.jocclum.sgx.arch.KeyRequest.POLICY_MRENCLAVE, 0, new byte[16],
                new io.jocclum.sgx.arch.Attributes(0, 0), new byte[32], 0, 0).toBytes();
        assertThat(ctx.egetkey(kr)).hasSize(16).isEqualTo(ctx.egetkey(kr));
        assertThat(fd.stats().count(CostEvent.EREPORT)).isEqualTo(1);
        assertThat(fd.stats().count(CostEvent.EGETKEY)).isEqualTo(2);
    }

    @Test
    void zeroPagesStayUnmaterialised() {
        long before = p.epc().materializedPages();
        for (int i = 0; i < 8; i++) {
            assertThat(ctx.readLong(HEAP + i * 4096L)).isZero();
        }
        assertThat(p.epc().materializedPages()).isEqualTo(before);
        ctx.fill(HEAP + 4096, 3 * 4096, (byte) 0);
        assertThat(p.epc().materializedPages()).as("storing zeros into zero pages needs no host memory").isEqualTo(before);
        ctx.writeByte(HEAP, (byte) 1);
        assertThat(p.epc().materializedPages()).isEqualTo(before + 1);
        MemorySegment seg = Arena.ofAuto().allocate(4096);
        ctx.read(HEAP, seg, 0, 4096);
        assertThat(seg.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 1);
        ctx.fill(HEAP, 4096, (byte) 0);
        assertThat(ctx.readByte(HEAP)).as("a written page is really zeroed").isZero();
    }

    @Test
    void aMultiPageCopyKeepsEveryPageItsBytesWhateverTheOrderOfTheirHostPages() {
        EnclaveContext big = SgxTestSupport.load(p, p.newTask("order"), SgxTestSupport.image(SIZE, 24)).context();
        int pages = 20;
        // host pages taken in a mixed order: descending and ascending stretches; pages 5 and 14 stay zero pages
        int[] order = {9, 8, 7, 6, 0, 1, 2, 3, 4, 15, 16, 17, 12, 11, 10, 19, 18, 13};
        for (int i : order) {
            big.writeByte(HEAP + i * 4096L + 1, (byte) (i + 1));
        }
        byte[] back = new byte[pages * 4096];
        big.read(HEAP, back, 0, back.length);
        for (int i = 0; i < pages; i++) {
            assertThat(back[i * 4096 + 1]).as("page %d", i).isEqualTo(i == 5 || i == 14 ? 0 : (byte) (i + 1));
            assertThat(back[i * 4096 + 2]).as("page %d", i).isZero();
        }
        byte[] data = new byte[pages * 4096 - 300];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13 + 7 + i / 4096);
        }
        big.write(HEAP + 150, data, 0, data.length);
        big.read(HEAP, back, 0, back.length);
        assertThat(java.util.Arrays.copyOfRange(back, 150, 150 + data.length)).isEqualTo(data);
        assertThat(back[1]).isEqualTo((byte) 1);
        for (int i = 0; i < pages; i++) {
            int at = i * 4096 + 2000;
            assertThat(big.readByte(HEAP + at)).as("page %d alone", i).isEqualTo(data[at - 150]);
        }
        big.fill(HEAP + 4096 * 4 + 10, 4096 * 12, (byte) 0x6B);
        MemorySegment seg = Arena.ofAuto().allocate(pages * 4096L);
        big.read(HEAP, seg, 0, seg.byteSize());
        for (int i = 0; i < pages * 4096; i += 997) {
            boolean filled = i >= 4096 * 4 + 10 && i < 4096 * 16 + 10;
            byte want = filled ? (byte) 0x6B : i >= 150 && i < 150 + data.length ? data[i - 150] : back[i];
            assertThat(seg.get(ValueLayout.JAVA_BYTE, i)).as("byte %d", i).isEqualTo(want);
        }
    }
}
