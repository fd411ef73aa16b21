package io.jocclum.libos.kheap;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.libos.kheap.KernelHeap.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KernelHeapTest {

    @Test
    void chargesAndCreditsAreCountedAndThePeakKept() {
        KernelHeap h = new KernelHeap(2 << 20, 2 << 20, "key", null);
        h.charge(Kind.PROCESS);
        h.charge(List.of(Kind.OPEN_FILE, Kind.PIPE_BUFFER));
        assertThat(h.used()).isEqualTo(8192 + 512 + 1024 * 1024);
        h.credit(List.of(Kind.OPEN_FILE, Kind.PIPE_BUFFER));
        assertThat(h.used()).isEqualTo(8192);
        assertThat(h.peak()).isEqualTo(8192 + 512 + 1024 * 1024);
        assertThat(h.snapshot().liveAtPeak()).containsEntry(Kind.PIPE_BUFFER, 1L).containsEntry(Kind.PROCESS, 1L);
        assertThat(h.live(Kind.PIPE_BUFFER)).isZero();
    }

    @Test
    void aChargeOverTheLimitIsEnomemAndChangesNothing() {
        KernelHeap h = new KernelHeap(8192, 8192, "resource_limits.kernel_space_heap_size", null);
        h.charge(Kind.THREAD);
        assertThatThrownBy(() -> h.charge(List.of(Kind.THREAD, Kind.VMA))).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOMEM)).hasMessageContaining("resource_limits.kernel_space_heap_size");
        assertThat(h.used()).isEqualTo(Kind.THREAD.bytes());
        assertThat(h.refusals()).isEqualTo(1);
        h.charge(Kind.THREAD);
        assertThat(h.used()).isEqualTo(8192);
        assertThatThrownBy(() -> h.charge(Kind.VMA)).isInstanceOf(ErrnoException.class);
    }

    @Test
    void creditingMoreThanWasChargedIsABug() {
        KernelHeap h = KernelHeap.unlimited();
        h.charge(Kind.VMA, 2);
        assertThatThrownBy(() -> h.credit(Kind.VMA, 3)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> h.credit(Kind.EPOLL)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void growthBeyondInitCommitsWholePagesOnceUpToTheUse() {
        List<long[]> commits = new ArrayList<>();
        KernelHeap h = new KernelHeap(8192, 1 << 20, "k", (from, to) -> commits.add(new long[] {from, to}));
        h.charge(Kind.THREAD);
        h.charge(Kind.THREAD);
        assertThat(commits).as("within Init").isEmpty();
        h.charge(Kind.VMA);
        assertThat(commits).hasSize(1);
        assertThat(commits.getFirst()).containsExactly(8192, 12288);
        h.credit(Kind.VMA);
        h.charge(Kind.VMA);
        assertThat(commits).as("committed pages are kept").hasSize(1);
        h.charge(Kind.PROCESS);
        assertThat(commits.get(1)).containsExactly(12288, 8192 + 12288);
        assertThat(h.snapshot().committed()).isEqualTo(8192 + 12288);
    }

    @Test
    void aGrowthTheEpcRefusesFailsTheCharge() {
        KernelHeap h = new KernelHeap(4096, 1 << 20, "k", (from, to) -> {
            throw Errno.ENOMEM.exception("no EPC");
        });
        assertThatThrownBy(() -> h.charge(Kind.PROCESS)).isInstanceOf(ErrnoException.class);
        assertThat(h.used()).isZero();
    }

    @Test
    void settleChargesWithoutTheLimitAndCredits() {
        KernelHeap h = new KernelHeap(4096, 4096, "k", null);
        h.settle(Kind.VMA, 20);
        assertThat(h.used()).as("bookkeeping that exists already is charged even over the limit").isEqualTo(20 * 256);
        h.settle(Kind.VMA, -20);
        assertThat(h.used()).isZero();
    }
}
