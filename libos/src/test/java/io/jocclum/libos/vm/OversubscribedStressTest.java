package io.jocclum.libos.vm;

import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.epc.Ksgxd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link ConcurrentStressWorkload} on the simulated SGX platform with a 16 MB EPC and ksgxd running as
 * its own thread: six processes of three guest threads each map, fill, verify, move and protect
 * memory while the reclaimer evicts their pages concurrently (EBLOCK, ETRACK, IPI, EWB) and their
 * accesses, EACCEPTs and permission changes load them back (ELDU). Every thread verifies its own
 * bytes after each step.
 */
@ParameterizedClass
@EnumSource(value = Platform.class, names = {"REAL_EDMM", "REAL_SGX1"})
class OversubscribedStressTest extends ConcurrentStressWorkload {
    private static final long EPC_PAGES = 4096;

    @Override
    TestEnclave openEnclave() {
        return new TestEnclave.Real(platform, EPC_PAGES, Ksgxd.Mode.THREAD);
    }

    /** Fewer steps: the EPC thrashes (every step evicts and reloads pages). */
    @Override
    int steps() {
        return 60;
    }

    @AfterEach
    void pagesWereEvictedAndReloaded() {
        assertThat(enclave.stats().count(CostEvent.EWB)).isGreaterThan(EPC_PAGES);
        assertThat(enclave.stats().count(CostEvent.ELDU)).isGreaterThan(EPC_PAGES);
    }
}
