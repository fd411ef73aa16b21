package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.collateral.QeIdentity;
import io.jocclum.dcap.collateral.TcbInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Reading collateral: a JSON file by path, a dcap-rs file with its own QE identity issuer chain,
 * version 2 TCB info, and the item, place and sentence of each error (where malformed JSON breaks
 * off, which issuer chain does not decode, a value too long to quote whole).
 */
class CollateralReadingTest {
    @TempDir
    Path tmp;

    private static CollateralFormatException error(byte[] json) {
        CollateralFormatException e = catchThrowableOfType(CollateralFormatException.class, () -> Collateral.fromJson(json));
        assertThat(e).as("a collateral format error").isNotNull();
        return e;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aJsonFileIsLoadedByItsPath() throws Exception {
        Collateral c = Fixtures.PHALA.collateral();
        Path file = tmp.resolve("collateral.json");
        Files.write(file, Forms.dcapQvlJson(c));
        Collateral loaded = Collateral.load(file);
        assertThat(loaded.form()).isEqualTo(Collateral.Form.DCAP_QVL_JSON);
        assertThat(loaded.tcbInfo()).isEqualTo(c.tcbInfo());
        assertThat(loaded.qeIdentity()).isEqualTo(c.qeIdentity());
        assertThat(loaded).hasToString("Collateral[DCAP_QVL_JSON, " + c.tcbInfo() + ", " + c.qeIdentity() + "]");
        Path missing = tmp.resolve("missing.json");
        assertThatThrownBy(() -> Collateral.load(missing)).isInstanceOf(UncheckedIOException.class)
                .hasMessage("no such file or directory: " + missing);
    }

    @Test
    void errorsNameTheItemAndWhereInIt() {
        String qvl = new String(Forms.dcapQvlJson(Fixtures.PHALA.collateral()), StandardCharsets.UTF_8);
        String chain = "\"pck_crl_issuer_chain\":\"-----BEGIN";
        assertThat(qvl).contains(chain);
        CollateralFormatException e = error(utf8(qvl.replace(chain, "\"pck_crl_issuer_chain\":\"x-----BEGIN")));
        assertThat(e.field()).isEqualTo("pck_crl_issuer_chain");
        assertThat(e.location()).isEqualTo("$.pck_crl_issuer_chain byte 0");
        assertThat(e.getMessage()).isEqualTo("unexpected byte 0x78 outside a PEM block (pck_crl_issuer_chain at $.pck_crl_issuer_chain byte 0)");
        CollateralFormatException v = error(utf8(qvl.replace("\\\"version\\\":3", "\\\"version\\\":4")));
        assertThat(v.field()).isEqualTo("tcb_info");
        assertThat(v.location()).isEqualTo("$.tcb_info.version");
    }

    @Test
    void malformedJsonIsPlacedByItsByteOffset() {
        CollateralFormatException end = error(utf8("{\"tcb_info\":"));
        assertThat(end.location()).isEqualTo("$ (byte 12)");
        assertThat(end.getMessage()).startsWith("not valid JSON: ").endsWith(" (collateral at $ (byte 12))");
        assertThat(error(utf8("}")).location()).as("at the first byte").isEqualTo("$ (byte 0)");
        // a PCS response body: the signed object's bytes are located first
        CollateralFormatException body = catchThrowableOfType(CollateralFormatException.class, () -> Collateral.of(
                utf8("{\"tcbInfo\":{\"a\":}}"), new byte[0], new byte[0], new byte[0], new byte[0], new byte[0], new byte[0]));
        assertThat(body.field()).isEqualTo("tcb_info");
        assertThat(body.location()).isEqualTo("$ (byte 16)");
    }

    @Test
    void aValueIsQuotedWholeUpToFortyCharacters() {
        String fmspc = "\\\"fmspc\\\":\\\"00A067110000\\\"";
        String qvl = new String(Fixtures.PHALA.collateralJson(), StandardCharsets.UTF_8);
        assertThat(qvl).contains(fmspc);
        String forty = "0123456789".repeat(4);
        assertThat(error(utf8(qvl.replace(fmspc, "\\\"fmspc\\\":\\\"" + forty + "\\\""))).getMessage())
                .isEqualTo("expected 6 bytes of hex (12 digits), found '" + forty + "' (tcb_info at $.tcb_info.fmspc)");
        assertThat(error(utf8(qvl.replace(fmspc, "\\\"fmspc\\\":\\\"" + forty + "A\\\""))).getMessage())
                .isEqualTo("expected 6 bytes of hex (12 digits), found '" + forty.substring(0, 37) + "...' (tcb_info at $.tcb_info.fmspc)");
    }

    @Test
    void aDcapRsFileMayGiveTheQeIdentityItsOwnIssuerChain() {
        TestPki pki = new TestPki();
        X509Certificate qeSigning = pki.mint("Test SGX TCB Signing for QE identities", pki.rootCn, pki.tcbKey, pki.rootKey.getPrivate(), false);
        List<X509Certificate> tcbChain = List.of(pki.tcbSigning, pki.root);
        List<X509Certificate> qeChain = List.of(qeSigning, pki.root);
        Collateral c = pki.collateral(tcbChain, qeChain, pki.crl(pki.ca, pki.caKey.getPrivate(), List.of()),
                pki.crl(pki.root, pki.rootKey.getPrivate(), List.of()));
        String rs = new String(Forms.dcapRsJson(c), StandardCharsets.UTF_8);
        Collateral own = Collateral.fromJson(utf8(rs));
        assertThat(own.form()).isEqualTo(Collateral.Form.DCAP_RS_JSON);
        assertThat(own.tcbInfoIssuerChain()).isEqualTo(tcbChain);
        assertThat(own.qeIdentityIssuerChain()).isEqualTo(qeChain);
        assertThat(QuoteVerifier.verify(pki.quote(), own, TestPki.NOW, pki.trustedRoot()).result()).isEqualTo(QvResult.OK);
        String shared = rs.replaceFirst(",\"qe_identity_issuer_chain\":\"[^\"]*\"", "");
        assertThat(shared).isNotEqualTo(rs);
        assertThat(Collateral.fromJson(utf8(shared)).qeIdentityIssuerChain()).as("the shared chain").isEqualTo(tcbChain);
    }

    @Test
    void aVersion2TcbInfoNamesEachComponent() {
        TestPki pki = new TestPki();
        TcbInfo v3 = TcbInfo.parse(utf8(pki.tcbInfoBody()), "$");
        JsonMapper m = JsonMapper.builder().build();
        ObjectNode body = (ObjectNode) m.readTree(pki.tcbInfoBody());
        body.remove("id");
        body.put("version", 2);
        for (var level : (ArrayNode) body.get("tcbLevels")) {
            ObjectNode tcb = (ObjectNode) level.get("tcb");
            ArrayNode comps = (ArrayNode) tcb.remove("sgxtcbcomponents");
            for (int i = 0; i < 16; i++) {
                tcb.put(String.format("sgxtcbcomp%02dsvn", i + 1), comps.get(i).get("svn").intValue());
            }
        }
        TcbInfo v2 = TcbInfo.parse(m.writeValueAsBytes(body), "$");
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.id()).isNull();
        assertThat(v2.levels()).isEqualTo(v3.levels());
        ((ObjectNode) body.get("tcbLevels").get(0).get("tcb")).remove("sgxtcbcomp16svn");
        CollateralFormatException e = catchThrowableOfType(CollateralFormatException.class,
                () -> TcbInfo.parse(m.writeValueAsBytes(body), "$"));
        assertThat(e.getMessage()).isEqualTo("the required field 'sgxtcbcomp16svn' is missing (tcb_info at $.tcbLevels[0].tcb)");
    }

    @Test
    void anEnclaveIdentityOfAnotherKindIsRefusedByName() {
        TestPki pki = new TestPki();
        pki.qeIdentityId = "QAE";
        CollateralFormatException e = catchThrowableOfType(CollateralFormatException.class,
                () -> QeIdentity.parse(utf8(pki.qeIdentityBody()), "$"));
        assertThat(e.getMessage()).isEqualTo("enclave identity id 'QAE' is not supported (supported: QE, TD_QE, QVE) (qe_identity at $.id)");
    }
}
