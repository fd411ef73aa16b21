package io.jocclum.cli;

import io.jocclum.dcap.Fixtures;
import io.jocclum.dcap.TrustedRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code jocclum quote verify|view} on the genuine fixtures, in-process. */
class QuoteCommandTest {
    @TempDir
    Path tmp;

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void verifyPrintsTheVerdictAndExitsZeroForANonTerminalOne() throws Exception {
        write("q.bin", Fixtures.PHALA.quote());
        write("c.json", Fixtures.PHALA.collateralJson());
        Run.Result r = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--at", "2025-07-19T10:01:17Z");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("result:      SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED (0xA008)\n")
                .contains("status:      ConfigurationAndSWHardeningNeeded\n")
                .contains("advisories:  INTEL-SA-00289, INTEL-SA-00615\n")
                .contains("TCB level:   2024-03-13T00:00:00Z ConfigurationAndSWHardeningNeeded\n")
                .contains("collateral:  valid at 2025-07-19T10:01:17Z; earliest expiration 2025-07-19T10:01:18Z\n")
                .contains("MRENCLAVE 33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb")
                .contains("PCK:         FMSPC 00a067110000, PCE-ID 0000, PCESVN 13, TCB components 11,11,2,2,255,1,0,0,0,0,0,0,0,0,0,0");
        assertThat(r.err()).isEmpty();
        Run.Result strict = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--at", "1752919277", "--strict");
        assertThat(strict.exit()).as("--strict accepts UpToDate only").isEqualTo(1);
        assertThat(strict.out()).contains("SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED");
    }

    @Test
    void jsonHasTheDocumentedKeys() throws Exception {
        write("q.bin", Fixtures.UDSAMANI.quote());
        write("c.json", Fixtures.UDSAMANI.collateralJson());
        Path dir = tmp.resolve("dir");
        Fixtures.UDSAMANI.collateral().writeDirectory(dir);
        for (String coll : new String[]{"c.json", "dir"}) {
            Run.Result r = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", coll, "--at", "1724962800", "--json");
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode j = JsonMapper.builder().build().readTree(r.out());
            assertThat(j.get("result").stringValue()).isEqualTo("SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED");
            assertThat(j.get("resultCode").stringValue()).isEqualTo("0xA008");
            assertThat(j.get("status").stringValue()).isEqualTo("ConfigurationAndSWHardeningNeeded");
            assertThat(j.get("advisoryIds").toString()).isEqualTo("[\"INTEL-SA-00289\",\"INTEL-SA-00615\"]");
            assertThat(j.get("collateralExpired").booleanValue()).isFalse();
            assertThat(j.get("earliestExpiration").stringValue()).isEqualTo("2024-09-25T00:15:38Z");
            assertThat(j.get("tcbDate").stringValue()).isEqualTo("2023-08-09T00:00:00Z");
            JsonNode q = j.get("quote");
            assertThat(q.get("version").intValue()).isEqualTo(3);
            assertThat(q.get("mrenclave").stringValue()).isEqualTo("a39d532e6ac9fe8ad9418851bbe26e1dee7408006505fce8580b511b97e704b4");
            assertThat(q.get("mrsigner").stringValue()).isEqualTo("9affcfae47b848ec2caf1c49b4b283531e1cc425f93582b36806e52a43d78d1a");
            assertThat(q.get("isvProdId").intValue()).isZero();
            assertThat(q.get("isvSvn").intValue()).isZero();
            assertThat(q.get("reportData").stringValue()).endsWith("c0d8928bbe2b5cee5253a3ccff2fb0a21e4f99adb1c972f1c4796423275e0fff");
            assertThat(q.get("debug").booleanValue()).isTrue();
            JsonNode p = j.get("pck");
            assertThat(p.get("fmspc").stringValue()).isEqualTo("00a067110000");
            assertThat(p.get("pceId").stringValue()).isEqualTo("0000");
            assertThat(p.get("pceSvn").intValue()).isEqualTo(13);
            assertThat(p.get("tcbComponents").toString()).isEqualTo("[11,11,2,2,255,1,0,0,0,0,0,0,0,0,0,0]");
        }
    }

    @Test
    void aTerminalVerdictExitsOneAndExpiryIsShown() throws Exception {
        byte[] q = Fixtures.PHALA.quote();
        q[100] ^= 1;
        write("bad.bin", q);
        write("c.json", Fixtures.PHALA.collateralJson());
        Run.Result r = Run.jocclum(tmp, "quote", "verify", "bad.bin", "--collateral", "c.json", "--at", "1752919277", "--json");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode j = JsonMapper.builder().build().readTree(r.out());
        assertThat(j.get("result").stringValue()).isEqualTo("SGX_QL_QV_RESULT_INVALID_SIGNATURE");
        assertThat(j.get("resultCode").stringValue()).isEqualTo("0xA004");
        assertThat(j.get("status").isNull()).isTrue();
        write("q.bin", Fixtures.PHALA.quote());
        Run.Result late = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--at", "2025-08-01T00:00:00Z");
        assertThat(late.exit()).as("expiry alone is not terminal").isZero();
        assertThat(late.out()).contains("collateral:  EXPIRED at 2025-08-01T00:00:00Z").contains("  expired:   QE identity (nextUpdate");
        // the clock is the default time: 2026-01-02 in these tests, long after the collateral expired
        Run.Result now = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--json");
        assertThat(JsonMapper.builder().build().readTree(now.out()).get("collateralExpired").booleanValue()).isTrue();
    }

    @Test
    void aReplacedRootDecidesTrust() throws Exception {
        write("q.bin", Fixtures.PHALA.quote());
        write("c.json", Fixtures.PHALA.collateralJson());
        write("intel.der", TrustedRoot.intel().certificate().getEncoded());
        Run.Result same = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--at", "1752919277", "--root", "intel.der");
        assertThat(same.exit()).isZero();
        // the TCB Signing certificate is no root of the PCK chain
        String tcbSigning = io.jocclum.dcap.collateral.Collateral.pem(Fixtures.PHALA.collateral().tcbInfoIssuerChain().subList(0, 1));
        Files.writeString(tmp.resolve("other.pem"), tcbSigning);
        Run.Result other = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--at", "1752919277", "--root", "other.pem");
        assertThat(other.exit()).isEqualTo(1);
        assertThat(other.out()).contains("SGX_QL_QV_RESULT_UNSPECIFIED").contains("SGX_QL_PCK_CERT_CHAIN_ERROR")
                .contains("does not have the trusted root's key");
    }

    @Test
    void unreadableInputExitsTwoWithOneSentence() throws Exception {
        write("c.json", Fixtures.PHALA.collateralJson());
        byte[] v5 = Fixtures.PHALA.quote();
        v5[0] = 5;
        write("v5.bin", v5);
        Run.Result r = Run.jocclum(tmp, "quote", "verify", "v5.bin", "--collateral", "c.json", "--at", "1752919277");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("jocclum: cannot read the quote v5.bin: quote version 5 is not supported (supported: 3, 4)"
                + " (header.version at offset 0).\n");
        write("q.bin", Fixtures.PHALA.quote());
        assertThat(Run.jocclum(tmp, "quote", "verify", "missing.bin", "--collateral", "c.json").err())
                .isEqualTo("jocclum: the quote file missing.bin does not exist.\n");
        Run.Result noColl = Run.jocclum(tmp, "quote", "verify", "q.bin");
        assertThat(noColl.exit()).isEqualTo(2);
        assertThat(noColl.err()).startsWith("jocclum: no collateral given; pass --collateral DIR|FILE");
        Run.Result badAt = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--at", "yesterday");
        assertThat(badAt.exit()).isEqualTo(2);
        assertThat(badAt.err()).isEqualTo("jocclum: --at 'yesterday' is not a time; write ISO-8601 with a zone such as"
                + " 2025-07-19T10:01:17Z, or seconds since the epoch such as 1752919277.\n");
        Files.writeString(tmp.resolve("broken.json"), "{\"tcb_info\": 1}");
        Run.Result badColl = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "broken.json", "--at", "1752919277");
        assertThat(badColl.exit()).isEqualTo(2);
        assertThat(badColl.err()).isEqualTo("jocclum: cannot read the collateral broken.json: expected the TCB info as a string"
                + " (dcap-qvl) or an object (dcap-rs), found 1 (collateral at $.tcb_info).\n");
        Files.writeString(tmp.resolve("root.pem"), "not a certificate");
        Run.Result badRoot = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "c.json", "--root", "root.pem");
        assertThat(badRoot.exit()).isEqualTo(2);
        assertThat(badRoot.err()).isEqualTo("jocclum: --root root.pem is not a PEM or DER certificate (not an X.509 certificate"
                + " (Empty input)).\n");
        Run.Result noDir = Run.jocclum(tmp, "quote", "verify", "q.bin", "--collateral", "nowhere");
        assertThat(noDir.exit()).isEqualTo(2);
        assertThat(noDir.err()).isEqualTo("jocclum: the collateral nowhere does not exist.\n");
        assertThat(Run.jocclum(tmp, "quote").err()).startsWith("jocclum: no quote command given;");
    }

    @Test
    void viewPrintsEveryFieldAndTheCertificationData() throws Exception {
        write("q.bin", Fixtures.UDSAMANI.quote());
        Run.Result r = Run.jocclum(tmp, "quote", "view", "q.bin");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("quote: 4600 bytes\nheader.version: 3\n")
                .contains("header.qe_svn: 10\n").contains("header.pce_svn: 15\n")
                .contains("header.qe_vendor_id: 939a7233f79c4ca9940a0db3957f0607 (Intel)\n")
                .contains("report_body.attributes.flags: 0x0000000000000007 (INIT, DEBUG, MODE64BIT)\n")
                .contains("report_body.mr_enclave: a39d532e6ac9fe8ad9418851bbe26e1dee7408006505fce8580b511b97e704b4\n")
                .contains("report_body.isv_family_id: ").contains("report_body.config_id: ")
                .contains("signature_data_len: 4164\n")
                .contains("signature_data.qe_report.isv_prod_id: 1\n").contains("signature_data.qe_report.isv_svn: 10\n")
                .contains("signature_data.qe_auth_data: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n")
                .contains("signature_data.certification_data_type: 5 (PCK certificate chain)\n")
                .contains("signature_data.certification_data_size: 3548\n")
                .contains("pck_cert_chain: 3 certificates\n")
                .contains("pck_cert_chain[0].serial: 0x3f06e06c06b7b5496f5c3734676f931088bfffd8\n")
                .contains("pck_cert_chain[0].sgx.fmspc: 00a067110000\n")
                .contains("pck_cert_chain[0].sgx.tcb_components: 11,11,2,2,255,1,0,0,0,0,0,0,0,0,0,0\n")
                .contains("pck_cert_chain[0].sgx.ppid: f94f246ca440226f82bcf30c83c13581\n")
                .contains("pck_cert_chain[2].subject: ").contains("CN=Intel SGX Root CA\n");
        byte[] t = java.util.Arrays.copyOf(Fixtures.UDSAMANI.quote(), 1000);
        write("t.bin", t);
        Run.Result trunc = Run.jocclum(tmp, "quote", "view", "t.bin");
        assertThat(trunc.exit()).isEqualTo(2);
        assertThat(trunc.err()).startsWith("jocclum: cannot read the quote t.bin: signature data length 4164 does not match").hasLineCount(1);
    }
}
