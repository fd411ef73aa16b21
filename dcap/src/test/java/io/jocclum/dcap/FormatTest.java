package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Input that cannot be read is a typed error naming the field and its offset (quotes) or JSON path
 * (collateral), and unsupported versions are refused by name, never misparsed. A changed byte in a
 * signed collateral body fails its signature.
 */
class FormatTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(Fixtures.class)
    void everyTruncationIsAFormatErrorNamingAField(Fixtures f) {
        byte[] q = f.quote();
        for (int n = 0; n < q.length; n++) {
            byte[] t = Arrays.copyOf(q, n);
            QuoteFormatException e = catchThrowableOfType(QuoteFormatException.class, () -> Quote.parse(t));
            assertThat(e).as("truncated to " + n).isNotNull();
            assertThat(e.getMessage()).contains(e.field()).contains("at offset " + e.offset());
            assertThat(e.offset()).isBetween(0, q.length);
        }
        QuoteFormatException tail = catchThrowableOfType(QuoteFormatException.class, () -> Quote.parse(Arrays.copyOf(q, 3000)));
        assertThat(tail.getMessage()).isEqualTo("signature data length 4164 does not match the 2564 bytes that follow it"
                + " (signature_data_len at offset 432)");
        QuoteFormatException shortOne = catchThrowableOfType(QuoteFormatException.class, () -> Quote.parse(new byte[1]));
        assertThat(shortOne.getMessage()).isEqualTo("the quote is truncated: header.version needs 2 bytes but only 1 remain of 1"
                + " (header.version at offset 0)");
    }

    private static byte[] with(byte[] q, int off, int... values) {
        byte[] c = q.clone();
        for (int i = 0; i < values.length; i++) {
            c[off + i] = (byte) values[i];
        }
        return c;
    }

    private static String parseError(byte[] q) {
        return catchThrowableOfType(QuoteFormatException.class, () -> Quote.parse(q)).getMessage();
    }

    @Test
    void unsupportedVariantsAreRefusedByName() {
        byte[] q = Fixtures.PHALA.quote();
        assertThat(parseError(with(q, 0, 5, 0))).isEqualTo("quote version 5 is not supported (supported: 3, 4) (header.version at offset 0)");
        assertThat(parseError(with(q, 0, 2, 0))).startsWith("quote version 2 is not supported");
        assertThat(parseError(with(q, 2, 3, 0))).isEqualTo("attestation key type 3 (ECDSA-384) is not supported (supported: 2,"
                + " ECDSA-256 with P-256) (header.attestation_key_type at offset 2)");
        assertThat(parseError(with(q, 4, 0x81))).startsWith("the reserved bytes 4-7 of a version 3 quote are 0x81, not 0");
        assertThat(parseError(with(q, 0, 4, 0, 2, 0, 0x81))).isEqualTo("TEE type 0x81 (TDX) is not supported (supported: 0, SGX)"
                + " (header.tee_type at offset 4)");
        assertThat(parseError(with(q, 12, 0))).contains("QE vendor ID 009a7233").contains("is not Intel's");
        Quote parsed = Quote.parse(q);
        int type = parsed.qeAuthDataOffset() + 32;
        assertThat(parseError(with(q, type, 4, 0))).isEqualTo("certification data type 4 (PCK leaf certificate) is not supported here"
                + " (expected 5, PCK certificate chain) (signature_data.certification_data_type at offset " + type + ")");
        // a v3 layout declared as v4 is not misread as v4: the QE report's first bytes are no type-6 record
        assertThat(parseError(with(q, 0, 4, 0))).contains("signature_data.certification_data_type at offset 564")
                .contains("expected 6, QE report certification data");
        byte[] longer = Arrays.copyOf(q, q.length + 1);
        assertThat(parseError(longer)).startsWith("signature data length 4164 does not match the 4165 bytes");
        byte[] wrongSize = with(q, type + 2, 0xFF, 0x0F, 0, 0);
        assertThat(parseError(wrongSize)).isEqualTo("certification data size 4095 does not match the 3548 bytes present"
                + " (signature_data.certification_data_size at offset " + (type + 2) + ")");
    }

    @Test
    void aPckChainThatDoesNotDecodeNamesItsOffset() {
        Fixtures f = Fixtures.PHALA;
        byte[] q = f.quote();
        Quote parsed = Quote.parse(q);
        int at = parsed.pckCertChainOffset() + 100;
        q[at] = '*';
        QuoteFormatException e = catchThrowableOfType(QuoteFormatException.class,
                () -> QuoteVerifier.verify(q, f.collateral(), f.at()));
        assertThat(e.field()).isEqualTo("certification_data (PCK certificate chain)");
        assertThat(e.getMessage()).contains("is not valid base64");
        assertThat(e.offset()).isEqualTo(parsed.pckCertChainOffset() + 27);
    }

    private static byte[] phalaJson(String from, String to) {
        String s = new String(Fixtures.PHALA.collateralJson(), StandardCharsets.UTF_8);
        assertThat(s).contains(from);
        return s.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to))
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String collateralError(byte[] json) {
        CollateralFormatException e = catchThrowableOfType(CollateralFormatException.class, () -> Collateral.fromJson(json));
        assertThat(e).isNotNull();
        return e.getMessage();
    }

    @Test
    void collateralErrorsNameTheItemAndJsonPath() {
        assertThat(collateralError(phalaJson("\\\"version\\\":3", "\\\"version\\\":4")))
                .isEqualTo("TCB info version 4 is not supported (supported: 2, 3) (tcb_info at $.tcb_info.version)");
        assertThat(collateralError(phalaJson("\\\"tcbStatus\\\":\\\"ConfigurationAndSWHardeningNeeded\\\"",
                "\\\"tcbStatus\\\":\\\"Fine\\\"")))
                .startsWith("'Fine' is not a TCB status (allowed: UpToDate, SWHardeningNeeded, ConfigurationNeeded,"
                        + " ConfigurationAndSWHardeningNeeded, OutOfDate, OutOfDateConfigurationNeeded, Revoked)"
                        + " (tcb_info at $.tcb_info.tcbLevels[");
        assertThat(collateralError(phalaJson("\\\"tcbStatus\\\":\\\"UpToDate\\\"", "\\\"tcbStatus\\\":\\\"Fine\\\"")))
                .isEqualTo("'Fine' is not a QE TCB status (allowed: UpToDate, OutOfDate, Revoked)"
                        + " (qe_identity at $.qe_identity.tcbLevels[0].tcbStatus)");
        assertThat(collateralError(phalaJson("\\\"fmspc\\\":\\\"00A067110000\\\"", "\\\"fmspc\\\":\\\"00A0671100\\\"")))
                .isEqualTo("expected 6 bytes of hex (12 digits), found '00A0671100' (tcb_info at $.tcb_info.fmspc)");
        assertThat(collateralError(phalaJson("\\\"isvprodid\\\":1", "\\\"isvprodid\\\":\\\"1\\\"")))
                .isEqualTo("expected an integer from 0 to 65535, found '1' (qe_identity at $.qe_identity.isvprodid)");
        assertThat(collateralError(phalaJson("\\\"version\\\":2", "\\\"version\\\":3")))
                .isEqualTo("QE identity version 3 is not supported (supported: 2) (qe_identity at $.qe_identity.version)");
        assertThat(collateralError(phalaJson("\"pck_crl\": \"30", "\"pck_crl\": \"31")))
                .startsWith("not an X.509 CRL").endsWith("(pck_crl at $.pck_crl byte 0)");
        assertThat(collateralError(phalaJson("\"root_ca_crl\"", "\"root_crl\""))).isEqualTo("the required field 'root_ca_crl' is missing"
                + " (collateral at $)");
        assertThat(collateralError("[1]".getBytes(StandardCharsets.UTF_8))).isEqualTo("expected a JSON object, found an array"
                + " (collateral at $)");
        assertThat(collateralError("{\"tcb_info\":".getBytes(StandardCharsets.UTF_8))).startsWith("not valid JSON");
        String rs = new String(Fixtures.UDSAMANI.collateralJson(), StandardCharsets.UTF_8);
        assertThat(collateralError(rs.replace("\"tcbDate\":\"2023-08-09T00:00:00Z\"", "\"tcbDate\":\"yesterday\"")
                .getBytes(StandardCharsets.UTF_8)))
                .contains("'yesterday' is not an ISO-8601 UTC date").contains("(tcb_info at $.tcb_info.tcbInfo.tcbLevels[");
    }

    @Test
    void aDirectoryMissingAFileNamesIt() throws Exception {
        Path d = tmp.resolve("c");
        Fixtures.PHALA.collateral().writeDirectory(d);
        Files.delete(d.resolve("qe_identity_issuer_chain.pem"));
        assertThatThrownBy(() -> Collateral.load(d)).isInstanceOf(CollateralFormatException.class)
                .hasMessage("the collateral directory " + d + " has no qe_identity_issuer_chain.pem"
                        + " (qe_identity_issuer_chain at qe_identity_issuer_chain.pem)");
        Fixtures.PHALA.collateral().writeDirectory(d);
        Files.writeString(d.resolve("tcb_info_issuer_chain.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> Collateral.load(d)).isInstanceOf(CollateralFormatException.class)
                .hasMessageStartingWith("not an X.509 certificate");
    }

    @Test
    void crlsAreReadAsDerPemOrHex() throws Exception {
        Fixtures f = Fixtures.PHALA;
        Collateral c = f.collateral();
        Path d = tmp.resolve("crl");
        c.writeDirectory(d);
        byte[] der = Files.readAllBytes(d.resolve(Collateral.PCK_CRL));
        Files.writeString(d.resolve(Collateral.PCK_CRL), java.util.HexFormat.of().formatHex(der) + "\n");
        Files.writeString(d.resolve(Collateral.ROOT_CA_CRL), "-----BEGIN X509 CRL-----\r\n"
                + java.util.Base64.getMimeEncoder().encodeToString(Files.readAllBytes(d.resolve(Collateral.ROOT_CA_CRL)))
                + "\r\n-----END X509 CRL-----\r\n");
        Verification v = QuoteVerifier.verify(f.quote(), Collateral.load(d), f.at());
        assertThat(v.result()).isEqualTo(QvResult.CONFIG_AND_SW_HARDENING_NEEDED);
    }

    @Test
    void aChangedByteInTheTcbInfoOrQeIdentityFailsItsSignature() throws Exception {
        for (Fixtures f : Fixtures.values()) {
            Collateral c = f.collateral();
            String tcb = new String(c.tcbInfoBody(), StandardCharsets.UTF_8);
            String qe = new String(c.qeIdentityBody(), StandardCharsets.UTF_8);
            // in every form: the signed text with one byte changed (still valid JSON, still a valid TCB info)
            for (byte[] json : new byte[][]{Forms.dcapQvlJson(c), Forms.dcapRsJson(c)}) {
                String s = new String(json, StandardCharsets.UTF_8);
                String changedTcb = s.replace("\"pcesvn\":13", "\"pcesvn\":14").replace("\\\"pcesvn\\\":13", "\\\"pcesvn\\\":14");
                assertThat(changedTcb).isNotEqualTo(s);
                Verification v = QuoteVerifier.verify(f.quote(), Collateral.fromJson(changedTcb.getBytes(StandardCharsets.UTF_8)), f.at());
                assertThat(v.status()).as(f + " " + v.detail()).isEqualTo(QvlStatus.TCB_INFO_INVALID_SIGNATURE);
                assertThat(v.result()).isEqualTo(QvResult.INVALID_SIGNATURE);
                assertThat(v.error()).isEqualTo(Quote3Error.TCBINFO_CHAIN_ERROR);
                String changedQe = s.replace("\"isvsvn\":8", "\"isvsvn\":9").replace("\\\"isvsvn\\\":8", "\\\"isvsvn\\\":9");
                assertThat(changedQe).isNotEqualTo(s);
                assertThat(QuoteVerifier.verify(f.quote(), Collateral.fromJson(changedQe.getBytes(StandardCharsets.UTF_8)), f.at()).status())
                        .isEqualTo(QvlStatus.SGX_ENCLAVE_IDENTITY_INVALID_SIGNATURE);
            }
            // the directory form: one space added inside the signed object
            Path d = tmp.resolve(f + "-ws");
            c.writeDirectory(d);
            String body = Files.readString(d.resolve(Collateral.TCB_INFO));
            Files.writeString(d.resolve(Collateral.TCB_INFO), body.replaceFirst("\\{\"id\"", "{ \"id\""));
            assertThat(QuoteVerifier.verify(f.quote(), Collateral.load(d), f.at()).status())
                    .isEqualTo(QvlStatus.TCB_INFO_INVALID_SIGNATURE);
            assertThat(tcb).startsWith("{").endsWith("}");
            assertThat(qe).startsWith("{").endsWith("}");
        }
    }
}
