package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.cpu.FrameHooks;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Arrays;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lines of a frame's host page that stores marked as possibly non-zero: a store marks the
 * lines it touches and no other, a fill of zeros and the host page's next use zero only those, and
 * a page trimmed away and committed again reads as zeros (the platform checker, run after the test,
 * checks every host page against its marks).
 */
@ExtendWith(SgxInvariantsExtension.class)
class DirtyLinesTest {
    private static final long HEAP_PAGES = 8;
    private static final long DYNAMIC = BASE + 0x2000 + HEAP_PAGES * Pages.SIZE;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("dirty"), SgxTestSupport.image(1 << 22, HEAP_PAGES));
    private final EnclaveContext ctx = fd.context();

    private EpcFrame frame(long addr) {
        return fd.enclave().pages.get(Pages.index(addr - BASE)).frame;
    }

    private byte[] page(long addr) {
        byte[] b = new byte[Pages.SIZE];
        ctx.read(addr, b, 0, b.length);
        return b;
    }

    /** True if the frame's state word says every line of its host page is marked (what a store then skips). */
    private static boolean written(EpcFrame f) {
        return (FrameHooks.state(f) & FrameHooks.WRITTEN) != 0;
    }

    @Test
    void storesMarkingTheLastLinesOfAPageMarkItWrittenWhole() {
        long a = DYNAMIC;
        assertThat(ctx.eacceptRange(a, Pages.SIZE, PENDING_RW, x -> { })).isZero();
        EpcFrame f = frame(a);
        for (int line = 0; line < 64; line++) {
            assertThat(written(f)).as("before line %d", line).isFalse();
            ctx.writeByte(a + 64L * line + 5, (byte) 1);
        }
        assertThat(FrameHooks.dirty(f)).isEqualTo(-1L);
        assertThat(written(f)).isTrue();
        ctx.write(a + 10, new byte[] {1, 2}, 0, 2); // marks nothing more
        assertThat(FrameHooks.dirty(f)).isEqualTo(-1L);
        ctx.modifyTypes(a, Pages.SIZE, PageType.TRIM);
        assertThat(ctx.eaccept(a, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
        ctx.removePages(a, Pages.SIZE);
        assertThat(written(f)).as("the host page given back with EREMOVE").isFalse();
        assertThat(FrameHooks.dirty(f)).isZero();
    }

    @Test
    void storesMarkTheLinesTheyTouchAndZeroingClearsThem() {
        long a = DYNAMIC;
        assertThat(ctx.eacceptRange(a, 3 * Pages.SIZE, PENDING_RW, x -> { })).isZero();
        EpcFrame f = frame(a);
        assertThat(FrameHooks.dirty(f)).as("no host page yet").isZero();
        ctx.writeByte(a + 130, (byte) 7);
        assertThat(FrameHooks.dirty(f)).isEqualTo(1L << 2);
        ctx.writeInt(a + 4000, 0x01020304);
        ctx.writeLong(a + 1000, -1L);
        ctx.write(a + 200, new byte[] {1, 2, 3}, 0, 3); // a copy within one page
        assertThat(FrameHooks.dirty(f)).isEqualTo(1L << 2 | 1L << 3 | 1L << 15 | 1L << 62);
        assertThat(written(f)).as("some lines marked, not all").isFalse();
        ctx.writeInt(a + 2 * Pages.SIZE - 2, 0x05060708); // across a page boundary: both pages marked whole
        assertThat(FrameHooks.dirty(frame(a + Pages.SIZE))).isEqualTo(-1L);
        assertThat(FrameHooks.dirty(frame(a + 2 * Pages.SIZE))).isEqualTo(-1L);
        assertThat(written(frame(a + Pages.SIZE))).as("every line marked: the state word says so").isTrue();

        ctx.fill(a + 129, 3000, (byte) 0); // zeroes lines 2, 3 and 15; line 62 stays as it is
        byte[] want = new byte[Pages.SIZE];
        want[4000] = 4;
        want[4001] = 3;
        want[4002] = 2;
        want[4003] = 1;
        assertThat(Arrays.mismatch(page(a), want)).isEqualTo(-1);
        assertThat(page(a + 2 * Pages.SIZE)[0]).isEqualTo((byte) 6);

        ctx.fill(a, 3 * Pages.SIZE, (byte) 0); // a fill of several pages
        for (int i = 0; i < 3; i++) {
            assertThat(page(a + i * Pages.SIZE)).isEqualTo(new byte[Pages.SIZE]);
        }
        assertThat(p.checkInvariants()).isEmpty();
    }

    @Test
    void aMultiPageCopyMarksWholePagesAndAPageCommittedAgainReadsZeros() {
        long a = DYNAMIC;
        int pages = 6;
        assertThat(ctx.eacceptRange(a, pages * Pages.SIZE, PENDING_RW, x -> { })).isZero();
        byte[] data = new byte[3 * Pages.SIZE];
        Arrays.fill(data, (byte) 9);
        ctx.write(a + 100, data, 0, data.length);
        assertThat(FrameHooks.dirty(frame(a + Pages.SIZE))).isEqualTo(-1L);
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < pages; i++) {
                ctx.writeByte(a + i * Pages.SIZE + 64L * (i + round), (byte) (i + 1));
            }
            ctx.modifyTypes(a, pages * Pages.SIZE, PageType.TRIM);
            for (int i = 0; i < pages; i++) {
                assertThat(ctx.eaccept(a + i * Pages.SIZE, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).isZero();
            }
            ctx.removePages(a, pages * Pages.SIZE);
            assertThat(ctx.eacceptRange(a, pages * Pages.SIZE, PENDING_RW, x -> { })).isZero();
            for (int i = 0; i < pages; i++) {
                assertThat(page(a + i * Pages.SIZE)).as("round %d page %d committed again", round, i).isEqualTo(new byte[Pages.SIZE]);
                assertThat(FrameHooks.dirty(frame(a + i * Pages.SIZE))).isZero();
                assertThat(written(frame(a + i * Pages.SIZE))).isFalse();
            }
        }
    }
}
