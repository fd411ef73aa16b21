package io.jocclum.sgx.attest;

import io.jocclum.dcap.QuoteVerifier;
import io.jocclum.dcap.QvResult;
import io.jocclum.dcap.TrustedRoot;
import io.jocclum.dcap.Verification;
import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Quotes of the simulated QE3 through the dcap module's verifier with the simulated collateral:
 * every programmed TCB state gives its verdict, and Intel's root rejects them all.
 */
@ExtendWith(SgxInvariantsExtension.class)
class DcapVerificationTest {
    static final Instant AT = Instant.parse("2025-06-01T00:00:00Z");

    /** A quote of a fresh enclave on a platform described by {@code spec}, and its verification at {@code at}. */
    static Verification verify(long seed, TcbSpec spec, Instant at, boolean intelRoot) {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(256).seed(seed).cpuSvn(spec.current().cpuSvn()).build());
        try (AttestationPlatform a = AttestationPlatform.start(p, spec);
             EnclaveFd app = SgxTestSupport.load(p, p.newTask("app"), SgxTestSupport.image(1 << 20, 1))) {
            byte[] quote = a.quote(app.context().ereport(a.qeTargetInfo(), new byte[64]));
            Collateral c = a.collateral().toVerifierCollateral();
            return QuoteVerifier.verify(quote, c, at, intelRoot ? TrustedRoot.intel() : TrustedRoot.of(a.pki().root()));
        }
    }

    @Test
    void everyDefaultLevelGivesItsVerdict() {
        TcbSpec d = TcbSpec.defaults();
        for (int i = 0; i < d.levels().size(); i++) {
            TcbSpec.Level level = d.levels().get(i);
            Verification v = verify(20 + i, d.withCurrentLevel(i), AT, false);
            assertThat(v.result()).as("level %d (%s): %s", i, level.status(), v.detail()).isEqualTo(level.status().result());
            assertThat(v.collateralExpired()).isFalse();
            if (!v.terminal()) {
                assertThat(v.advisoryIds()).containsExactlyElementsOf(level.advisoryIds());
            }
        }
    }

    @Test
    void intelsRootRejectsTheSimulatedChain() {
        Verification v = verify(30, TcbSpec.defaults(), AT, true);
        assertThat(v.terminal()).as(v.detail()).isTrue();
        assertThat(v.result()).isEqualTo(QvResult.UNSPECIFIED);
    }

    @Test
    void revocationQeSvnAndExpiry() {
        TcbSpec d = TcbSpec.defaults();
        assertThat(verify(31, d.withRevoked(List.of("pck")), AT, false).result()).isEqualTo(QvResult.REVOKED);
        assertThat(verify(32, d.withRevoked(List.of("pck_ca")), AT, false).result()).isEqualTo(QvResult.REVOKED);
        Verification oldQe = verify(33, d.withQe(new TcbSpec.Qe(7, d.qe().levels())), AT, false);
        assertThat(oldQe.result()).as(oldQe.detail()).isEqualTo(QvResult.OUT_OF_DATE);
        Verification expired = verify(34, d.withDates(Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2025-02-01T00:00:00Z")),
                AT, false);
        assertThat(expired.collateralExpired()).as(expired.detail()).isTrue();
        assertThat(expired.result()).isEqualTo(QvResult.OK);
    }
}
