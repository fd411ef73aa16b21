package io.jocclum.dcap;

import io.jocclum.dcap.pki.PckExtensions;
import io.jocclum.dcap.quote.Quote;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of verifying a quote: Intel's verdict and everything it rests on. Terminal verdicts
 * (bad signatures, revocation, untrusted chains, no matching TCB level, a QE that is not Intel's)
 * are results like the others: {@link #terminal()} tells them apart.
 *
 * @param result             the verdict, Intel's {@code sgx_ql_qv_result_t}
 * @param error              Intel's {@code quote3_error_t} for it ({@code SGX_QL_SUCCESS} when non-terminal)
 * @param status             the check that decided it
 * @param detail             one sentence saying what was found
 * @param tcbStatus          the TCB status after merging the platform's and the QE's (Intel PCS spelling), or
 *                           null when no TCB level was reached
 * @param advisoryIds        advisory IDs of the matched platform TCB level
 * @param platformTcb        the matched platform TCB level, or null
 * @param qeTcb              the matched QE identity TCB level, or null
 * @param collateralExpired  Intel's {@code collateral_expiration_status}: true when some collateral had expired at
 *                           {@link #checkedAt} (the earliest expiration is not after it, or a CRL is not yet valid)
 * @param earliestExpiration the earliest expiration among all collateral and the PCK chain, or null when the
 *                           quote's chain could not be read
 * @param expired            what had expired, e.g. "QE identity (nextUpdate 2025-07-19T10:01:18Z)"
 * @param supplemental       the supplemental data, for non-terminal verdicts only (null otherwise, as Intel's QvE)
 * @param quote              the parsed quote
 * @param pck                the PCK certificate's SGX extension, or null when it could not be read
 * @param checkedAt          the time the collateral was checked against
 */
public record Verification(QvResult result, Quote3Error error, QvlStatus status, String detail, TcbStatus tcbStatus,
                           List<String> advisoryIds, PlatformTcbLevel platformTcb, QeTcbLevel qeTcb,
                           boolean collateralExpired, Instant earliestExpiration, List<String> expired,
                           Supplemental supplemental, Quote quote, PckExtensions pck, Instant checkedAt) {
    public Verification {
        advisoryIds = List.copyOf(advisoryIds);
        expired = List.copyOf(expired);
    }

    /**
     * The matched platform TCB level.
     *
     * @param tcbDate     its {@code tcbDate}
     * @param status      its {@code tcbStatus} (before merging with the QE's)
     * @param advisoryIds its {@code advisoryIDs}
     */
    public record PlatformTcbLevel(Instant tcbDate, TcbStatus status, List<String> advisoryIds) {
        public PlatformTcbLevel {
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    /**
     * The matched QE identity TCB level.
     *
     * @param isvSvn  the level's ISVSVN
     * @param tcbDate its {@code tcbDate}
     * @param status  its {@code tcbStatus}: UpToDate, OutOfDate or Revoked
     */
    public record QeTcbLevel(int isvSvn, Instant tcbDate, TcbStatus status) {
    }

    /** True for INVALID_SIGNATURE, REVOKED and UNSPECIFIED verdicts. */
    public boolean terminal() {
        return result.terminal();
    }

    /** True for {@link QvResult#OK} only. */
    public boolean upToDate() {
        return result == QvResult.OK;
    }
}
