package io.jocclum.libos.vm;

import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The user space of one enclave, shared by all its processes (Occlum's UserSpaceVMManager and
 * VMManager): created by the boot with the ranges it committed (reserved memory) or left for
 * commit on demand (the EDMM user region), it hands out {@link ProcessVm}s.
 *
 * <p>Structure: a global {@link AddressSpace} (free space per region and the chunk index, under
 * a leaf lock), a few {@link Arena}s of 32 MB multi-VMA chunks (each under its own lock), the
 * EDMM {@link CommitTracker} and the reserved-memory {@link DirtyMap}, and per process an
 * interval map of VMAs under a read-write lock. There is no lock held across a whole operation
 * for all processes, and no path scans all chunks or all VMAs.
 *
 * <p>Thread-safe. {@link #processes} is a concurrent map; everything else is guarded inside the
 * parts named above.
 */
public final class UserSpace {
    final EnclaveContext ctx;
    final UserSpaceLayout layout;
    final VmConfig config;
    final VmCounters counters = new VmCounters();
    final LostPages lost = new LostPages();
    final AddressSpace addressSpace;
    final VmEpc epc;
    final Arena[] arenas;
    final SharedMemory shared;
    private final SysvShm sysv;
    private final ConcurrentHashMap<Integer, ProcessVm> processes = new ConcurrentHashMap<>();
    /** The LibOS's kernel heap, which holds the processes' VMA bookkeeping (unlimited until the boot sets it). */
    private volatile KernelHeap kernelHeap = KernelHeap.unlimited();

    private UserSpace(EnclaveContext ctx, UserSpaceLayout layout, VmConfig config) {
        this.ctx = ctx;
        this.layout = layout;
        this.config = config;
        this.addressSpace = new AddressSpace(layout, lost);
        this.epc = new VmEpc(ctx, layout, counters, lost);
        this.arenas = new Arena[config.arenas()];
        for (int i = 0; i < arenas.length; i++) {
            arenas[i] = new Arena(i, this);
        }
        this.shared = new SharedMemory(this);
        this.sysv = new SysvShm(shared);
    }

    /** The kernel heap the VMA bookkeeping is charged to. */
    public KernelHeap kernelHeap() {
        return kernelHeap;
    }

    /** Charges the VMA bookkeeping of processes created from now on to {@code heap} (the boot does this once). */
    public void useKernelHeap(KernelHeap heap) {
        this.kernelHeap = heap;
    }

    /** The System V shared memory of this user space (one IPC namespace per LibOS, as Occlum). */
    public SysvShm sysvShm() {
        return sysv;
    }

    /**
     * The user space over {@code layout}. Reserved memory must already be committed (EADDed) RWX;
     * a user region needs an SGX2 platform and must not be committed yet. Memory cost is
     * independent of the region sizes (a directory slot per GB of user region, a bit per page of
     * reserved memory).
     */
    public static UserSpace create(EnclaveContext ctx, UserSpaceLayout layout, VmConfig config) {
        long lo = ctx.base();
        long hi = ctx.base() + ctx.size();
        if (layout.reservedSize() > 0 && (layout.reservedBase() < lo || layout.reservedEnd() > hi)) {
            throw new IllegalArgumentException("reserved memory 0x" + Long.toHexString(layout.reservedBase()) + "-0x"
                    + Long.toHexString(layout.reservedEnd()) + " lies outside ELRANGE 0x" + Long.toHexString(lo) + "-0x" + Long.toHexString(hi));
        }
        if (layout.hasUserRegion()) {
            if (layout.userRegionBase() < lo || layout.userRegionEnd() > hi) {
                throw new IllegalArgumentException("user region 0x" + Long.toHexString(layout.userRegionBase()) + "-0x"
                        + Long.toHexString(layout.userRegionEnd()) + " lies outside ELRANGE");
            }
            if (!ctx.edmm()) {
                throw new IllegalArgumentException("an EDMM user region needs an SGX2 platform, but this platform has no EDMM");
            }
        }
        return new UserSpace(ctx, layout, config);
    }

    public UserSpaceLayout layout() {
        return layout;
    }

    public VmConfig config() {
        return config;
    }

    /** True when the user region is committed on demand through EDMM. */
    public boolean edmm() {
        return epc.edmm;
    }

    /**
     * Builds the memory of a new process: program images, heap reservation, stack. ENOMEM (and
     * nothing left behind) if the user space cannot hold them.
     */
    public ProcessVm createProcess(int pid, ProcessVmSpec spec) {
        ProcessVm vm = new ProcessVm(this, pid);
        if (processes.putIfAbsent(pid, vm) != null) {
            throw new IllegalStateException("pid " + pid + " already has a process VM");
        }
        try {
            vm.build(spec);
            vm.chargeInitialVmas();
        } catch (RuntimeException e) {
            vm.exit();
            processes.remove(pid, vm);
            throw e;
        }
        return vm;
    }

    /** The live process VM of {@code pid}, or null. */
    public ProcessVm process(int pid) {
        return processes.get(pid);
    }

    void forget(ProcessVm vm) {
        processes.remove(vm.pid, vm);
    }

    /** Live processes, by pid. */
    public List<ProcessVm> processes() {
        List<ProcessVm> l = new ArrayList<>(processes.values());
        l.sort(Comparator.comparingInt(ProcessVm::pid));
        return l;
    }

    /**
     * Pages retired because the platform can neither restore nor give them back (their evicted
     * contents failed the integrity check): they are never handed out again. See docs/vm.md.
     */
    public long lostPages() {
        return lost.count();
    }

    /** User-region pages committed now (0 without EDMM). */
    public long committedPages() {
        return epc.edmm ? epc.tracker.committedPages() : 0;
    }

    public VmStats stats() {
        long vmas = 0;
        for (ProcessVm p : processes.values()) {
            vmas += p.vmaCount();
        }
        long chunks;
        addressSpace.lock.lock();
        try {
            chunks = addressSpace.chunksLocked().size();
        } finally {
            addressSpace.lock.unlock();
        }
        VmCounters c = counters;
        return new VmStats(c.faults.sum(), c.spuriousFaults.sum(), c.pagesCommittedOnFault.sum(), c.pagesCommittedEagerly.sum(),
                committedPages(), c.pagesTrimmed.sum(), c.trimRuns.sum(), c.permChangePages.sum(), c.bytesZeroed.sum(),
                c.bytesWrittenBack.sum(), c.bytesFilledFromFiles.sum(), c.chunksCreated.sum(), c.chunksReleased.sum(),
                chunks, vmas, addressSpace.freeBytes(), c.signals.sum());
    }

    /**
     * LibOS shutdown: every process must have exited. Gives the retained empty chunks (and their
     * EPC) back and checks that the whole user space is free again.
     */
    public void shutdown() {
        if (!processes.isEmpty()) {
            throw new IllegalStateException("processes still alive at shutdown: " + processes.keySet());
        }
        sysv.destroyAll();
        for (Arena a : arenas) {
            a.lock.lock();
            try {
                a.releaseEmptyLocked();
            } finally {
                a.lock.unlock();
            }
        }
        long free = addressSpace.freeBytes();
        if (free + Pages.bytes(lost.count()) != layout.totalSize()) {
            throw new IllegalStateException("after shutdown " + free + " of " + layout.totalSize() + " bytes are free ("
                    + lost.count() + " pages lost)");
        }
    }

    /** Checks every structural invariant; IllegalStateException listing the violations. */
    public void checkInvariants() {
        checkInvariants(null);
    }

    /**
     * Checks every structural invariant and, with an {@link EpcmView}, the platform against the
     * VM: committed pages and their permissions, and that free memory is zero (clean-on-free).
     * Takes every lock; meant for tests and debugging, on a quiescent user space.
     */
    public void checkInvariants(EpcmView view) {
        List<String> problems = VmInvariants.check(this, processes(), view);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("VM invariants violated:\n  " + String.join("\n  ", problems.subList(0, Math.min(40, problems.size())))
                    + (problems.size() > 40 ? "\n  ... " + (problems.size() - 40) + " more" : ""));
        }
    }
}
