package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;

import java.time.Instant;

/**
 * Verifies Intel SGX ECDSA quotes (v3 and v4, ECDSA P-256, PCK certificate chain certification
 * data) with given collateral, in pure Java, as Intel's Quote Verification Enclave and Quote
 * Verification Library do: the PCK certificate chain and CRLs, the TCB info, the QE identity, then
 * the quote (TCB info match, QE report signature and report data, QE identity, quote signature,
 * platform TCB level, convergence with the QE's TCB status), and collateral expiry at a given time.
 *
 * <pre>{@code
 * Collateral c = Collateral.load(Path.of("collateral/"));          // or a dcap-qvl / dcap-rs JSON file
 * Verification v = QuoteVerifier.verify(quoteBytes, c, Instant.now());
 * if (v.terminal()) { reject(v.detail()); }
 * // v.result(): SGX_QL_QV_RESULT_..., v.advisoryIds(), v.collateralExpired(), v.quote().body().mrEnclave(), ...
 *
 * PreparedCollateral p = QuoteVerifier.prepare(c, TrustedRoot.intel()); // a server: check collateral once
 * Verification v2 = p.verify(otherQuote, Instant.now());
 * }</pre>
 *
 * Verdicts are never exceptions; only input that cannot be read is ({@link DcapFormatException}).
 */
public final class QuoteVerifier {
    private QuoteVerifier() {
    }

    /**
     * Verifies {@code quote} against Intel's SGX Root CA.
     *
     * @throws QuoteFormatException when the quote cannot be read
     */
    public static Verification verify(byte[] quote, Collateral collateral, Instant at) {
        return verify(quote, collateral, at, TrustedRoot.intel());
    }

    /**
     * Verifies {@code quote} against {@code root} instead of Intel's root.
     *
     * @throws QuoteFormatException when the quote cannot be read
     */
    public static Verification verify(byte[] quote, Collateral collateral, Instant at, TrustedRoot root) {
        return new PreparedCollateral(collateral, root, 0).verify(quote, at);
    }

    /**
     * Checks {@code collateral} once against {@code root} for verifying many quotes; PCK chains are
     * cached (up to 64, least recently used dropped).
     */
    public static PreparedCollateral prepare(Collateral collateral, TrustedRoot root) {
        return new PreparedCollateral(collateral, root, 64);
    }
}
