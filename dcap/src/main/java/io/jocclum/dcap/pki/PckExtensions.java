package io.jocclum.dcap.pki;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The SGX extension of a PCK certificate (OID {@code 1.2.840.113741.1.13.1}, Intel SGX PCK
 * Certificate and CRL Profile): PPID, the TCB (16 SGX component SVNs, PCESVN, CPUSVN), PCE-ID,
 * FMSPC, SGX type, and for Platform-CA certificates the platform instance ID and configuration.
 *
 * @param ppid               PPID (16 bytes)
 * @param tcbComponents      the 16 SGX TCB component SVNs
 * @param pceSvn             PCESVN
 * @param cpuSvn             CPUSVN (16 bytes)
 * @param pceId              PCE-ID (2 bytes)
 * @param fmspc              FMSPC (6 bytes)
 * @param sgxType            0 Standard, 1 Scalable, 2 Scalable with integrity
 * @param platformInstanceId platform instance ID (16 bytes), or null
 * @param dynamicPlatform    configuration flag, or null when absent
 * @param cachedKeys         configuration flag, or null when absent
 * @param smtEnabled         configuration flag, or null when absent
 */
public record PckExtensions(byte[] ppid, int[] tcbComponents, int pceSvn, byte[] cpuSvn, byte[] pceId, byte[] fmspc,
                            int sgxType, byte[] platformInstanceId, Boolean dynamicPlatform, Boolean cachedKeys,
                            Boolean smtEnabled) {
    /** OID of the SGX extension. */
    public static final String SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";
    private static final String P = SGX_EXTENSION_OID + ".";

    public PckExtensions {
        ppid = ppid.clone();
        tcbComponents = tcbComponents.clone();
        cpuSvn = cpuSvn.clone();
        pceId = pceId.clone();
        fmspc = fmspc.clone();
        platformInstanceId = platformInstanceId == null ? null : platformInstanceId.clone();
    }

    @Override
    public byte[] ppid() {
        return ppid.clone();
    }

    @Override
    public int[] tcbComponents() {
        return tcbComponents.clone();
    }

    /** SGX TCB component SVN {@code i} (0-15) without copying. */
    public int tcbComponent(int i) {
        return tcbComponents[i];
    }

    @Override
    public byte[] cpuSvn() {
        return cpuSvn.clone();
    }

    @Override
    public byte[] pceId() {
        return pceId.clone();
    }

    @Override
    public byte[] fmspc() {
        return fmspc.clone();
    }

    @Override
    public byte[] platformInstanceId() {
        return platformInstanceId == null ? null : platformInstanceId.clone();
    }

    /** FMSPC as lowercase hex. */
    public String fmspcHex() {
        return HexFormat.of().formatHex(fmspc);
    }

    /** PCE-ID as lowercase hex. */
    public String pceIdHex() {
        return HexFormat.of().formatHex(pceId);
    }

    /** PCE-ID as an integer (as the supplemental data stores it: little-endian u16). */
    public int pceIdValue() {
        return (pceId[0] & 0xFF) | (pceId[1] & 0xFF) << 8;
    }

    /**
     * Reads the SGX extension of {@code cert}.
     *
     * @throws IllegalArgumentException when it is missing or malformed (the message says what)
     */
    public static PckExtensions of(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(SGX_EXTENSION_OID);
        if (ext == null) {
            throw new IllegalArgumentException("the certificate has no SGX extension (" + SGX_EXTENSION_OID + ")");
        }
        return parse(new Der(ext).next(Der.OCTET_STRING).value());
    }

    static PckExtensions parse(byte[] der) {
        Der seq = new Der(der).next(Der.SEQUENCE).contents();
        byte[] ppid = null;
        byte[] pceId = null;
        byte[] fmspc = null;
        Integer sgxType = null;
        int[] comps = null;
        Integer pceSvn = null;
        byte[] cpuSvn = null;
        byte[] instance = null;
        Boolean dyn = null;
        Boolean cached = null;
        Boolean smt = null;
        while (seq.more()) {
            Der pair = seq.next(Der.SEQUENCE).contents();
            String oid = pair.next().oid();
            Der.Tlv v = pair.next();
            switch (oid.startsWith(P) ? oid.substring(P.length()) : oid) {
                case "1" -> ppid = fixed(v.octets(), 16, "PPID");
                case "2" -> {
                    Der tcb = v.contents();
                    comps = new int[16];
                    boolean[] seen = new boolean[18];
                    while (tcb.more()) {
                        Der c = tcb.next(Der.SEQUENCE).contents();
                        String coid = c.next().oid();
                        Der.Tlv cv = c.next();
                        String sub = coid.startsWith(P + "2.") ? coid.substring(P.length() + 2) : "";
                        int idx;
                        try {
                            idx = Integer.parseInt(sub);
                        } catch (NumberFormatException e) {
                            continue;
                        }
                        if (idx >= 1 && idx <= 16) {
                            comps[idx - 1] = svn(cv.integer(), 255, "TCB component " + idx);
                            seen[idx - 1] = true;
                        } else if (idx == 17) {
                            pceSvn = svn(cv.integer(), 65535, "PCESVN");
                            seen[16] = true;
                        } else if (idx == 18) {
                            cpuSvn = fixed(cv.octets(), 16, "CPUSVN");
                            seen[17] = true;
                        }
                    }
                    for (int i = 0; i < 18; i++) {
                        if (!seen[i]) {
                            throw new IllegalArgumentException("the SGX TCB extension has no "
                                    + (i < 16 ? "component " + (i + 1) + " SVN" : i == 16 ? "PCESVN" : "CPUSVN"));
                        }
                    }
                }
                case "3" -> pceId = fixed(v.octets(), 2, "PCE-ID");
                case "4" -> fmspc = fixed(v.octets(), 6, "FMSPC");
                case "5" -> sgxType = svn(v.integer(), 2, "SGX type");
                case "6" -> instance = fixed(v.octets(), 16, "platform instance ID");
                case "7" -> {
                    Der conf = v.contents();
                    while (conf.more()) {
                        Der c = conf.next(Der.SEQUENCE).contents();
                        String coid = c.next().oid();
                        boolean flag = c.next().bool();
                        switch (coid.startsWith(P + "7.") ? coid.substring(P.length() + 2) : "") {
                            case "1" -> dyn = flag;
                            case "2" -> cached = flag;
                            case "3" -> smt = flag;
                            default -> {
                            }
                        }
                    }
                }
                default -> {
                }
            }
        }
        List<String> missing = new ArrayList<>();
        if (ppid == null) {
            missing.add("PPID");
        }
        if (comps == null) {
            missing.add("TCB");
        }
        if (pceId == null) {
            missing.add("PCE-ID");
        }
        if (fmspc == null) {
            missing.add("FMSPC");
        }
        if (sgxType == null) {
            missing.add("SGX type");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the SGX extension has no " + String.join(", ", missing));
        }
        return new PckExtensions(ppid, comps, pceSvn, cpuSvn, pceId, fmspc, sgxType, instance, dyn, cached, smt);
    }

    private static byte[] fixed(byte[] v, int len, String what) {
        if (v.length != len) {
            throw new IllegalArgumentException(what + " is " + v.length + " bytes, not " + len);
        }
        return v;
    }

    private static int svn(BigInteger v, int max, String what) {
        if (v.signum() < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException(what + " " + v + " is out of range 0.." + max);
        }
        return v.intValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PckExtensions p && Arrays.equals(ppid, p.ppid) && Arrays.equals(tcbComponents, p.tcbComponents)
                && pceSvn == p.pceSvn && Arrays.equals(cpuSvn, p.cpuSvn) && Arrays.equals(pceId, p.pceId)
                && Arrays.equals(fmspc, p.fmspc) && sgxType == p.sgxType && Arrays.equals(platformInstanceId, p.platformInstanceId)
                && java.util.Objects.equals(dynamicPlatform, p.dynamicPlatform) && java.util.Objects.equals(cachedKeys, p.cachedKeys)
                && java.util.Objects.equals(smtEnabled, p.smtEnabled);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ppid) * 31 + Arrays.hashCode(fmspc);
    }

    @Override
    public String toString() {
        HexFormat h = HexFormat.of();
        return "PckExtensions[fmspc=" + h.formatHex(fmspc) + ", pceId=" + h.formatHex(pceId) + ", tcbComponents="
                + Arrays.toString(tcbComponents) + ", pceSvn=" + pceSvn + ", cpuSvn=" + h.formatHex(cpuSvn) + ", sgxType=" + sgxType
                + "]";
    }
}
