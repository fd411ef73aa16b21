package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.collateral.QeIdentity;
import io.jocclum.dcap.pki.Pem;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every expired item (the quote's PCK chain too) is named once the check time passes it; QE identity levels are ordered whatever the JSON's order. */
class ExpiryAndOrderTest {

    private static Instant notAfter(List<X509Certificate> chain) {
        return chain.stream().map(c -> c.getNotAfter().toInstant()).min(Instant::compareTo).orElseThrow();
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void farInTheFutureEveryIssuerChainAndEveryJsonHasExpired(Fixtures f) throws Exception {
        Collateral c = f.collateral();
        List<X509Certificate> pckChain = Pem.certificates(Quote.parse(f.quote()).pckCertChainPem());
        Verification v = QuoteVerifier.verify(f.quote(), c, Instant.parse("2200-01-01T00:00:00Z"));
        assertThat(v.collateralExpired()).isTrue();
        assertThat(v.expired()).contains(
                "PCK certificate chain (notAfter " + notAfter(pckChain) + ")",
                "TCB info issuer chain (notAfter " + notAfter(c.tcbInfoIssuerChain()) + ")",
                "TCB info (nextUpdate " + c.tcbInfo().nextUpdate() + ")",
                "QE identity issuer chain (notAfter " + notAfter(c.qeIdentityIssuerChain()) + ")",
                "QE identity (nextUpdate " + c.qeIdentity().nextUpdate() + ")");
        Verification now = QuoteVerifier.verify(f.quote(), c, f.at());
        assertThat(now.expired()).noneMatch(e -> e.contains("issuer chain") || e.contains("PCK certificate chain"));
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void qeIdentityLevelsAreSortedByIsvSvnDescending(Fixtures f) {
        Collateral c = f.collateral();
        QeIdentity q = c.qeIdentity();
        assertThat(q.levels()).hasSizeGreaterThan(1);
        JsonMapper m = JsonMapper.builder().build();
        ObjectNode body = (ObjectNode) m.readTree(c.qeIdentityBody());
        ArrayNode levels = (ArrayNode) body.get("tcbLevels");
        List<JsonNode> reversed = new ArrayList<>();
        levels.forEach(reversed::add);
        java.util.Collections.reverse(reversed);
        levels.removeAll();
        reversed.forEach(levels::add);
        QeIdentity parsed = QeIdentity.parse(m.writeValueAsBytes(body), "qe_identity");
        assertThat(parsed.levels()).isEqualTo(q.levels());
        assertThat(parsed.levels().getFirst().isvSvn()).isGreaterThan(parsed.levels().getLast().isvSvn());
    }
}
