package io.jocclum.sgx.cost;

import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(SgxInvariantsExtension.class)
class CostModelTest {

    @Test
    void defaultsNameTheirSources() {
        for (CostEvent e : CostEvent.values()) {
            assertThat(e.source()).as(e.name()).isNotBlank();
            assertThat(CostModel.defaults().cycles(e)).isEqualTo(e.defaultCycles());
        }
        assertThat(CostEvent.ECALL.defaultCycles()).isEqualTo(8_500);
        assertThat(CostEvent.EINIT.defaultCycles()).isEqualTo(50_000);
        assertThat(CostEvent.EADD.defaultCycles() + 16 * CostEvent.EEXTEND.defaultCycles())
                .as("harp: 22.677 kcycles per KB of a measured page").isBetween(90_700L, 90_720L);
        assertThat(CostEvent.EWB.defaultCycles() + CostEvent.ELDU.defaultCycles() + CostEvent.PAGE_FAULT.defaultCycles()
                + CostEvent.AEX.defaultCycles() + CostEvent.ERESUME.defaultCycles()).as("VAULT: ~40K cycles per swap")
                .isEqualTo(40_000);
    }

    @Test
    void overridesAndTime() {
        CostModel m = CostModel.defaults().with(CostEvent.EADD, 1).withCpuHz(1_000_000_000L);
        assertThat(m.cycles(CostEvent.EADD)).isEqualTo(1);
        assertThat(m.nanos(2_000)).isEqualTo(2_000);
        assertThat(CostModel.defaults().nanos(2_300)).isEqualTo(1_000);
        assertThatThrownBy(() -> m.with(CostEvent.EADD, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.withCpuHz(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(m).isEqualTo(CostModel.defaults().with(CostEvent.EADD, 1).withCpuHz(1_000_000_000L));
    }

    @Test
    void aBootChargesEveryLeafToTheEnclave() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(1024).cost(CostEvent.EADD, 7).build());
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("boot"), SgxTestSupport.image(1 << 20, 10));
        EnclaveStats s = fd.stats();
        assertThat(s.count(CostEvent.ECREATE)).isEqualTo(1);
        assertThat(s.count(CostEvent.EADD)).isEqualTo(12);
        assertThat(s.count(CostEvent.EEXTEND)).as("TCS and code page measured").isEqualTo(32);
        assertThat(s.count(CostEvent.EPA)).isEqualTo(1);
        assertThat(s.count(CostEvent.EINIT)).isEqualTo(1);
        long expected = 0;
        for (CostEvent e : CostEvent.values()) {
            expected += s.count(e) * p.config().costs().cycles(e);
        }
        assertThat(s.cycles()).isEqualTo(expected);
        assertThat(s.simulatedNanos()).isEqualTo(p.config().costs().nanos(expected));
        assertThat(p.clock().nanos()).isGreaterThanOrEqualTo(s.simulatedNanos());
        assertThat(s.format()).contains("EADD", "cycles", "sim-time");
        fd.close();
    }

    @Test
    void anAccountsCyclesAreItsChargesAndTheClockSumsEveryAccount() {
        CostModel m = CostModel.defaults().with(CostEvent.EAUG, 11).withCopyCyclesPerKb(5);
        CycleClock clock = new CycleClock(m);
        CostAccount a = new CostAccount("a", m, clock);
        CostAccount b = new CostAccount("b", m.with(CostEvent.EAUG, 13), clock);
        CostAccount alone = new CostAccount("alone", m, null);
        a.charge(CostEvent.EAUG);
        a.charge(CostEvent.EAUG, 3);
        a.charge(CostEvent.EACCEPT);
        a.chargeCopy(1025); // 2 KB started: 10 cycles
        a.chargeCopy(0);
        b.charge(CostEvent.EAUG, 2);
        alone.charge(CostEvent.EAUG, 100);
        assertThat(a.count(CostEvent.EAUG)).isEqualTo(4);
        assertThat(a.cycles()).isEqualTo(4 * 11 + CostEvent.EACCEPT.defaultCycles() + 10);
        assertThat(a.snapshot().cycles()).isEqualTo(a.cycles());
        assertThat(b.cycles()).isEqualTo(26);
        assertThat(clock.cycles()).as("both accounts made on the clock, not the one without").isEqualTo(a.cycles() + 26);
        assertThat(clock.nanos()).isEqualTo(m.nanos(a.cycles() + 26));
    }
}
