package io.jocclum.sgx.attest;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.arch.Report;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.crypto.AesCmac;
import io.jocclum.sgx.driver.SgxPlatform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * DCAP quote generation on a simulated platform: Intel's provisioning certification enclave (PCE)
 * and ECDSA quoting enclave (QE3), run as real enclaves by a host task (aesmd's role), the simulated
 * PKI that certifies the platform, and the collateral PCS would serve for it.
 *
 * <h2>Start-up ({@link #start}), as Intel's QE3 certifies its attestation key</h2>
 * <ol>
 *   <li>The PCE (ISVPRODID 0, ISVSVN = the platform's PCESVN, ATTRIBUTES.PROVISIONKEY) derives the
 *   PCK private key from EGETKEY(PROVISION_KEY) at the platform's CPUSVN and its ISVSVN, and the
 *   PPID from EGETKEY(PROVISION_KEY) at SVN 0.</li>
 *   <li>The simulated Intel PKI mints the PCK certificate for that key with the platform's TCB in
 *   its SGX extension (Intel's registration service would do this from the platform manifest).</li>
 *   <li>The QE3 (ISVPRODID 1, ISVSVN from the TCB description) derives its attestation key from
 *   EGETKEY(SEAL_KEY, MRSIGNER policy) and makes a REPORT for the PCE whose REPORT DATA is
 *   SHA-256(attestation public key || QE authentication data) || 32 zero bytes.</li>
 *   <li>The PCE checks that REPORT's MAC with its REPORT key and signs the 384-byte report body with
 *   the PCK key: the QE report and QE report signature every quote carries.</li>
 * </ol>
 *
 * <h2>A quote ({@link #quote})</h2>
 * The QE3 checks the application's REPORT (targeted at the QE, {@link #qeTargetInfo}) with its own
 * REPORT key, builds the v3 header (attestation key type 2 = ECDSA P-256, QE and PCE SVN, Intel's QE
 * vendor ID, the QE ID in the user data), copies the report body, signs header and body with the
 * attestation key, and appends the attestation key, the certified QE report and its signature, the
 * authentication data and certification data type 5: the PEM chain PCK, PCK CA, root, with a
 * trailing NUL. Layout: Intel SGX ECDSA Quote Library API, appendix "Quote Format".
 *
 * <p>Thread-safe; {@link #close} ends the AEs.
 */
public final class AttestationPlatform implements AutoCloseable {
    /** Intel's QE vendor ID (939A7233-F79C-4CA9-940A-0DB3957F0607); verifiers require it. */
    public static final byte[] INTEL_QE_VENDOR_ID = HexFormat.of().parseHex("939A7233F79C4CA9940A0DB3957F0607");
    /** The QE authentication data Intel's QE3 sends: bytes 0..31. */
    static final byte[] AUTH_DATA = authData();
    private static final long QE_BASE = 0x7E00_0000_0000L;
    private static final long PCE_BASE = 0x7E00_0001_0000L;
    private static final int HEADER = 48;

    private final TcbSpec spec;
    private final HostTask task;
    private final ArchitecturalEnclave pce;
    private final ArchitecturalEnclave qe;
    private final SimulatedPki pki;
    private final PcsCollateral collateral;
    private final byte[] attestationKey;
    private final ECPrivateKey attestationPrivate;
    private final byte[] qeId;
    private final byte[] qeReport;
    private final byte[] qeReportSignature;
    private final byte[] certificationData;
    private final byte[] qeTargetInfo;
    private final int quoteSize;
    private final SgxPlatform platform;

    private AttestationPlatform(SgxPlatform platform, TcbSpec spec) {
        this.spec = spec;
        this.platform = platform;
        this.task = platform.newTask("aesm_service");
        ArchitecturalEnclave p = null;
        ArchitecturalEnclave q = null;
        try {
            p = ArchitecturalEnclave.load(platform, task, PCE_BASE, "PCE", 0, spec.current().pcesvn(), true);
            q = ArchitecturalEnclave.load(platform, task, QE_BASE, "QE3", 1, spec.qe().isvsvn(), true);
        } catch (RuntimeException e) {
            if (p != null) {
                p.close();
            }
            platform.exit(task);
            throw e;
        }
        this.pce = p;
        this.qe = q;

        // PCE: PCK key and PPID from the provisioning key
        byte[] cpuSvn = spec.current().cpuSvn();
        int pceSvn = spec.current().pcesvn();
        byte[] provisionKey = egetkey(pce.context(), KeyRequest.PROVISION_KEY, 0, pceSvn, cpuSvn, new byte[32]);
        P256 pck = P256.derive(provisionKey, "PCK");
        byte[] ppid = Arrays.copyOf(P256.sha256("PPID".getBytes(StandardCharsets.US_ASCII),
                egetkey(pce.context(), KeyRequest.PROVISION_KEY, 0, 0, new byte[16], new byte[32])), 16);
        byte[] pkiSecret = P256.sha256("jocclum simulated Intel PKI".getBytes(StandardCharsets.US_ASCII),
                platform.config().effectiveFuses());
        this.pki = new SimulatedPki(pkiSecret, spec, pck.rawPublicKey(), ppid);

        // QE3: attestation key from its seal key, certified by the PCE
        byte[] keyId = Arrays.copyOf("jocclum QE3 attestation key".getBytes(StandardCharsets.US_ASCII), 32);
        byte[] sealKey = egetkey(qe.context(), KeyRequest.SEAL_KEY, KeyRequest.POLICY_MRSIGNER, spec.qe().isvsvn(), cpuSvn, keyId);
        P256 ak = P256.derive(sealKey, "QE3 attestation key");
        this.attestationKey = ak.rawPublicKey();
        this.attestationPrivate = ak.privateKey();
        this.qeId = Arrays.copyOf(P256.sha256("QE ID".getBytes(StandardCharsets.US_ASCII), sealKey), 16);
        byte[] reportData = Arrays.copyOf(P256.sha256(attestationKey, AUTH_DATA), 64);
        byte[] report = qe.context().ereport(pce.targetInfo(), reportData);
        if (!macValid(pce.context(), report)) {
            throw new IllegalStateException("the PCE rejected the QE's REPORT");
        }
        this.qeReport = Arrays.copyOf(report, Report.BODY_SIZE);
        this.qeReportSignature = pck.signRaw(qeReport);
        byte[] pem = pki.pckChainPem().getBytes(StandardCharsets.US_ASCII);
        this.certificationData = Arrays.copyOf(pem, pem.length + 1);
        this.qeTargetInfo = qe.targetInfo();
        this.quoteSize = HEADER + Report.BODY_SIZE + 4 + 64 + 64 + Report.BODY_SIZE + 64 + 2 + AUTH_DATA.length + 2 + 4
                + certificationData.length;

        Attributes a = qe.attributes();
        byte[] attrMask = new Attributes(~Attributes.MODE64BIT, 0).toBytes();
        byte[] attrs = a.toBytes();
        for (int i = 0; i < 16; i++) {
            attrs[i] &= attrMask[i];
        }
        this.collateral = PcsCollateral.generate(pki, spec, new PcsCollateral.QeIdentity(le32(qe.miscSelect()), le32(-1), attrs,
                attrMask, qe.mrSigner(), 1));
    }

    /** Starts the PCE and QE3 on {@code platform} (in a host task of their own) for the TCB description {@code spec}. */
    public static AttestationPlatform start(SgxPlatform platform, TcbSpec spec) {
        return new AttestationPlatform(platform, spec);
    }

    public TcbSpec spec() {
        return spec;
    }

    public SimulatedPki pki() {
        return pki;
    }

    /** The collateral PCS would serve for this platform. */
    public PcsCollateral collateral() {
        return collateral;
    }

    /** The QE3's TARGETINFO (512 bytes): what an enclave targets its REPORT at before asking for a quote. */
    public byte[] qeTargetInfo() {
        return qeTargetInfo.clone();
    }

    /** The exact size of this platform's quotes (what sgx_qe_get_quote_size reports). */
    public int quoteSize() {
        return quoteSize;
    }

    /** The QE3's MRSIGNER (the simulated AE signing key's hash). */
    public byte[] qeMrSigner() {
        return qe.mrSigner();
    }

    /** The attestation public key (X || Y). */
    public byte[] attestationKey() {
        return attestationKey.clone();
    }

    /**
     * A v3 quote for {@code report} (a 432-byte REPORT targeted at the QE3).
     *
     * @throws InvalidReportException if the REPORT's MAC does not verify with the QE's REPORT key
     *                                (made for another target, on another platform, or altered)
     */
    public byte[] quote(byte[] report) {
        if (report.length != Report.SIZE) {
            throw new InvalidReportException("a REPORT has " + Report.SIZE + " bytes, got " + report.length);
        }
        if (!macValid(qe.context(), report)) {
            throw new InvalidReportException("the REPORT's MAC does not verify with the QE's REPORT key");
        }
        ByteBuffer q = ByteBuffer.allocate(quoteSize).order(ByteOrder.LITTLE_ENDIAN);
        q.putShort((short) 3).putShort((short) 2).putInt(0).putShort((short) spec.qe().isvsvn())
                .putShort((short) spec.current().pcesvn()).put(INTEL_QE_VENDOR_ID).put(qeId).putInt(0);
        q.put(report, 0, Report.BODY_SIZE);
        byte[] signature = sign(Arrays.copyOf(q.array(), HEADER + Report.BODY_SIZE));
        q.putInt(quoteSize - HEADER - Report.BODY_SIZE - 4);
        q.put(signature).put(attestationKey).put(qeReport).put(qeReportSignature);
        q.putShort((short) AUTH_DATA.length).put(AUTH_DATA);
        q.putShort((short) 5).putInt(certificationData.length).put(certificationData);
        return q.array();
    }

    private byte[] sign(byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
            s.initSign(attestationPrivate);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot sign with ECDSA P-256: " + e.getMessage(), e);
        }
    }

    /** Thrown for a REPORT the QE does not accept (SGX_QL_INVALID_REPORT). */
    public static final class InvalidReportException extends RuntimeException {
        InvalidReportException(String message) {
            super(message);
        }
    }

    /** What sgx_verify_report does inside an enclave: the REPORT's MAC under the caller's REPORT key. */
    static boolean macValid(EnclaveContext verifier, byte[] report) {
        byte[] keyId = Arrays.copyOfRange(report, 384, 416);
        byte[] key = egetkey(verifier, KeyRequest.REPORT_KEY, 0, 0, new byte[16], keyId);
        byte[] mac = AesCmac.mac(key, Arrays.copyOf(report, Report.BODY_SIZE));
        return MessageDigest.isEqual(mac, Arrays.copyOfRange(report, 416, 432));
    }

    private static byte[] egetkey(EnclaveContext ctx, int name, int policy, int isvSvn, byte[] cpuSvn, byte[] keyId) {
        Attributes mask = name == KeyRequest.REPORT_KEY ? new Attributes(0, 0) : new Attributes(0xFF0000000000000BL, 0);
        return ctx.egetkey(new KeyRequest(name, policy, isvSvn, cpuSvn, mask, keyId, 0, 0).toBytes());
    }

    private static byte[] le32(int v) {
        return new byte[]{(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    private static byte[] authData() {
        byte[] b = new byte[32];
        for (int i = 0; i < 32; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    /** Ends the QE3 and the PCE and their host task. */
    @Override
    public void close() {
        qe.close();
        pce.close();
        platform.exit(task);
    }
}
