package io.jocclum.libos.boot;

import io.jocclum.api.Errno;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.Region;
import io.jocclum.libos.layout.RegionKind;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;

/**
 * The EDMM growth of the kernel heap: the SGX SDK's heap starts with HeapInitSize committed and,
 * on SGX2, commits more pages up to HeapMaxSize when its allocator asks for them (the tRTS's
 * {@code sbrk} EACCEPTs each new page, which the driver EAUGs on the #PF). The layout keeps the
 * heap contiguous: Init in the {@code kernel-heap} region, the rest in {@code kernel-heap.dynamic}
 * right after it, so heap offset {@code o >= Init} is at {@code dynamic + (o - Init)}.
 */
final class KernelHeapGrowth implements KernelHeap.Grower {
    private final EnclaveContext ctx;
    private final long dynamicStart;
    private final long init;

    KernelHeapGrowth(EnclaveContext ctx, long base, EnclaveLayout layout) {
        Region dynamic = layout.region(RegionKind.KERNEL_HEAP_DYNAMIC);
        this.ctx = ctx;
        this.dynamicStart = base + dynamic.offset();
        this.init = layout.enclaveXml().heapInitSize();
    }

    @Override
    public void commit(long from, long to) {
        try {
            DynamicTcs.acceptPages(ctx, dynamicStart + (from - init), to - from);
        } catch (EnclaveFault e) {
            throw Errno.ENOMEM.exception("no EPC for the kernel heap's pages up to " + to + ": " + e.getMessage());
        }
    }
}
