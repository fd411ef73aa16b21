package io.jocclum.dcap.pki;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * PEM certificate chains and CRLs in the encodings Intel's collateral uses: PEM (RFC 7468, any line
 * ends, optional trailing NULs), raw DER, and hex-encoded DER (PCS API v3). Base64 is decoded
 * strictly: a character outside the alphabet is an error, not skipped.
 */
public final class Pem {
    private static final String BEGIN = "-----BEGIN ";
    private static final String DASHES = "-----";

    private Pem() {
    }

    /** A problem decoding part of the input: its byte offset and what is wrong. */
    public static final class PemException extends Exception {
        private final int offset;

        PemException(int offset, String message) {
            super(message, null, false, false);
            this.offset = offset;
        }

        /** Byte offset of the problem in the decoded input. */
        public int offset() {
            return offset;
        }
    }

    /** One decoded PEM block. */
    public record Block(String label, byte[] der, int offset) {
    }

    /**
     * Splits {@code text} into PEM blocks. Outside the blocks only whitespace and trailing NUL bytes
     * are allowed.
     */
    public static List<Block> blocks(byte[] text) throws PemException {
        int end = text.length;
        while (end > 0 && text[end - 1] == 0) {
            end--;
        }
        String s = new String(text, 0, end, StandardCharsets.ISO_8859_1);
        List<Block> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            int begin = s.indexOf(BEGIN, pos);
            int stop = begin < 0 ? s.length() : begin;
            for (int i = pos; i < stop; i++) {
                if (!Character.isWhitespace(s.charAt(i))) {
                    throw new PemException(i, "unexpected byte 0x" + HexFormat.of().toHexDigits((byte) s.charAt(i))
                            + " outside a PEM block");
                }
            }
            if (begin < 0) {
                return out;
            }
            int labelEnd = s.indexOf(DASHES, begin + BEGIN.length());
            int lineEnd = s.indexOf('\n', begin);
            if (labelEnd < 0 || (lineEnd >= 0 && labelEnd > lineEnd)) {
                throw new PemException(begin, "malformed PEM header line");
            }
            String label = s.substring(begin + BEGIN.length(), labelEnd);
            String footer = "-----END " + label + DASHES;
            int bodyStart = labelEnd + DASHES.length();
            int foot = s.indexOf(footer, bodyStart);
            if (foot < 0) {
                throw new PemException(begin, "PEM block '" + label + "' has no END line");
            }
            StringBuilder b64 = new StringBuilder(foot - bodyStart);
            for (int i = bodyStart; i < foot; i++) {
                char c = s.charAt(i);
                if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
                    continue;
                }
                b64.append(c);
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(b64.toString());
            } catch (IllegalArgumentException e) {
                throw new PemException(bodyStart, "PEM block '" + label + "' is not valid base64 (" + e.getMessage() + ")");
            }
            if (!Base64.getEncoder().encodeToString(der).contentEquals(b64)) {
                throw new PemException(bodyStart, "PEM block '" + label + "' is not canonical base64 (non-zero padding bits)");
            }
            out.add(new Block(label, der, begin));
            pos = foot + footer.length();
        }
    }

    /** Parses a PEM certificate chain (the blocks must all be CERTIFICATE). */
    public static List<X509Certificate> certificates(byte[] text) throws PemException {
        List<X509Certificate> certs = new ArrayList<>();
        for (Block b : blocks(text)) {
            if (!b.label().equals("CERTIFICATE")) {
                throw new PemException(b.offset(), "PEM block '" + b.label() + "' is not a CERTIFICATE");
            }
            certs.add(certificate(b.der(), b.offset()));
        }
        return certs;
    }

    /** Parses one DER certificate. */
    public static X509Certificate certificate(byte[] der, int offset) throws PemException {
        try {
            Object c = factory().generateCertificate(new ByteArrayInputStream(der));
            if (!(c instanceof X509Certificate x) || !java.util.Arrays.equals(x.getEncoded(), der)) {
                throw new PemException(offset, "the certificate does not decode to exactly its DER bytes");
            }
            requireWholeSignatureBytes(der, offset, "certificate");
            return x;
        } catch (CertificateException | RuntimeException e) {
            throw new PemException(offset, "not an X.509 certificate (" + clean(e) + ")");
        }
    }

    /** Parses one certificate given as PEM or DER. */
    public static X509Certificate certificateFile(byte[] bytes) throws PemException {
        if (startsWithPem(bytes)) {
            List<X509Certificate> c = certificates(bytes);
            if (c.size() != 1) {
                throw new PemException(0, "expected one certificate, found " + c.size());
            }
            return c.getFirst();
        }
        return certificate(bytes, 0);
    }

    /** Parses a CRL given as PEM, DER or hex-encoded DER. */
    public static X509CRL crl(byte[] bytes) throws PemException {
        byte[] der;
        if (startsWithPem(bytes)) {
            List<Block> bl = blocks(bytes);
            if (bl.size() != 1 || !bl.getFirst().label().equals("X509 CRL")) {
                throw new PemException(0, "expected one 'X509 CRL' PEM block");
            }
            der = bl.getFirst().der();
        } else if (isHex(bytes)) {
            int n = bytes.length;
            while (n > 0 && (bytes[n - 1] == 0 || Character.isWhitespace(bytes[n - 1]))) {
                n--;
            }
            der = HexFormat.of().parseHex(new String(bytes, 0, n, StandardCharsets.ISO_8859_1));
        } else {
            der = bytes;
        }
        try {
            X509CRL crl = (X509CRL) factory().generateCRL(new ByteArrayInputStream(der));
            if (crl == null || !java.util.Arrays.equals(crl.getEncoded(), der)) {
                throw new PemException(0, "the CRL does not decode to exactly its DER bytes");
            }
            requireWholeSignatureBytes(der, 0, "CRL");
            return crl;
        } catch (CRLException | RuntimeException e) {
            throw new PemException(0, "not an X.509 CRL (" + clean(e) + ")");
        }
    }

    /**
     * The signature of a certificate or CRL ({@code SEQUENCE { tbs, algorithm, BIT STRING }}, RFC 5280
     * section 4.1) must be a BIT STRING with no unused bits. The JDK's parser ignores the unused-bits
     * byte, which is not covered by the signature, so a changed byte there would otherwise verify;
     * OpenSSL, under Intel's QVL, refuses such a signature in {@code ASN1_item_verify}
     * (crypto/asn1/a_verify.c, "invalid bit string bits left").
     */
    static void requireWholeSignatureBytes(byte[] der, int offset, String what) throws PemException {
        int[] pos = {0};
        int outerEnd = enter(der, pos, 0x30, offset, what);
        skip(der, pos, 0x30, offset, what);
        skip(der, pos, 0x30, offset, what);
        int bitsEnd = enter(der, pos, 0x03, offset, what);
        if (bitsEnd != outerEnd || pos[0] >= bitsEnd || der[pos[0]] != 0) {
            throw new PemException(offset, "the " + what + "'s signature is not a whole number of bytes"
                    + " (its BIT STRING must have 0 unused bits)");
        }
    }

    /** Reads a tag and length at {@code pos[0]}; leaves {@code pos[0]} at the contents; returns their end. */
    private static int enter(byte[] der, int[] pos, int tag, int offset, String what) throws PemException {
        int p = pos[0];
        if (p + 2 > der.length || (der[p] & 0xFF) != tag) {
            throw new PemException(offset, "the " + what + " is not a signed DER structure");
        }
        int len = der[p + 1] & 0xFF;
        p += 2;
        if (len > 0x80) {
            int n = len - 0x80;
            if (n > 3 || p + n > der.length) {
                throw new PemException(offset, "the " + what + " has a DER length that does not fit");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (der[p++] & 0xFF);
            }
        } else if (len == 0x80) {
            throw new PemException(offset, "the " + what + " uses an indefinite length, which DER forbids");
        }
        if (len > der.length - p) {
            throw new PemException(offset, "the " + what + " has a DER length past its end");
        }
        pos[0] = p;
        return p + len;
    }

    private static void skip(byte[] der, int[] pos, int tag, int offset, String what) throws PemException {
        pos[0] = enter(der, pos, tag, offset, what);
    }

    /** A JDK parser's message without exception class names. */
    static String clean(Exception e) {
        String m = String.valueOf(e.getMessage());
        m = m.replaceAll("(?:[a-z]+\\.)+[A-Za-z]*Exception: ", "").replace("Could not parse certificate: ", "")
                .replace("Parsing error: ", "");
        return m.isBlank() || m.equals("null") ? "it does not decode" : m;
    }

    private static boolean startsWithPem(byte[] b) {
        int i = 0;
        while (i < b.length && Character.isWhitespace(b[i])) {
            i++;
        }
        return b.length - i >= BEGIN.length() && new String(b, i, BEGIN.length(), StandardCharsets.ISO_8859_1).equals(BEGIN);
    }

    private static boolean isHex(byte[] b) {
        int n = b.length;
        while (n > 0 && (b[n - 1] == 0 || Character.isWhitespace(b[n - 1]))) {
            n--;
        }
        if (n == 0 || n % 2 != 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (Character.digit(b[i], 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static CertificateFactory factory() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
    }
}
