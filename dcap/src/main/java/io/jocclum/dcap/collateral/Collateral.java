package io.jocclum.dcap.collateral;

import io.jocclum.dcap.CollateralFormatException;
import io.jocclum.dcap.pki.Pem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;

/**
 * The collateral a quote is verified with: Intel's {@code sgx_ql_qve_collateral_t} (PCK CRL and its
 * issuer chain, root CA CRL, TCB info and QE identity with their issuer chains), decoded and checked
 * for form, not yet verified.
 *
 * <p>Three sources give the same collateral:
 * <ul>
 *   <li>{@link #fromDirectory}: a directory holding the Intel PCS responses as files:
 *       {@code tcb_info.json} and {@code qe_identity.json} (the response bodies, byte for byte),
 *       {@code tcb_info_issuer_chain.pem}, {@code qe_identity_issuer_chain.pem},
 *       {@code pck_crl_issuer_chain.pem} (the issuer-chain response headers, URL-decoded), and
 *       {@code pck_crl.der}, {@code root_ca_crl.der} (DER, PEM or hex);</li>
 *   <li>{@link #fromJson} with Phala dcap-qvl's collateral JSON (every value a string; TCB info and
 *       QE identity as their signed text with separate signatures);</li>
 *   <li>{@link #fromJson} with Automata dcap-rs's collateral JSON (TCB info and QE identity as
 *       embedded PCS response objects).</li>
 * </ul>
 * The TCB info and QE identity signatures are verified later over the exact bytes received.
 */
public final class Collateral {
    /** File names of the directory layout. */
    public static final String TCB_INFO = "tcb_info.json";
    public static final String QE_IDENTITY = "qe_identity.json";
    public static final String TCB_INFO_ISSUER_CHAIN = "tcb_info_issuer_chain.pem";
    public static final String QE_IDENTITY_ISSUER_CHAIN = "qe_identity_issuer_chain.pem";
    public static final String PCK_CRL_ISSUER_CHAIN = "pck_crl_issuer_chain.pem";
    public static final String PCK_CRL = "pck_crl.der";
    public static final String ROOT_CA_CRL = "root_ca_crl.der";

    /** Where a collateral came from. */
    public enum Form { DIRECTORY, DCAP_QVL_JSON, DCAP_RS_JSON, PARTS }

    private final Form form;
    private final byte[] tcbInfoBody;
    private final byte[] tcbInfoSignature;
    private final TcbInfo tcbInfo;
    private final byte[] qeIdentityBody;
    private final byte[] qeIdentitySignature;
    private final QeIdentity qeIdentity;
    private final List<X509Certificate> tcbInfoIssuerChain;
    private final List<X509Certificate> qeIdentityIssuerChain;
    private final List<X509Certificate> pckCrlIssuerChain;
    private final X509CRL pckCrl;
    private final X509CRL rootCaCrl;

    private Collateral(Form form, Signed tcb, Signed qe, List<X509Certificate> tcbChain, List<X509Certificate> qeChain,
                       List<X509Certificate> pckCrlChain, X509CRL pckCrl, X509CRL rootCaCrl) {
        this.form = form;
        this.tcbInfoBody = tcb.body;
        this.tcbInfoSignature = tcb.signature;
        this.tcbInfo = TcbInfo.parse(tcb.body, tcb.path);
        this.qeIdentityBody = qe.body;
        this.qeIdentitySignature = qe.signature;
        this.qeIdentity = QeIdentity.parse(qe.body, qe.path);
        this.tcbInfoIssuerChain = List.copyOf(tcbChain);
        this.qeIdentityIssuerChain = List.copyOf(qeChain);
        this.pckCrlIssuerChain = List.copyOf(pckCrlChain);
        this.pckCrl = pckCrl;
        this.rootCaCrl = rootCaCrl;
    }

    /** A signed JSON body: its exact bytes, its signature and its path in the source. */
    private record Signed(byte[] body, byte[] signature, String path) {
    }

    /**
     * Collateral from its parts as Intel PCS returns them (what a PCCS client fetched).
     *
     * @param tcbInfoResponse          the TCB info response body {@code {"tcbInfo":{...},"signature":"..."}}
     * @param qeIdentityResponse       the QE identity response body {@code {"enclaveIdentity":{...},"signature":"..."}}
     * @param tcbInfoIssuerChain       PEM
     * @param qeIdentityIssuerChain    PEM
     * @param pckCrlIssuerChain        PEM
     * @param pckCrl                   DER, PEM or hex
     * @param rootCaCrl                DER, PEM or hex
     * @throws CollateralFormatException when a part does not decode
     */
    public static Collateral of(byte[] tcbInfoResponse, byte[] qeIdentityResponse, byte[] tcbInfoIssuerChain,
                                byte[] qeIdentityIssuerChain, byte[] pckCrlIssuerChain, byte[] pckCrl, byte[] rootCaCrl) {
        return fromParts(Form.PARTS, "", tcbInfoResponse, qeIdentityResponse, tcbInfoIssuerChain, qeIdentityIssuerChain,
                pckCrlIssuerChain, pckCrl, rootCaCrl);
    }

    private static Collateral fromParts(Form form, String prefix, byte[] tcbInfoResponse, byte[] qeIdentityResponse,
                                        byte[] tcbInfoIssuerChain, byte[] qeIdentityIssuerChain, byte[] pckCrlIssuerChain,
                                        byte[] pckCrl, byte[] rootCaCrl) {
        Signed tcb = response("tcb_info", prefix + "$", tcbInfoResponse, "tcbInfo");
        Signed qe = response("qe_identity", prefix + "$", qeIdentityResponse, "enclaveIdentity");
        return new Collateral(form, tcb, qe, chain("tcb_info_issuer_chain", tcbInfoIssuerChain),
                chain("qe_identity_issuer_chain", qeIdentityIssuerChain), chain("pck_crl_issuer_chain", pckCrlIssuerChain),
                crl("pck_crl", pckCrl), crl("root_ca_crl", rootCaCrl));
    }

    /** A PCS response body: the raw signed object and the hex signature. */
    private static Signed response(String item, String path, byte[] doc, String bodyName) {
        byte[] body = Json.rawValue(item, path, doc, bodyName);
        Json whole = Json.parse(item, path, doc).object();
        whole.field(bodyName).object();
        byte[] sig = whole.field("signature").hex(64);
        return new Signed(body, sig, path + "." + bodyName);
    }

    /**
     * Reads collateral from a directory (the layout above) or from a dcap-qvl or dcap-rs JSON file.
     *
     * @throws CollateralFormatException when a part is missing or does not decode
     * @throws UncheckedIOException      when a file cannot be read
     */
    public static Collateral load(Path path) {
        if (Files.isDirectory(path)) {
            return fromDirectory(path);
        }
        try {
            return fromJson(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("no such file or directory: " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads the directory layout (see the class comment). */
    public static Collateral fromDirectory(Path dir) {
        return fromParts(Form.DIRECTORY, "", read(dir, TCB_INFO, "tcb_info"), read(dir, QE_IDENTITY, "qe_identity"),
                read(dir, TCB_INFO_ISSUER_CHAIN, "tcb_info_issuer_chain"),
                read(dir, QE_IDENTITY_ISSUER_CHAIN, "qe_identity_issuer_chain"),
                read(dir, PCK_CRL_ISSUER_CHAIN, "pck_crl_issuer_chain"), read(dir, PCK_CRL, "pck_crl"),
                read(dir, ROOT_CA_CRL, "root_ca_crl"));
    }

    private static byte[] read(Path dir, String name, String item) {
        Path p = dir.resolve(name);
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new CollateralFormatException(item, name, "the collateral directory " + dir + " has no " + name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a collateral JSON file: dcap-qvl's (recognised by {@code tcb_info_signature}) or
     * dcap-rs's (recognised by {@code tcb_info} being an object).
     */
    public static Collateral fromJson(byte[] json) {
        Json doc = Json.parse("collateral", "$", json).object();
        Json tcb = doc.field("tcb_info");
        if (doc.optional("tcb_info_signature") != null || tcb.node.isString()) {
            return fromDcapQvl(doc);
        }
        if (tcb.node.isObject()) {
            return fromDcapRs(doc, json);
        }
        throw tcb.error("expected the TCB info as a string (dcap-qvl) or an object (dcap-rs), found " + tcb.describe());
    }

    private static Collateral fromDcapQvl(Json doc) {
        Json tcb = doc.field("tcb_info");
        Json qe = doc.field("qe_identity");
        Signed tcbS = new Signed(tcb.string().getBytes(StandardCharsets.UTF_8), doc.field("tcb_info_signature").hex(64), tcb.path);
        Signed qeS = new Signed(qe.string().getBytes(StandardCharsets.UTF_8), doc.field("qe_identity_signature").hex(64), qe.path);
        return new Collateral(Form.DCAP_QVL_JSON, tcbS, qeS, chain(doc.field("tcb_info_issuer_chain")),
                chain(doc.field("qe_identity_issuer_chain")), chain(doc.field("pck_crl_issuer_chain")),
                crl(doc.field("pck_crl")), crl(doc.field("root_ca_crl")));
    }

    private static Collateral fromDcapRs(Json doc, byte[] json) {
        Json tcb = doc.field("tcb_info").object();
        Json qe = doc.field("qe_identity").object();
        Signed tcbS = new Signed(Json.rawValue("tcb_info", "$", json, "tcb_info", "tcbInfo"), tcb.field("signature").hex(64),
                "$.tcb_info.tcbInfo");
        Signed qeS = new Signed(Json.rawValue("qe_identity", "$", json, "qe_identity", "enclaveIdentity"),
                qe.field("signature").hex(64), "$.qe_identity.enclaveIdentity");
        tcb.field("tcbInfo").object();
        qe.field("enclaveIdentity").object();
        Json shared = doc.optional("tcb_info_and_qe_identity_issuer_chain");
        Json tcbChain = shared != null ? shared : doc.field("tcb_info_issuer_chain");
        Json qeChain = doc.optional("qe_identity_issuer_chain");
        return new Collateral(Form.DCAP_RS_JSON, tcbS, qeS, chain(tcbChain), chain(qeChain != null ? qeChain : tcbChain),
                chain(doc.field("pck_crl_issuer_chain")), crl(doc.field("pck_crl")), crl(doc.field("root_ca_crl")));
    }

    private static List<X509Certificate> chain(Json j) {
        return chain(j.path.substring(j.path.lastIndexOf('.') + 1), j.string().getBytes(StandardCharsets.ISO_8859_1), j.path);
    }

    private static List<X509Certificate> chain(String item, byte[] pem) {
        return chain(item, pem, "");
    }

    private static List<X509Certificate> chain(String item, byte[] pem, String path) {
        try {
            List<X509Certificate> c = Pem.certificates(pem);
            if (c.isEmpty()) {
                throw new CollateralFormatException(item, path, "the certificate chain holds no PEM certificate");
            }
            return c;
        } catch (Pem.PemException e) {
            throw new CollateralFormatException(item, at(path, e.offset()), e.getMessage(), e);
        }
    }

    private static X509CRL crl(Json j) {
        return crl(j.path.substring(j.path.lastIndexOf('.') + 1), j.string().getBytes(StandardCharsets.ISO_8859_1), j.path);
    }

    private static X509CRL crl(String item, byte[] bytes) {
        return crl(item, bytes, "");
    }

    private static X509CRL crl(String item, byte[] bytes, String path) {
        try {
            X509CRL crl = Pem.crl(bytes);
            if (crl.getNextUpdate() == null) {
                throw new CollateralFormatException(item, path, "the CRL has no nextUpdate");
            }
            return crl;
        } catch (Pem.PemException e) {
            throw new CollateralFormatException(item, at(path, e.offset()), e.getMessage(), e);
        }
    }

    private static String at(String path, int offset) {
        return (path.isEmpty() ? "" : path + " ") + "byte " + offset;
    }

    /**
     * Writes this collateral in the directory layout (creating {@code dir}); reading it back gives
     * the same collateral.
     */
    public void writeDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(TCB_INFO), responseBody("tcbInfo", tcbInfoBody, tcbInfoSignature));
        Files.write(dir.resolve(QE_IDENTITY), responseBody("enclaveIdentity", qeIdentityBody, qeIdentitySignature));
        Files.writeString(dir.resolve(TCB_INFO_ISSUER_CHAIN), pem(tcbInfoIssuerChain));
        Files.writeString(dir.resolve(QE_IDENTITY_ISSUER_CHAIN), pem(qeIdentityIssuerChain));
        Files.writeString(dir.resolve(PCK_CRL_ISSUER_CHAIN), pem(pckCrlIssuerChain));
        try {
            Files.write(dir.resolve(PCK_CRL), pckCrl.getEncoded());
            Files.write(dir.resolve(ROOT_CA_CRL), rootCaCrl.getEncoded());
        } catch (CRLException e) {
            throw new IOException("cannot encode a CRL: " + e.getMessage(), e);
        }
    }

    private static byte[] responseBody(String name, byte[] body, byte[] sig) {
        byte[] head = ("{\"" + name + "\":").getBytes(StandardCharsets.UTF_8);
        byte[] tail = (",\"signature\":\"" + HexFormat.of().formatHex(sig) + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + body.length + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        System.arraycopy(tail, 0, out, head.length + body.length, tail.length);
        return out;
    }

    /** PEM text of a certificate chain. */
    public static String pem(List<X509Certificate> chain) {
        StringBuilder s = new StringBuilder();
        for (X509Certificate c : chain) {
            try {
                s.append("-----BEGIN CERTIFICATE-----\n")
                        .append(java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("a parsed certificate cannot be encoded", e);
            }
        }
        return s.toString();
    }

    /** Where this collateral was read from. */
    public Form form() {
        return form;
    }

    /** The exact signed bytes of the TCB info ({@code tcbInfo}). */
    public byte[] tcbInfoBody() {
        return tcbInfoBody.clone();
    }

    /** The TCB info signature r‖s (64 bytes). */
    public byte[] tcbInfoSignature() {
        return tcbInfoSignature.clone();
    }

    /** The parsed TCB info. */
    public TcbInfo tcbInfo() {
        return tcbInfo;
    }

    /** The exact signed bytes of the QE identity ({@code enclaveIdentity}). */
    public byte[] qeIdentityBody() {
        return qeIdentityBody.clone();
    }

    /** The QE identity signature r‖s (64 bytes). */
    public byte[] qeIdentitySignature() {
        return qeIdentitySignature.clone();
    }

    /** The parsed QE identity. */
    public QeIdentity qeIdentity() {
        return qeIdentity;
    }

    /** TCB info issuer chain (TCB Signing certificate, root). */
    public List<X509Certificate> tcbInfoIssuerChain() {
        return tcbInfoIssuerChain;
    }

    /** QE identity issuer chain. */
    public List<X509Certificate> qeIdentityIssuerChain() {
        return qeIdentityIssuerChain;
    }

    /** PCK CRL issuer chain (PCK Processor or Platform CA, root). */
    public List<X509Certificate> pckCrlIssuerChain() {
        return pckCrlIssuerChain;
    }

    /** The PCK CRL (of the Processor or Platform CA). */
    public X509CRL pckCrl() {
        return pckCrl;
    }

    /** The root CA CRL. */
    public X509CRL rootCaCrl() {
        return rootCaCrl;
    }

    @Override
    public String toString() {
        return "Collateral[" + form + ", " + tcbInfo + ", " + qeIdentity + "]";
    }
}
