package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.util.Base64;
import java.util.HexFormat;

/** Writes a collateral in the dcap-qvl and dcap-rs JSON forms (test conversions). */
final class Forms {
    private Forms() {
    }

    static byte[] dcapQvlJson(Collateral c) {
        String s = "{\"pck_crl_issuer_chain\":" + str(Collateral.pem(c.pckCrlIssuerChain()))
                + ",\"root_ca_crl\":" + str(HexFormat.of().formatHex(der(c.rootCaCrl())))
                + ",\"pck_crl\":" + str(HexFormat.of().formatHex(der(c.pckCrl())))
                + ",\"tcb_info_issuer_chain\":" + str(Collateral.pem(c.tcbInfoIssuerChain()))
                + ",\"tcb_info\":" + str(new String(c.tcbInfoBody(), StandardCharsets.UTF_8))
                + ",\"tcb_info_signature\":" + str(HexFormat.of().formatHex(c.tcbInfoSignature()))
                + ",\"qe_identity_issuer_chain\":" + str(Collateral.pem(c.qeIdentityIssuerChain()))
                + ",\"qe_identity\":" + str(new String(c.qeIdentityBody(), StandardCharsets.UTF_8))
                + ",\"qe_identity_signature\":" + str(HexFormat.of().formatHex(c.qeIdentitySignature())) + "}";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] dcapRsJson(Collateral c) {
        String s = "{\"version\":3,\"root_ca_crl\":" + str(pemCrl(c.rootCaCrl()))
                + ",\"pck_crl\":" + str(pemCrl(c.pckCrl()))
                + ",\"tcb_info_and_qe_identity_issuer_chain\":" + str(Collateral.pem(c.tcbInfoIssuerChain()))
                + ",\"pck_crl_issuer_chain\":" + str(Collateral.pem(c.pckCrlIssuerChain()))
                + ",\"qe_identity_issuer_chain\":" + str(Collateral.pem(c.qeIdentityIssuerChain()))
                + ",\"tcb_info\":{\"tcbInfo\":" + new String(c.tcbInfoBody(), StandardCharsets.UTF_8)
                + ",\"signature\":\"" + HexFormat.of().formatHex(c.tcbInfoSignature()) + "\"}"
                + ",\"qe_identity\":{\"enclaveIdentity\":" + new String(c.qeIdentityBody(), StandardCharsets.UTF_8)
                + ",\"signature\":\"" + HexFormat.of().formatHex(c.qeIdentitySignature()) + "\"}}";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] der(X509CRL crl) {
        return TestPki.der(crl);
    }

    private static String pemCrl(X509CRL crl) {
        return "-----BEGIN X509 CRL-----\r\n" + Base64.getMimeEncoder().encodeToString(der(crl)) + "\r\n-----END X509 CRL-----\r\n";
    }

    /** A JSON string literal. */
    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
