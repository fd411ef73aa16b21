package io.jocclum.bench.dcap;

import io.jocclum.dcap.Fixtures;
import io.jocclum.dcap.PreparedCollateral;
import io.jocclum.dcap.QuoteVerifier;
import io.jocclum.dcap.TrustedRoot;
import io.jocclum.dcap.Verification;
import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.pki.Ecdsa;
import io.jocclum.dcap.pki.Pem;
import io.jocclum.dcap.quote.Quote;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One genuine quote (the Phala dcap-qvl sample) verified: with collateral prepared once
 * ({@code ours}, a server verifying many quotes), from scratch including parsing the collateral
 * JSON ({@code cold}), and the floor every verifier pays, the two raw JDK ECDSA P-256 verifications
 * of the QE report (PCK key) and of the quote (attestation key) ({@code anchor}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class DcapBench {
    private byte[] quote;
    private byte[] collateralJson;
    private Instant at;
    private PreparedCollateral prepared;
    private PublicKey pckKey;
    private PublicKey attestationKey;
    private byte[] qeReport;
    private byte[] qeReportSignature;
    private byte[] signedData;
    private byte[] quoteSignature;

    @Setup
    public void setup() throws Exception {
        Fixtures f = Fixtures.PHALA;
        quote = f.quote();
        collateralJson = f.collateralJson();
        at = f.at();
        prepared = QuoteVerifier.prepare(Collateral.fromJson(collateralJson), TrustedRoot.intel());
        Verification v = prepared.verify(quote, at);
        if (v.terminal()) {
            throw new IllegalStateException("the fixture quote does not verify: " + v.detail());
        }
        Quote q = Quote.parse(quote);
        pckKey = Pem.certificates(q.pckCertChainPem()).getFirst().getPublicKey();
        attestationKey = Ecdsa.p256Key(q.attestationKey());
        qeReport = q.qeReportBytes();
        qeReportSignature = q.qeReportSignature();
        signedData = q.signedData();
        quoteSignature = q.quoteSignature();
        if (!anchor()) {
            throw new IllegalStateException("the anchor's signatures do not verify");
        }
    }

    @Benchmark
    public Verification ours() {
        return prepared.verify(quote, at);
    }

    @Benchmark
    public Verification cold() {
        return QuoteVerifier.verify(quote, Collateral.fromJson(collateralJson), at);
    }

    @Benchmark
    public boolean anchor() throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initVerify(pckKey);
        s.update(qeReport);
        boolean qe = s.verify(qeReportSignature);
        Signature t = Signature.getInstance("SHA256withECDSAinP1363Format");
        t.initVerify(attestationKey);
        t.update(signedData);
        return qe & t.verify(quoteSignature);
    }
}
