package io.jocclum.libos.os;

import io.jocclum.api.Epoll;
import io.jocclum.api.EpollEvent;
import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.cost.CostEvent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The kernel heap account through the system calls: objects charge it, a full heap is ENOMEM, EDMM grows it. */
class KernelHeapGuestTest extends OsTestBase {

    @Test
    void aPipeTheKernelHeapCannotHoldIsEnomemAndClosingGivesItsRoomBack() throws Exception {
        Booted b = boot("kheap-2mb", Matrix.PLAIN_ON_SGX2, PLATFORM, x -> x.set("resource_limits.kernel_space_heap_size", "2MB"));
        AtomicReference<Errno> second = new AtomicReference<>();
        b.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(0);
            try {
                sys.pipe2(0);
            } catch (ErrnoException e) {
                second.set(e.errno());
            }
            sys.close(p[0]);
            sys.close(p[1]);
            int[] again = sys.pipe2(0);
            sys.close(again[0]);
            sys.close(again[1]);
            return 0;
        }).assertOk();
        assertThat(second.get()).as("a second 1MB pipe buffer in a 2MB kernel heap").isEqualTo(Errno.ENOMEM);
        KernelHeap.Snapshot s = b.os.kernelHeap().snapshot();
        assertThat(s.refusals()).isEqualTo(1);
        assertThat(s.limit()).isEqualTo(2 << 20);
        assertThat(s.peak()).isGreaterThan(KernelHeap.Kind.PIPE_BUFFER.bytes()).isLessThanOrEqualTo(2 << 20);
        assertThat(s.live().getOrDefault(KernelHeap.Kind.PIPE_BUFFER, 0L)).isZero();
        assertThat(s.live().getOrDefault(KernelHeap.Kind.PROCESS, 0L)).as("only init, a zombie until the next run").isEqualTo(1);
        assertThat(s.live().getOrDefault(KernelHeap.Kind.THREAD, 0L)).as("its thread has ended").isZero();
        assertThat(b.os.stats().format()).anyMatch(l -> l.contains("kernel heap (estimated): peak") && l.contains("1 charges refused"));
    }

    @Test
    void processesThreadsFilesEpollItemsAndVmasAreChargedWhileTheyExist() throws Exception {
        Booted b = os(Matrix.PLAIN_ON_SGX2);
        KernelHeap h = b.os.kernelHeap();
        long[] seen = new long[4];
        b.run((sys, argv, envp) -> {
            seen[0] = h.live(KernelHeap.Kind.PROCESS);
            long vmas = h.live(KernelHeap.Kind.VMA);
            long addr = sys.mmap(0, 1 << 20, io.jocclum.api.Mman.PROT_READ, io.jocclum.api.Mman.MAP_PRIVATE
                    | io.jocclum.api.Mman.MAP_ANONYMOUS, -1, 0);
            seen[1] = h.live(KernelHeap.Kind.VMA) - vmas;
            sys.munmap(addr, 1 << 20);
            int ep = sys.epollCreate1(0);
            int ev = sys.eventfd(0, 0);
            sys.epollCtl(ep, Epoll.EPOLL_CTL_ADD, ev, new EpollEvent(Epoll.EPOLLIN, 0));
            seen[2] = h.live(KernelHeap.Kind.EPOLL_ITEM);
            String meminfo = ProcFsGuestTest.readFile(sys, "/proc/meminfo");
            assertThat(meminfo).as("/proc/meminfo shows the kernel heap in use as Slab")
                    .contains(String.format("Slab:           %8d kB", h.used() / 1024));
            sys.close(ev);
            seen[3] = h.live(KernelHeap.Kind.EPOLL_ITEM);
            sys.close(ep);
            return 0;
        }).assertOk();
        assertThat(seen[0]).as("init").isEqualTo(1);
        assertThat(seen[1]).as("one VMA for the mapping").isEqualTo(1);
        assertThat(seen[2]).isEqualTo(1);
        assertThat(seen[3]).as("the registration goes with the file").isZero();
        assertThat(h.live(KernelHeap.Kind.EPOLL)).isZero();
        assertThat(h.live(KernelHeap.Kind.VMA)).isZero();
        assertThat(h.live(KernelHeap.Kind.THREAD)).isZero();
    }

    @Test
    void withEdmmTheKernelHeapGrowsPastInitByEaug() throws Exception {
        Booted b = boot("kheap-edmm", Matrix.EDMM_ON_SGX2, PLATFORM, x -> x.set("resource_limits.kernel_space_heap_size", "1MB")
                .set("resource_limits.kernel_space_heap_max_size", "64MB"));
        long eaug = b.os.stats().count(CostEvent.EAUG);
        b.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(0);
            int[] q = sys.pipe2(0);
            for (int fd : new int[] {p[0], p[1], q[0], q[1]}) {
                sys.close(fd);
            }
            return 0;
        }).assertOk();
        KernelHeap.Snapshot s = b.os.kernelHeap().snapshot();
        assertThat(s.init()).isEqualTo(1 << 20);
        assertThat(s.committed()).as("two 1MB pipe buffers beyond a 1MB Init").isGreaterThan(2L << 20);
        assertThat(b.os.stats().count(CostEvent.EAUG) - eaug).as("each page committed by EAUG")
                .isGreaterThanOrEqualTo((s.committed() - s.init()) / 4096);
        assertThat(s.refusals()).isZero();
    }
}
