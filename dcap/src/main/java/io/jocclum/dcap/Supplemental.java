package io.jocclum.dcap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * The supplemental data of a verification, Intel's {@code sgx_ql_qv_supplemental_t} version 3.3
 * ({@code sgx_qve_header.h}; filled as {@code qve_set_quote_supplemental_data} in {@code qve.cpp}
 * fills it). {@link #toBytes()} gives its 536-byte C layout (x86-64).
 *
 * @param earliestIssueDate           earliest issue date of all collateral (CRL thisUpdate, certificate notBefore, JSON issueDate)
 * @param latestIssueDate             latest of the same
 * @param earliestExpirationDate      earliest expiration (CRL nextUpdate, certificate notAfter, JSON nextUpdate)
 * @param tcbLevelDateTag             tcbDate of the matched platform TCB level
 * @param pckCrlNum                   CRL Number of the PCK CRL
 * @param rootCaCrlNum                CRL Number of the root CA CRL
 * @param tcbEvalRefNum               the lower tcbEvaluationDataNumber of TCB info and QE identity
 * @param rootKeyId                   SHA-384 of the root CA's public key (48 bytes)
 * @param pckPpid                     PPID from the PCK certificate (16 bytes)
 * @param tcbCpuSvn                   CPUSVN from the PCK certificate (16 bytes)
 * @param tcbPceIsvSvn                PCESVN from the PCK certificate
 * @param pceId                       PCE-ID from the PCK certificate
 * @param teeType                     0 for SGX
 * @param sgxType                     0 Standard, 1 Scalable, 2 Scalable with integrity
 * @param platformInstanceId          platform instance ID (16 bytes, zero unless a Platform-CA certificate has one)
 * @param dynamicPlatform             configuration flag
 * @param cachedKeys                  configuration flag
 * @param smtEnabled                  configuration flag
 * @param advisoryIds                 advisory IDs of the matched platform TCB level ({@code sa_list})
 * @param qeIdenEarliestIssueDate     earliest notBefore of the QE identity issuer chain (as Intel's QvE fills it)
 * @param qeIdenLatestIssueDate       latest notBefore of the QE identity issuer chain
 * @param qeIdenEarliestExpirationDate earliest notAfter of the QE identity issuer chain
 * @param qeIdenTcbLevelDateTag       tcbDate of the matched QE identity TCB level
 * @param qeIdenTcbEvalRefNum         tcbEvaluationDataNumber of the QE identity
 * @param qeIdenStatus                status of the matched QE identity TCB level
 */
public record Supplemental(Instant earliestIssueDate, Instant latestIssueDate, Instant earliestExpirationDate,
                           Instant tcbLevelDateTag, long pckCrlNum, long rootCaCrlNum, long tcbEvalRefNum, byte[] rootKeyId,
                           byte[] pckPpid, byte[] tcbCpuSvn, int tcbPceIsvSvn, int pceId, int teeType, int sgxType,
                           byte[] platformInstanceId, PckFlag dynamicPlatform, PckFlag cachedKeys, PckFlag smtEnabled,
                           List<String> advisoryIds, Instant qeIdenEarliestIssueDate, Instant qeIdenLatestIssueDate,
                           Instant qeIdenEarliestExpirationDate, Instant qeIdenTcbLevelDateTag, long qeIdenTcbEvalRefNum,
                           QvResult qeIdenStatus) {
    /** Major version of the layout. */
    public static final int MAJOR_VERSION = 3;
    /** Minor version of the layout. */
    public static final int MINOR_VERSION = 3;
    /** Size of {@link #toBytes()}. */
    public static final int SIZE = 536;

    /** {@code pck_cert_flag_enum_t}. */
    public enum PckFlag {
        FALSE, TRUE, UNDEFINED;

        static PckFlag of(Boolean b) {
            return b == null ? UNDEFINED : b ? TRUE : FALSE;
        }
    }

    public Supplemental {
        rootKeyId = rootKeyId.clone();
        pckPpid = pckPpid.clone();
        tcbCpuSvn = tcbCpuSvn.clone();
        platformInstanceId = platformInstanceId.clone();
        advisoryIds = List.copyOf(advisoryIds);
    }

    @Override
    public byte[] rootKeyId() {
        return rootKeyId.clone();
    }

    @Override
    public byte[] pckPpid() {
        return pckPpid.clone();
    }

    @Override
    public byte[] tcbCpuSvn() {
        return tcbCpuSvn.clone();
    }

    @Override
    public byte[] platformInstanceId() {
        return platformInstanceId.clone();
    }

    /** {@code sa_list}: the advisory IDs joined with commas. */
    public String saList() {
        return String.join(",", advisoryIds);
    }

    /** The 536-byte {@code sgx_ql_qv_supplemental_t} (little-endian, x86-64 alignment). */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) MAJOR_VERSION).putShort(2, (short) MINOR_VERSION);
        b.putLong(8, earliestIssueDate.getEpochSecond());
        b.putLong(16, latestIssueDate.getEpochSecond());
        b.putLong(24, earliestExpirationDate.getEpochSecond());
        b.putLong(32, tcbLevelDateTag.getEpochSecond());
        b.putInt(40, (int) pckCrlNum).putInt(44, (int) rootCaCrlNum).putInt(48, (int) tcbEvalRefNum);
        b.put(52, rootKeyId).put(100, pckPpid).put(116, tcbCpuSvn);
        b.putShort(132, (short) tcbPceIsvSvn).putShort(134, (short) pceId);
        b.putInt(136, teeType);
        b.put(140, (byte) sgxType);
        b.put(141, platformInstanceId);
        b.putInt(160, dynamicPlatform.ordinal()).putInt(164, cachedKeys.ordinal()).putInt(168, smtEnabled.ordinal());
        byte[] sa = saList().getBytes(StandardCharsets.US_ASCII);
        b.put(172, sa, 0, Math.min(sa.length, 319));
        b.putLong(496, qeIdenEarliestIssueDate.getEpochSecond());
        b.putLong(504, qeIdenLatestIssueDate.getEpochSecond());
        b.putLong(512, qeIdenEarliestExpirationDate.getEpochSecond());
        b.putLong(520, qeIdenTcbLevelDateTag.getEpochSecond());
        b.putInt(528, (int) qeIdenTcbEvalRefNum);
        b.putInt(532, qeIdenStatus.code());
        return b.array();
    }
}
