package io.jocclum.sgx.driver;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.SgxCpu;
import io.jocclum.sgx.enclave.SgxDriver;
import io.jocclum.sgx.epc.EpcPage;
import io.jocclum.sgx.epc.Reclaim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An open {@code /dev/sgx_vepc} mapped by a VMM (arch/x86/kernel/cpu/sgx/virt.c): EPC pages handed
 * to a guest VM on fault. They are charged to the faulting task's cgroup and are never reclaimable
 * by the host, so when no EPC page can be had the fault fails: VM_FAULT_RETRY when the allocation
 * said EBUSY and the fault may retry, SIGBUS otherwise (spec 2.7). Released (EREMOVE) when closed.
 *
 * <p>Locking: {@code lock} is {@code vepc->lock} and guards the page array.
 */
public final class VirtualEpc implements AutoCloseable {
    /** The outcome of a vEPC fault. */
    public enum FaultResult {
        /** VM_FAULT_NOPAGE: the page is mapped. */
        MAPPED,
        /** VM_FAULT_RETRY: EBUSY, async reclaim will make room. */
        RETRY,
        /** VM_FAULT_SIGBUS. */
        SIGBUS
    }

    private final SgxDriver drv;
    private final HostTask task;
    private final long pages;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<Long, EpcPage> pageArray = new TreeMap<>();
    private boolean closed;

    VirtualEpc(SgxDriver drv, HostTask task, long pages) {
        this.drv = drv;
        this.task = task;
        this.pages = pages;
    }

    /** {@code sgx_vepc_fault} on page {@code index} of the mapping. */
    public FaultResult fault(long index, boolean allowRetry) {
        if (index < 0 || index >= pages) {
            return FaultResult.SIGBUS;
        }
        lock.lock();
        try {
            if (closed) {
                return FaultResult.SIGBUS;
            }
            if (pageArray.containsKey(index)) {
                return FaultResult.MAPPED;
            }
            EpcPage p = drv.epc().allocator().allocate(this, Reclaim.SGX_NO_RECLAIM, task);
            pageArray.put(index, p);
            return FaultResult.MAPPED;
        } catch (ErrnoException e) {
            return e.errno() == Errno.EBUSY && allowRetry ? FaultResult.RETRY : FaultResult.SIGBUS;
        } finally {
            lock.unlock();
        }
    }

    /** SGX_IOC_VEPC_REMOVE_ALL: EREMOVE every page (SECS pages last); returns the pages that failed. */
    public int removeAll() {
        lock.lock();
        try {
            int failed = 0;
            SgxCpu cpu = drv.cpu();
            List<EpcPage> again = new ArrayList<>();
            for (EpcPage p : pageArray.values()) {
                if (cpu.eremove(drv.kernelAccount(), p.frame()) != SgxStatus.SUCCESS) {
                    again.add(p);
                }
            }
            for (EpcPage p : again) {
                if (cpu.eremove(drv.kernelAccount(), p.frame()) != SgxStatus.SUCCESS) {
                    failed++;
                }
            }
            return failed;
        } finally {
            lock.unlock();
        }
    }

    /** Pages currently handed to the guest. */
    public int mappedPages() {
        lock.lock();
        try {
            return pageArray.size();
        } finally {
            lock.unlock();
        }
    }

    /** {@code sgx_vepc_release}: EREMOVE and free every page. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            removeAll();
            for (EpcPage p : pageArray.values()) {
                if (!p.frame().isValid()) {
                    drv.epc().allocator().free(p);
                }
            }
            pageArray.clear();
        } finally {
            lock.unlock();
        }
    }
}
