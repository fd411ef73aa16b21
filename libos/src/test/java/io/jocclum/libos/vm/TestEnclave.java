package io.jocclum.libos.vm;

import io.jocclum.libos.vm.testing.FakeEnclave;
import io.jocclum.libos.vm.testing.PlatformEnclave;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.VirtualEpc;
import io.jocclum.sgx.epc.EpcController;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.testing.SgxTestSupport;

import java.util.List;

/**
 * The enclave a VM test runs against, on either backend of the {@link Platform} matrix: the fake
 * ({@link FakeEnclave}, fast, EPCM only) or the simulated SGX platform ({@link PlatformEnclave}:
 * driver, EPC allocator, reclaimer, paging crypto, cost model). Same leaf counters and the same
 * fault injections on both, so tests are written once.
 */
sealed interface TestEnclave extends AutoCloseable {

    /**
     * Leaf, OCALL and fault counts since the enclave was created (EADD of the load included).
     * {@code kernelFaults}: #PFs the driver handled (each EAUG is one: Linux EAUGs on a fault, on
     * the access or on the EACCEPT of an absent page); {@code enclaveExceptions}: EPCM faults
     * delivered to the LibOS's handler. The real platform's EMODPR count includes the EMODPR probe
     * REMOVE_PAGES runs on every page (as Linux does) besides RESTRICT_PERMISSIONS.
     */
    record Counts(long eadd, long eaug, long eaccept, long eacceptcopy, long emodpr, long emodpe, long emodt, long eremove,
                  long ocalls, long kernelFaults, long enclaveExceptions) {
        Counts minus(Counts o) {
            return new Counts(eadd - o.eadd, eaug - o.eaug, eaccept - o.eaccept, eacceptcopy - o.eacceptcopy, emodpr - o.emodpr,
                    emodpe - o.emodpe, emodt - o.emodt, eremove - o.eremove, ocalls - o.ocalls, kernelFaults - o.kernelFaults,
                    enclaveExceptions - o.enclaveExceptions);
        }
    }

    /** EPC pages the platform has allocated (fake: valid pages of the enclave). */
    long epcPagesInUse();

    EnclaveContext context();

    EpcmView view();

    Counts counts();

    /**
     * From now on the platform has no EPC page for this enclave and nothing it could reclaim: the
     * next EAUG (or ELDU) fails, as SIGBUS for an access. Undone by {@link #feedEpc()}.
     */
    void starveEpc();

    void feedEpc();

    /** The page at {@code address} can no longer be brought back by the platform (ELDU integrity failure). */
    void corrupt(long address);

    /** Undoes {@link #corrupt}: the page is loadable again (the host restored the backing bytes). */
    void repair(long address);

    /** Violations of the platform's own invariants (none for the fake). */
    List<String> platformProblems();

    /** The simulated-platform statistics (null for the fake). */
    EnclaveStats stats();

    @Override
    void close();

    static TestEnclave open(Platform p) {
        return p.real() ? new Real(p) : new Fake(FakeEnclave.forLayout(p.layout(), p.sgx2()));
    }

    /** The fake backend. */
    record Fake(FakeEnclave fake) implements TestEnclave {
        @Override
        public EnclaveContext context() {
            return fake;
        }

        @Override
        public EpcmView view() {
            return fake;
        }

        @Override
        public Counts counts() {
            FakeEnclave.Counters c = fake.counters();
            return new Counts(c.eadd(), c.eaug(), c.eaccept(), c.eacceptcopy(), c.emodprPages(), c.emodpe(), c.emodtPages(),
                    c.eremovePages(), c.ocalls(), c.eaug(), c.pageFaults());
        }

        @Override
        public long epcPagesInUse() {
            return fake.counters().validPages();
        }

        @Override
        public void starveEpc() {
            fake.setCapacityPages(fake.counters().validPages());
        }

        @Override
        public void feedEpc() {
            fake.setCapacityPages(Long.MAX_VALUE);
        }

        @Override
        public void corrupt(long address) {
            fake.corrupt(address);
        }

        @Override
        public void repair(long address) {
            fake.repair(address);
        }

        @Override
        public List<String> platformProblems() {
            return List.of();
        }

        @Override
        public EnclaveStats stats() {
            return null;
        }

        @Override
        public void close() {
            fake.close();
        }
    }

    /** The simulated SGX platform backend: its own platform, ksgxd run by the caller (deterministic). */
    final class Real implements TestEnclave {
        /** EPC of the test platforms: room for the largest test layout without reclaim. */
        static final long EPC_BYTES = 256L << 20;

        final PlatformEnclave enclave;
        private VirtualEpc hog;
        private final java.util.Map<Long, byte[]> corrupted = new java.util.HashMap<>(); // backing page -> original

        Real(Platform p) {
            this(p, EPC_BYTES / 4096, Ksgxd.Mode.MANUAL);
        }

        /** With an EPC of {@code epcPages} and ksgxd as a thread or run by the faulting caller. */
        Real(Platform p, long epcPages, Ksgxd.Mode ksgxd) {
            PlatformConfig cfg = SgxTestSupport.config(epcPages).sgx2(p.sgx2()).ksgxd(ksgxd).build();
            this.enclave = PlatformEnclave.start(cfg, p.layout(), SgxTestSupport.signingKey());
        }

        @Override
        public EnclaveContext context() {
            return enclave.context();
        }

        @Override
        public EpcmView view() {
            return enclave.epcmView();
        }

        @Override
        public Counts counts() {
            EnclaveStats s = enclave.stats();
            return new Counts(s.count(CostEvent.EADD), s.count(CostEvent.EAUG), s.count(CostEvent.EACCEPT),
                    s.count(CostEvent.EACCEPTCOPY), s.count(CostEvent.EMODPR), s.count(CostEvent.EMODPE), s.count(CostEvent.EMODT),
                    s.count(CostEvent.EREMOVE), s.count(CostEvent.OCALL), s.count(CostEvent.PAGE_FAULT),
                    s.count(CostEvent.AEX) - s.count(CostEvent.PAGE_FAULT));
        }

        @Override
        public long epcPagesInUse() {
            var a = enclave.platform().epcManager().allocator();
            return a.capacityPages() - a.freePages();
        }

        /** Evicts every reclaimable page of the platform (EBLOCK, ETRACK, EWB through the reclaimer). */
        void evictAll() {
            EpcController c = enclave.platform().controller();
            while (c.canReclaimGlobal()) {
                c.reclaimGlobal(null);
            }
        }

        @Override
        public void starveEpc() {
            evictAll();
            hog = enclave.platform().openVepc(enclave.platform().newTask("hog"), enclave.platform().epcManager().capacityPages());
            for (long i = 0; hog.fault(i, false) == VirtualEpc.FaultResult.MAPPED; i++) {
                // take every free EPC page: vEPC pages are never reclaimable
            }
        }

        @Override
        public void feedEpc() {
            hog.close();
            hog = null;
        }

        @Override
        public void corrupt(long address) {
            EpcController c = enclave.platform().controller();
            while (enclave.enclave().isResident(address & ~0xFFFL)) {
                c.reclaimGlobal(null); // LRU order: the pages before it go too
            }
            var file = enclave.enclave().backingFile();
            long index = file.contentsIndex(address & ~0xFFFL);
            byte[] blob = file.readPage(index);
            corrupted.putIfAbsent(index, blob.clone());
            blob[17] ^= 0x40;
            file.writePage(index, blob);
        }

        @Override
        public void repair(long address) {
            var file = enclave.enclave().backingFile();
            byte[] original = corrupted.remove(file.contentsIndex(address & ~0xFFFL));
            if (original != null && file.readPage(file.contentsIndex(address & ~0xFFFL)) != null) {
                file.writePage(file.contentsIndex(address & ~0xFFFL), original);
            }
        }

        @Override
        public List<String> platformProblems() {
            return enclave.checkPlatform();
        }

        @Override
        public EnclaveStats stats() {
            return enclave.stats();
        }

        @Override
        public void close() {
            if (hog != null) {
                hog.close();
            }
            enclave.close();
        }
    }
}
