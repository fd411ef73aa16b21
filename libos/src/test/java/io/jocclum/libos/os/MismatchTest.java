package io.jocclum.libos.os;

import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.sgx.cost.CostEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Build/run combinations (config-edmm.md, "Build/run mismatch"): an EDMM build on a platform
 * without SGX2 is refused with one sentence naming both settings; a non-EDMM build on SGX2 runs
 * without EDMM; in every cell the enclave the boot loaded has the MRENCLAVE of the build's
 * SIGSTRUCT (what {@code jocclum print mrenclave} prints), as computed by the simulated CPU.
 */
class MismatchTest extends OsTestBase {

    @Test
    void anEdmmBuildOnAnSgx1PlatformIsRefused() {
        assertThatThrownBy(() -> LibOs.boot(instance("standard", true, b -> { }),
                BootOptions.defaults().withPlatform(PLATFORM.withSgx2(false))))
                .isInstanceOf(BootException.class)
                .hasMessageContaining("built for EDMM").hasMessageContaining("no SGX2")
                .hasMessageContaining("rebuild it without EDMM or run it on an SGX2 platform");
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void theLoadedEnclaveHasTheBuildsMrenclaveAndEdmmOnlyWhenBuiltForIt(Matrix m) throws Exception {
        Booted os = os(m);
        assertThat(os.os.enclave().enclave().mrEnclave()).isEqualTo(os.os.built().sigStruct().enclaveHash());
        assertThat(os.os.edmm()).isEqualTo(m.edmmBuild);
        long eaug = os.os.count(CostEvent.EAUG);
        assertThat(os.runPath("/bin/memtest", "--size", "2MB").status()).isZero();
        if (!m.edmmBuild) {
            assertThat(os.os.count(CostEvent.EAUG)).as("%s commits nothing at run time", m).isEqualTo(eaug);
        }
    }
}
