package io.jocclum.sgx.attest;

import io.jocclum.dcap.collateral.Collateral;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The verification collateral of a simulated platform, as Intel's PCS serves it (PCS API v4): TCB
 * info v3 ({@code {"tcbInfo":{...},"signature":"<hex r||s>"}}) and QE identity v2
 * ({@code {"enclaveIdentity":{...},"signature":"..."}}), each signed by the TCB Signing key over the
 * exact bytes of the inner object; their issuer chain (TCB Signing, root); the PCK CRL (DER) and its
 * issuer chain (PCK CA, root); the root CA CRL (DER); and the root certificate itself.
 *
 * @param tcbInfo                 the TCB info document
 * @param qeIdentity              the QE identity document
 * @param tcbInfoIssuerChain      PEM
 * @param qeIdentityIssuerChain   PEM
 * @param pckCrlIssuerChain       PEM
 * @param pckCrl                  DER
 * @param rootCaCrl               DER
 * @param rootCa                  PEM of the simulated root CA (the trust anchor)
 */
public record PcsCollateral(String tcbInfo, String qeIdentity, String tcbInfoIssuerChain, String qeIdentityIssuerChain,
                         String pckCrlIssuerChain, byte[] pckCrl, byte[] rootCaCrl, String rootCa) {
    /** The file of the root certificate, next to the verifier's files ({@link Collateral#TCB_INFO} ...). */
    public static final String ROOT_CA = "root_ca.pem";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public PcsCollateral {
        pckCrl = pckCrl.clone();
        rootCaCrl = rootCaCrl.clone();
    }

    @Override
    public byte[] pckCrl() {
        return pckCrl.clone();
    }

    @Override
    public byte[] rootCaCrl() {
        return rootCaCrl.clone();
    }

    /** The files by name, in the verifier's layout plus {@value #ROOT_CA}. */
    public Map<String, byte[]> files() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put(Collateral.TCB_INFO, tcbInfo.getBytes(StandardCharsets.UTF_8));
        m.put(Collateral.QE_IDENTITY, qeIdentity.getBytes(StandardCharsets.UTF_8));
        m.put(Collateral.TCB_INFO_ISSUER_CHAIN, tcbInfoIssuerChain.getBytes(StandardCharsets.US_ASCII));
        m.put(Collateral.QE_IDENTITY_ISSUER_CHAIN, qeIdentityIssuerChain.getBytes(StandardCharsets.US_ASCII));
        m.put(Collateral.PCK_CRL_ISSUER_CHAIN, pckCrlIssuerChain.getBytes(StandardCharsets.US_ASCII));
        m.put(Collateral.PCK_CRL, pckCrl.clone());
        m.put(Collateral.ROOT_CA_CRL, rootCaCrl.clone());
        m.put(ROOT_CA, rootCa.getBytes(StandardCharsets.US_ASCII));
        return m;
    }

    /** The dcap verifier's view of this collateral. */
    public Collateral toVerifierCollateral() {
        return Collateral.of(tcbInfo.getBytes(StandardCharsets.UTF_8), qeIdentity.getBytes(StandardCharsets.UTF_8),
                tcbInfoIssuerChain.getBytes(StandardCharsets.US_ASCII), qeIdentityIssuerChain.getBytes(StandardCharsets.US_ASCII),
                pckCrlIssuerChain.getBytes(StandardCharsets.US_ASCII), pckCrl, rootCaCrl);
    }

    /** Writes {@link #files()} into {@code dir} (created if needed), replacing files of the same names. */
    public void writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : files().entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
    }

    /**
     * The identity the QE identity document describes: what a verifier compares the QE report with.
     *
     * @param miscSelect     MISCSELECT (4 bytes, report byte order)
     * @param miscSelectMask its mask
     * @param attributes     ATTRIBUTES (16 bytes, report byte order)
     * @param attributesMask its mask
     * @param mrSigner       the QE's MRSIGNER
     * @param isvProdId      the QE's ISVPRODID
     */
    public record QeIdentity(byte[] miscSelect, byte[] miscSelectMask, byte[] attributes, byte[] attributesMask, byte[] mrSigner,
                             int isvProdId) {
    }

    /** Generates the collateral of {@code spec} signed by {@code pki}'s TCB Signing key. */
    public static PcsCollateral generate(SimulatedPki pki, TcbSpec spec, QeIdentity qe) {
        HexFormat hex = HexFormat.of().withUpperCase();
        ObjectNode tcb = JSON.createObjectNode();
        tcb.put("id", "SGX");
        tcb.put("version", 3);
        tcb.put("issueDate", date(spec.issueDate()));
        tcb.put("nextUpdate", date(spec.nextUpdate()));
        tcb.put("fmspc", hex.formatHex(spec.fmspc()));
        tcb.put("pceId", hex.formatHex(spec.pceId()));
        tcb.put("tcbType", 0);
        tcb.put("tcbEvaluationDataNumber", spec.tcbEvaluationDataNumber());
        ArrayNode levels = tcb.putArray("tcbLevels");
        for (TcbSpec.Level l : spec.levels()) {
            ObjectNode level = levels.addObject();
            ObjectNode t = level.putObject("tcb");
            ArrayNode comps = t.putArray("sgxtcbcomponents");
            for (int svn : l.tcb().components()) {
                comps.addObject().put("svn", svn);
            }
            t.put("pcesvn", l.tcb().pcesvn());
            level.put("tcbDate", date(l.tcbDate()));
            level.put("tcbStatus", l.status().name());
            advisories(level, l.advisoryIds());
        }

        ObjectNode id = JSON.createObjectNode();
        id.put("id", "QE");
        id.put("version", 2);
        id.put("issueDate", date(spec.issueDate()));
        id.put("nextUpdate", date(spec.nextUpdate()));
        id.put("tcbEvaluationDataNumber", spec.tcbEvaluationDataNumber());
        id.put("miscselect", hex.formatHex(qe.miscSelect()));
        id.put("miscselectMask", hex.formatHex(qe.miscSelectMask()));
        id.put("attributes", hex.formatHex(qe.attributes()));
        id.put("attributesMask", hex.formatHex(qe.attributesMask()));
        id.put("mrsigner", hex.formatHex(qe.mrSigner()));
        id.put("isvprodid", qe.isvProdId());
        ArrayNode qeLevels = id.putArray("tcbLevels");
        for (TcbSpec.QeLevel l : spec.qe().levels()) {
            ObjectNode level = qeLevels.addObject();
            level.putObject("tcb").put("isvsvn", l.isvsvn());
            level.put("tcbDate", date(l.tcbDate()));
            level.put("tcbStatus", l.status().name());
            advisories(level, l.advisoryIds());
        }

        String chain = pki.tcbSigningChainPem();
        return new PcsCollateral(signed("tcbInfo", JSON.writeValueAsString(tcb), pki), signed("enclaveIdentity",
                JSON.writeValueAsString(id), pki), chain, chain, pki.pckCrlChainPem(), pki.pckCrl(), pki.rootCrl(),
                SimulatedPki.pem(pki.root()));
    }

    private static void advisories(ObjectNode level, List<String> ids) {
        if (!ids.isEmpty()) {
            ArrayNode a = level.putArray("advisoryIDs");
            ids.forEach(a::add);
        }
    }

    private static String signed(String key, String body, SimulatedPki pki) {
        byte[] sig = pki.tcbSigningKey().signRaw(body.getBytes(StandardCharsets.UTF_8));
        return "{\"" + key + "\":" + body + ",\"signature\":\"" + HexFormat.of().formatHex(sig) + "\"}";
    }

    private static String date(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
