package io.jocclum.sgx.enclave;

import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostModel;
import io.jocclum.sgx.cost.CycleClock;
import io.jocclum.sgx.cpu.HostPagePool;
import io.jocclum.sgx.cpu.SgxCpu;
import io.jocclum.sgx.epc.BackingMemcgs;
import io.jocclum.sgx.epc.EpcManager;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The SGX driver instance: the CPU, EPC management, the backing-store memcgs and the host memory of
 * the backing stores (the kernel's shmem), the cost model, the live enclaves and the kernel's warnings (e.g. an EREMOVE that failed and leaked a page, which the
 * invariant checker reports). Created once per platform.
 */
public final class SgxDriver {
    private final SgxCpu cpu;
    private final EpcManager epc;
    private final BackingMemcgs memcgs;
    private final CostModel costs;
    private final CycleClock clock;
    private final CostAccount kernel;
    private final Set<Enclave> enclaves = ConcurrentHashMap.newKeySet();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final AtomicLong seq = new AtomicLong();
    private final HostPagePool shmem = new HostPagePool("backing");

    public SgxDriver(SgxCpu cpu, EpcManager epc, BackingMemcgs memcgs, CostModel costs, CycleClock clock) {
        this.cpu = cpu;
        this.epc = epc;
        this.memcgs = memcgs;
        this.costs = costs;
        this.clock = clock;
        this.kernel = new CostAccount("kernel", costs, clock);
    }

    /** {@code open("/dev/sgx_enclave")}: a new, not yet created enclave owned by {@code task}. */
    public Enclave open(HostTask task) {
        String name = task.name() + "[" + task.pid() + "]#" + seq.incrementAndGet();
        Enclave e = new Enclave(this, task, new CostAccount(name, costs, clock));
        enclaves.add(e);
        return e;
    }

    void released(Enclave e) {
        enclaves.remove(e);
    }

    void warn(String message) {
        warnings.add(message);
    }

    public SgxCpu cpu() {
        return cpu;
    }

    public EpcManager epc() {
        return epc;
    }

    /** The memory cgroups backing-store pages are charged to. */
    public BackingMemcgs memcgs() {
        return memcgs;
    }

    public CostModel costs() {
        return costs;
    }

    public CycleClock clock() {
        return clock;
    }

    /** The account of kernel work no enclave caused (vEPC, sanitising). */
    public CostAccount kernelAccount() {
        return kernel;
    }

    /** Enclaves not yet released. */
    public Set<Enclave> enclaves() {
        return Set.copyOf(enclaves);
    }

    /** Host memory of the enclaves' backing stores (outside the Java heap). */
    public HostPagePool shmem() {
        return shmem;
    }

    /** Frees the backing stores' host memory; call after every enclave was released. */
    public void close() {
        shmem.close();
    }

    /** Kernel warnings (WARN_ON / ENCLS_WARN) so far. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }
}
