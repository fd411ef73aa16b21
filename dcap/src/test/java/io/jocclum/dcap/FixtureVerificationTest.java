package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The genuine quotes give their expected verdicts from every collateral form, at the fixtures' times. */
class FixtureVerificationTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path tmp;

    /** The fixture's collateral in all three forms (and built from its PCS-like parts). */
    private Map<String, Collateral> forms(Fixtures f) {
        Collateral own = f.collateral();
        Map<String, Collateral> m = new LinkedHashMap<>();
        m.put("own " + own.form(), own);
        m.put("directory", f.collateralDirectory(tmp));
        m.put("dcap-qvl JSON", Collateral.fromJson(Forms.dcapQvlJson(own)));
        m.put("dcap-rs JSON", Collateral.fromJson(Forms.dcapRsJson(own)));
        return m;
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void everyFormGivesTheExpectedVerdict(Fixtures f) {
        JsonNode exp = f.expected().get("expected_verdict");
        Map<String, Collateral> forms = forms(f);
        assertThat(forms.keySet()).hasSize(4);
        assertThat(forms.values()).extracting(Collateral::form).contains(Collateral.Form.DIRECTORY, Collateral.Form.DCAP_QVL_JSON,
                Collateral.Form.DCAP_RS_JSON);
        List<String> summaries = new ArrayList<>();
        for (var e : forms.entrySet()) {
            Verification v = QuoteVerifier.verify(f.quote(), e.getValue(), f.at());
            assertThat(v.result().intelName()).as(e.getKey() + ": " + v.detail()).isEqualTo(exp.get("sgx_ql_qv_result").stringValue());
            assertThat(v.result().hex()).isEqualTo(exp.get("sgx_ql_qv_result_code").stringValue());
            assertThat(v.error()).isEqualTo(Quote3Error.SUCCESS);
            assertThat(v.tcbStatus().name()).isEqualTo(exp.get("tcb_status").stringValue());
            assertThat(v.platformTcb().status().name()).isEqualTo(exp.get("platform_tcb_status").stringValue());
            assertThat(v.qeTcb().status().name()).isEqualTo(exp.get("qe_identity_tcb_status").stringValue());
            assertThat(v.advisoryIds()).containsExactly(strings(exp.get("advisory_ids_of_matched_platform_tcb_level")));
            assertThat(v.platformTcb().tcbDate()).isEqualTo(Instant.parse(exp.get("matched_platform_tcb_level_tcb_date").stringValue()));
            assertThat(v.collateralExpired()).isEqualTo(exp.get("collateral_expiration_status").intValue() == 1);
            assertThat(v.terminal()).isFalse();
            summaries.add(summary(v));
        }
        assertThat(summaries).as("identical verdicts from every form").containsOnly(summaries.getFirst());
    }

    private static String summary(Verification v) {
        return v.result() + " " + v.status() + " " + v.tcbStatus() + " " + v.advisoryIds() + " " + v.platformTcb() + " " + v.qeTcb()
                + " " + v.collateralExpired() + " " + v.earliestExpiration() + " " + v.expired() + " "
                + HEX.formatHex(v.supplemental().toBytes());
    }

    private static String[] strings(JsonNode arr) {
        List<String> s = new ArrayList<>();
        arr.forEach(n -> s.add(n.stringValue()));
        return s.toArray(String[]::new);
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void theParsedQuoteAndPckExtensionMatchTheFixture(Fixtures f) {
        JsonNode q = f.expected().get("quote");
        JsonNode p = f.expected().get("pck_certificate");
        Verification v = QuoteVerifier.verify(f.quote(), f.collateral(), f.at());
        Quote quote = v.quote();
        assertThat(quote.size()).isEqualTo(q.get("length").intValue());
        assertThat(quote.version()).isEqualTo(q.get("version").intValue());
        assertThat(quote.header().attestationKeyType()).isEqualTo(q.get("att_key_type").intValue());
        assertThat(quote.header().teeType()).isEqualTo(q.get("tee_type").intValue());
        assertThat(quote.header().qeSvn()).isEqualTo(q.get("qe_svn").intValue());
        assertThat(quote.header().pceSvn()).isEqualTo(q.get("pce_svn").intValue());
        assertThat(HEX.formatHex(quote.header().qeVendorId())).isEqualTo(q.get("qe_vendor_id").stringValue());
        assertThat(HEX.formatHex(quote.header().userData())).isEqualTo(q.get("user_data").stringValue());
        assertThat(HEX.formatHex(quote.body().cpuSvn())).isEqualTo(q.get("isv_cpusvn").stringValue());
        assertThat(quote.body().miscSelect()).isEqualTo(q.get("isv_miscselect").longValue());
        assertThat(HEX.formatHex(quote.body().attributes(), 0, 8)).isEqualTo(q.get("isv_attributes_flags_le").stringValue());
        assertThat(HEX.formatHex(quote.body().attributes(), 8, 16)).isEqualTo(q.get("isv_attributes_xfrm_le").stringValue());
        assertThat(quote.body().debug()).isEqualTo(q.get("isv_debug_enclave").booleanValue());
        assertThat(HEX.formatHex(quote.body().mrEnclave())).isEqualTo(q.get("isv_mrenclave").stringValue());
        assertThat(HEX.formatHex(quote.body().mrSigner())).isEqualTo(q.get("isv_mrsigner").stringValue());
        assertThat(quote.body().isvProdId()).isEqualTo(q.get("isv_prod_id").intValue());
        assertThat(quote.body().isvSvn()).isEqualTo(q.get("isv_svn").intValue());
        assertThat(HEX.formatHex(quote.body().reportData())).isEqualTo(q.get("isv_report_data").stringValue());
        assertThat(quote.signatureDataLength()).isEqualTo(q.get("signature_data_len").longValue());
        assertThat(quote.qeAuthData()).hasSize(q.get("qe_auth_data_len").intValue());
        assertThat(quote.certificationDataType()).isEqualTo(q.get("certification_data_type").intValue());
        assertThat(quote.certificationDataSize()).isEqualTo(q.get("certification_data_len").longValue());
        assertThat(quote.pckCertChainPem()[quote.pckCertChainSize() - 1]).isZero();
        assertThat(quote.qeReport().isvProdId()).isEqualTo(q.get("qe_isv_prod_id").intValue());
        assertThat(quote.qeReport().isvSvn()).isEqualTo(q.get("qe_isv_svn").intValue());
        assertThat(HEX.formatHex(quote.qeReport().mrSigner())).isEqualTo(q.get("qe_mrsigner").stringValue());
        assertThat(HEX.formatHex(quote.qeReport().attributes())).isEqualTo(q.get("qe_attributes").stringValue());
        assertThat(quote.qeReport().miscSelect()).isEqualTo(q.get("qe_miscselect").longValue());

        assertThat(v.pck().fmspcHex()).isEqualTo(p.get("fmspc").stringValue());
        assertThat(v.pck().pceIdHex()).isEqualTo(p.get("pce_id").stringValue());
        assertThat(HEX.formatHex(v.pck().ppid())).isEqualTo(p.get("ppid").stringValue());
        int[] comps = new int[16];
        for (int i = 0; i < 16; i++) {
            comps[i] = p.get("tcb_comp_svns").get(i).intValue();
        }
        assertThat(v.pck().tcbComponents()).containsExactly(comps);
        assertThat(v.pck().pceSvn()).isEqualTo(p.get("pcesvn").intValue());
        assertThat(HEX.formatHex(v.pck().cpuSvn())).isEqualTo(p.get("cpusvn").stringValue());
        assertThat(v.pck().sgxType()).isEqualTo(p.get("sgx_type").intValue());
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void theSupplementalDataMatchesTheFixture(Fixtures f) {
        JsonNode s = f.expected().get("supplemental_like_values");
        Verification v = QuoteVerifier.verify(f.quote(), f.collateral(), f.at());
        Supplemental sup = v.supplemental();
        assertThat(sup.earliestIssueDate()).isEqualTo(Instant.parse(s.get("earliest_issue_date").stringValue()));
        assertThat(sup.latestIssueDate()).isEqualTo(Instant.parse(s.get("latest_issue_date").stringValue()));
        assertThat(sup.earliestExpirationDate()).isEqualTo(Instant.parse(s.get("earliest_expiration_date").stringValue()));
        assertThat(v.earliestExpiration()).isEqualTo(sup.earliestExpirationDate());
        assertThat(sup.pckCrlNum()).isEqualTo(s.get("pck_crl_num").longValue());
        assertThat(sup.rootCaCrlNum()).isEqualTo(s.get("root_ca_crl_num").longValue());
        assertThat(sup.tcbEvalRefNum()).isEqualTo(s.get("tcb_eval_ref_num").longValue());
        assertThat(HEX.formatHex(sup.rootKeyId())).isEqualTo(s.get("root_key_id_sha384").stringValue());
        assertThat(sup.tcbLevelDateTag()).isEqualTo(v.platformTcb().tcbDate());
        assertThat(sup.saList()).isEqualTo("INTEL-SA-00289,INTEL-SA-00615");
        assertThat(sup.qeIdenStatus()).isEqualTo(QvResult.OK);
        assertThat(sup.tcbPceIsvSvn()).isEqualTo(f.expected().get("pck_certificate").get("pcesvn").intValue());
        byte[] raw = sup.toBytes();
        assertThat(raw).hasSize(Supplemental.SIZE);
        assertThat(raw[0]).isEqualTo((byte) 3);
        assertThat(raw[2]).isEqualTo((byte) 3);
        assertThat(java.util.Arrays.copyOfRange(raw, 52, 100)).isEqualTo(sup.rootKeyId());
        assertThat(new String(raw, 172, sup.saList().length(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(sup.saList());
        assertThat(raw[172 + sup.saList().length()]).isZero();
    }

    @Test
    void eachQuoteAlsoVerifiesWithTheOtherFixturesCollateralAtThatCollateralsTime() {
        for (Fixtures quote : Fixtures.values()) {
            for (Fixtures coll : Fixtures.values()) {
                Verification v = QuoteVerifier.verify(quote.quote(), coll.collateral(), coll.at());
                assertThat(v.result()).as(quote + " with " + coll + ": " + v.detail()).isEqualTo(QvResult.CONFIG_AND_SW_HARDENING_NEEDED);
                assertThat(v.collateralExpired()).isFalse();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void theExpiryFlagFollowsTheCollateralWindow(Fixtures f) {
        for (Collateral c : forms(f).values()) {
            PreparedCollateral p = QuoteVerifier.prepare(c, TrustedRoot.intel());
            Instant start = f.windowStart();
            Instant end = f.windowEnd();
            // inside the window (both ends of the individual checks are inclusive; the flag is not at the end)
            for (Instant t : List.of(start, start.plusSeconds(1), f.at(), end.minusSeconds(1))) {
                Verification v = p.verify(f.quote(), t);
                assertThat(v.collateralExpired()).as(t + " " + v.expired()).isFalse();
                assertThat(v.result()).isEqualTo(QvResult.CONFIG_AND_SW_HARDENING_NEEDED);
            }
            // at and after the earliest expiration: flagged, the verdict unchanged
            for (Instant t : List.of(end, end.plusSeconds(1), end.plus(Duration.ofDays(400)))) {
                Verification v = p.verify(f.quote(), t);
                assertThat(v.collateralExpired()).as(t.toString()).isTrue();
                assertThat(v.expired()).isNotEmpty();
                assertThat(v.result()).isEqualTo(QvResult.CONFIG_AND_SW_HARDENING_NEEDED);
                assertThat(v.earliestExpiration()).isEqualTo(end);
            }
            // before the CRLs' thisUpdate: flagged too
            Verification early = p.verify(f.quote(), start.minus(Duration.ofDays(30)));
            assertThat(early.collateralExpired()).isTrue();
            assertThat(early.expired()).anyMatch(s -> s.contains("CRL") && s.contains("thisUpdate"));
            assertThat(early.result()).isEqualTo(QvResult.CONFIG_AND_SW_HARDENING_NEEDED);
        }
    }

    @Test
    void afterTheWindowTheExpiredItemsAreNamed() {
        Fixtures f = Fixtures.PHALA;
        Verification v = QuoteVerifier.verify(f.quote(), f.collateral(), f.windowEnd().plusSeconds(1));
        assertThat(v.expired()).containsExactly("QE identity (nextUpdate 2025-07-19T10:01:18Z)");
        Verification later = QuoteVerifier.verify(f.quote(), f.collateral(), Instant.parse("2025-08-01T00:00:00Z"));
        assertThat(later.expired()).contains("PCK CRL (nextUpdate 2025-07-19T10:23:18Z)", "TCB info (nextUpdate 2025-07-19T10:56:11Z)",
                "QE identity (nextUpdate 2025-07-19T10:01:18Z)");
    }

    @Test
    void theOlderProcessorCaCrlOfTheDcapRsFixtureIsReportedExpired() throws Exception {
        Fixtures f = Fixtures.UDSAMANI;
        String json = new String(f.collateralJson(), java.nio.charset.StandardCharsets.UTF_8);
        JsonNode doc = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json);
        String old = doc.get("processor_ca_crl").stringValue();
        Collateral c = f.collateral();
        Path d = tmp.resolve("old-crl");
        c.writeDirectory(d);
        java.nio.file.Files.writeString(d.resolve(Collateral.PCK_CRL), old);
        Verification v = QuoteVerifier.verify(f.quote(), Collateral.fromDirectory(d), f.at());
        assertThat(v.collateralExpired()).isTrue();
        assertThat(v.expired()).anyMatch(s -> s.startsWith("PCK CRL (nextUpdate 2024-06-08"));
        assertThat(v.result()).isEqualTo(QvResult.CONFIG_AND_SW_HARDENING_NEEDED);
    }

    @Test
    void aPreparedCollateralGivesTheSameVerdictAsAFreshCheck() {
        for (Fixtures f : Fixtures.values()) {
            PreparedCollateral p = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
            Verification fresh = QuoteVerifier.verify(f.quote(), f.collateral(), f.at());
            for (int i = 0; i < 3; i++) {
                assertThat(summary(p.verify(f.quote(), f.at()))).isEqualTo(summary(fresh));
            }
        }
    }

    @Test
    void anotherTrustedRootRejectsIntelsChains() {
        TestPki pki = new TestPki();
        Fixtures f = Fixtures.PHALA;
        Verification v = QuoteVerifier.verify(f.quote(), f.collateral(), f.at(), pki.trustedRoot());
        assertThat(v.status()).isEqualTo(QvlStatus.SGX_ROOT_CA_UNTRUSTED);
        assertThat(v.result()).isEqualTo(QvResult.UNSPECIFIED);
        assertThat(v.error()).isEqualTo(Quote3Error.PCK_CERT_CHAIN_ERROR);
        assertThat(v.terminal()).isTrue();
        assertThat(v.supplemental()).isNull();
        assertThat(v.tcbStatus()).isNull();
    }

    @Test
    void theShippedRootIsIntelsPinnedKey() {
        TrustedRoot r = TrustedRoot.intel();
        assertThat(r.fingerprint()).isEqualTo("44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
        assertThat(r.publicKeyHex()).startsWith("040ba9c4c0c0c86193a3fe23d6b02cda");
        assertThat(r.isIntel()).isTrue();
        assertThat(r.certificate().getSubjectX500Principal().getName()).contains("CN=Intel SGX Root CA");
    }
}
