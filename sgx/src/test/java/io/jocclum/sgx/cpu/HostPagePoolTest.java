package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Pages;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The host page pool's handles: adjacency, reuse, the slab and offset they name, zeroing. */
class HostPagePoolTest {
    @Test
    void freshPagesOfASlabHaveHandles4096ApartAndNameAdjacentMemory() {
        try (HostPagePool pool = new HostPagePool("test")) {
            long a = pool.takeHandle(false);
            long b = pool.takeHandle(false);
            assertThat(a).isNotEqualTo(HostPagePool.NONE);
            assertThat(b).isEqualTo(a + Pages.SIZE);
            assertThat(pool.slab(b)).isSameAs(pool.slab(a));
            assertThat(HostPagePool.offset(b)).isEqualTo(HostPagePool.offset(a) + Pages.SIZE);
            pool.segment(a).fill((byte) 1);
            pool.segment(b).fill((byte) 2);
            MemorySegment slab = pool.slab(a);
            assertThat(slab.get(ValueLayout.JAVA_BYTE, HostPagePool.offset(a) + Pages.SIZE - 1)).isEqualTo((byte) 1);
            assertThat(slab.get(ValueLayout.JAVA_BYTE, HostPagePool.offset(a) + Pages.SIZE)).isEqualTo((byte) 2);
            assertThat(pool.pagesInUse()).isEqualTo(2);
        }
    }

    @Test
    void theLastPageGivenBackIsTakenFirstAndZeroedOnRequest() {
        try (HostPagePool pool = new HostPagePool("test")) {
            long a = pool.takeHandle(false);
            long b = pool.takeHandle(false);
            pool.segment(b).fill((byte) 7);
            pool.giveHandle(a);
            pool.giveHandle(b);
            assertThat(pool.pagesInUse()).isZero();
            long again = pool.takeHandle(false);
            assertThat(again).isEqualTo(b);
            assertThat(pool.segment(again).get(ValueLayout.JAVA_BYTE, 100)).as("not zeroed").isEqualTo((byte) 7);
            pool.giveHandle(again);
            long zeroed = pool.takeHandle(true);
            assertThat(zeroed).isEqualTo(b);
            assertThat(pool.segment(zeroed).mismatch(MemorySegment.ofArray(new byte[Pages.SIZE]))).isEqualTo(-1);
        }
    }

    @Test
    void pagesOfLaterSlabsHaveDistinctHandlesAndTheirOwnSlabs() {
        try (HostPagePool pool = new HostPagePool("test")) {
            int n = (int) (3 * HostPagePool.MIN_SLAB / Pages.SIZE) + 5; // into a fourth slab
            List<Long> handles = new ArrayList<>();
            Set<MemorySegment> slabs = new HashSet<>();
            for (int i = 0; i < n; i++) {
                long h = pool.takeHandle(false);
                handles.add(h);
                slabs.add(pool.slab(h));
                pool.slab(h).set(ValueLayout.JAVA_INT, HostPagePool.offset(h), i);
            }
            assertThat(new HashSet<>(handles)).hasSize(n);
            assertThat(slabs).hasSize(4);
            assertThat(pool.hostBytes()).isEqualTo(4 * HostPagePool.MIN_SLAB);
            for (int i = 0; i < n; i++) {
                long h = handles.get(i);
                assertThat(pool.slab(h).get(ValueLayout.JAVA_INT, HostPagePool.offset(h))).isEqualTo(i);
            }
            // the record form names the same page
            HostPagePool.Page p = pool.take(false);
            assertThat(p.slab()).isSameAs(pool.slab(p.handle()));
            assertThat(p.offset()).isEqualTo(HostPagePool.offset(p.handle()));
            pool.give(p);
            assertThat(pool.takeHandle(false)).isEqualTo(p.handle());
        }
    }

    @Test
    void aClosedPoolRefusesToGrow() {
        HostPagePool pool = new HostPagePool("test");
        pool.close();
        assertThatThrownBy(() -> pool.takeHandle(false)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the test page pool is closed");
    }
}
