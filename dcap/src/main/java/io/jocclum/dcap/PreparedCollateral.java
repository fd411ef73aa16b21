package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.collateral.QeIdentity;
import io.jocclum.dcap.collateral.TcbInfo;
import io.jocclum.dcap.collateral.TcbLevel;
import io.jocclum.dcap.pki.Ecdsa;
import io.jocclum.dcap.pki.Names;
import io.jocclum.dcap.pki.PckExtensions;
import io.jocclum.dcap.pki.Pem;
import io.jocclum.dcap.quote.Quote;
import io.jocclum.dcap.quote.ReportBody;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collateral checked once against a trusted root, ready to verify many quotes: the CRLs' issuers
 * and signatures, the TCB info and QE identity issuer chains, revocation of their signing
 * certificate and their signatures are verified when this is created; PCK certificate chains are
 * verified on first use and kept in a small cache keyed by their bytes. What depends on the check
 * time (expiry) is evaluated on every {@link #verify} call, and every verdict is reported in the
 * order Intel's QvE reaches it, so a cached check gives exactly the verdict a fresh one would.
 *
 * <p>Thread-safe.
 */
public final class PreparedCollateral {
    private static final int DEFAULT_CHAIN_CACHE = 64;
    private static final String PCK_CN = "SGX PCK Certificate";
    private static final String ROOT_CN = "SGX Root CA";
    private static final String TCB_SIGNING_CN = "SGX TCB Signing";
    private static final String CRL_NUMBER = "2.5.29.20";
    private static final String AUTHORITY_KEY_ID = "2.5.29.35";

    private final Collateral collateral;
    private final TrustedRoot root;
    private final Check rootCrl;
    private final Check tcbStage;
    private final Check qeStage;
    private final long pckCrlNum;
    private final long rootCrlNum;
    private final Dates collateralDates;
    private final Dates qeChainDates;
    private final Instant tcbChainNotAfter;
    private final Instant qeChainNotAfter;
    private final Map<ChainKey, ChainCheck> chains;
    private final int chainCacheSize;

    /** A check's outcome: null status means it passed. */
    private record Check(QvlStatus status, String detail) {
        static final Check PASS = new Check(null, null);

        boolean passed() {
            return status == null;
        }
    }

    /** Earliest/latest issue dates and earliest expiration over some collateral. */
    private record Dates(Instant earliestIssue, Instant latestIssue, Instant earliestExpiration) {
        static Dates of(List<X509Certificate> chain) {
            Instant ei = Instant.MAX;
            Instant li = Instant.MIN;
            Instant ee = Instant.MAX;
            for (X509Certificate c : chain) {
                Instant nb = c.getNotBefore().toInstant();
                ei = min(ei, nb);
                li = max(li, nb);
                ee = min(ee, c.getNotAfter().toInstant());
            }
            return new Dates(ei, li, ee);
        }

        Dates with(Dates o) {
            return new Dates(min(earliestIssue, o.earliestIssue), max(latestIssue, o.latestIssue),
                    min(earliestExpiration, o.earliestExpiration));
        }

        Dates with(Instant issue, Instant expiration) {
            return new Dates(min(earliestIssue, issue), max(latestIssue, issue), min(earliestExpiration, expiration));
        }

        private static Instant min(Instant a, Instant b) {
            return a.isBefore(b) ? a : b;
        }

        private static Instant max(Instant a, Instant b) {
            return a.isAfter(b) ? a : b;
        }
    }

    PreparedCollateral(Collateral collateral, TrustedRoot root, int chainCacheSize) {
        this.collateral = collateral;
        this.root = root;
        this.chainCacheSize = chainCacheSize;
        this.chains = new LinkedHashMap<>(16, 0.75f, true);
        X509Certificate rootCert = root.certificate();
        this.rootCrl = crlCheck(collateral.rootCaCrl(), rootCert, "root CA CRL");
        this.rootCrlNum = crlNumber(collateral.rootCaCrl());
        this.pckCrlNum = crlNumber(collateral.pckCrl());
        this.tcbStage = signingStage(collateral.tcbInfoIssuerChain(), collateral.tcbInfoBody(), collateral.tcbInfoSignature(),
                "TCB info", QvlStatus.SGX_TCB_SIGNING_CERT_CHAIN_UNTRUSTED, QvlStatus.SGX_TCB_SIGNING_CERT_REVOKED,
                QvlStatus.TCB_INFO_INVALID_SIGNATURE);
        this.qeStage = signingStage(collateral.qeIdentityIssuerChain(), collateral.qeIdentityBody(),
                collateral.qeIdentitySignature(), "QE identity", QvlStatus.SGX_ENCLAVE_IDENTITY_CHAIN_UNTRUSTED,
                QvlStatus.SGX_ENCLAVE_IDENTITY_SIGNING_CERT_REVOKED, QvlStatus.SGX_ENCLAVE_IDENTITY_INVALID_SIGNATURE);
        X509CRL rc = collateral.rootCaCrl();
        X509CRL pc = collateral.pckCrl();
        TcbInfo ti = collateral.tcbInfo();
        QeIdentity qi = collateral.qeIdentity();
        this.qeChainDates = Dates.of(collateral.qeIdentityIssuerChain());
        this.collateralDates = Dates.of(collateral.pckCrlIssuerChain())
                .with(Dates.of(collateral.tcbInfoIssuerChain()))
                .with(qeChainDates)
                .with(rc.getThisUpdate().toInstant(), rc.getNextUpdate().toInstant())
                .with(pc.getThisUpdate().toInstant(), pc.getNextUpdate().toInstant())
                .with(ti.issueDate(), ti.nextUpdate())
                .with(qi.issueDate(), qi.nextUpdate());
        this.tcbChainNotAfter = Dates.of(collateral.tcbInfoIssuerChain()).earliestExpiration();
        this.qeChainNotAfter = qeChainDates.earliestExpiration();
    }

    /** The collateral. */
    public Collateral collateral() {
        return collateral;
    }

    /** The trusted root. */
    public TrustedRoot root() {
        return root;
    }

    // ---------------------------------------------------------------- collateral-only checks

    /** A CRL's issuer, extensions and signature against the certificate that must have issued it. */
    private static Check crlCheck(X509CRL crl, X509Certificate issuer, String what) {
        if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return new Check(QvlStatus.SGX_CRL_UNKNOWN_ISSUER, "the " + what + " is issued by '" + Names.cn(crl.getIssuerX500Principal())
                    + "', not by '" + Names.cn(issuer.getSubjectX500Principal()) + "'");
        }
        if (crl.getExtensionValue(CRL_NUMBER) == null || crl.getExtensionValue(AUTHORITY_KEY_ID) == null) {
            return new Check(QvlStatus.SGX_CRL_INVALID_EXTENSIONS, "the " + what + " lacks the CRL Number or Authority Key Identifier extension");
        }
        if (!verifies(crl, issuer.getPublicKey())) {
            return new Check(QvlStatus.SGX_CRL_INVALID_SIGNATURE, "the " + what + "'s signature does not verify with the key of '"
                    + Names.cn(issuer.getSubjectX500Principal()) + "'");
        }
        return Check.PASS;
    }

    private static boolean verifies(X509CRL crl, PublicKey key) {
        try {
            crl.verify(key);
            return true;
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static boolean verifies(X509Certificate cert, PublicKey key) {
        try {
            cert.verify(key);
            return true;
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static long crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(CRL_NUMBER);
        if (ext == null) {
            return 0;
        }
        // OCTET STRING { INTEGER }
        try {
            int i = 0;
            if (ext[i++] != 0x04) {
                return 0;
            }
            i++;
            if (ext[i++] != 0x02) {
                return 0;
            }
            int len = ext[i++];
            if (len <= 0 || len > 8 || i + len > ext.length) {
                return 0;
            }
            return new BigInteger(Arrays.copyOfRange(ext, i, i + len)).longValue();
        } catch (ArrayIndexOutOfBoundsException e) {
            return 0;
        }
    }

    /**
     * The TCB info or QE identity stage (QVL {@code TCBInfoVerifier} / {@code EnclaveIdentityVerifier}):
     * the issuer chain is a TCB Signing certificate under the trusted root, the root CA CRL passes and
     * does not revoke the signing certificate, and the body's signature verifies.
     */
    private Check signingStage(List<X509Certificate> chain, byte[] body, byte[] signature, String what, QvlStatus untrusted,
                               QvlStatus revoked, QvlStatus badSignature) {
        String chainName = "the " + what + " issuer chain";
        if (chain.size() != 2) {
            return new Check(untrusted, chainName + " has " + chain.size() + " certificates, not 2 (TCB Signing, root)");
        }
        X509Certificate signing = chain.get(0);
        X509Certificate chainRoot = chain.get(1);
        if (!root.pins(chainRoot.getPublicKey())) {
            return new Check(untrusted, chainName + "'s root '" + Names.cn(chainRoot.getSubjectX500Principal())
                    + "' does not have the trusted root's key");
        }
        if (!chainRoot.getIssuerX500Principal().equals(chainRoot.getSubjectX500Principal()) || !verifies(chainRoot, chainRoot.getPublicKey())) {
            return new Check(untrusted, chainName + "'s root is not self-signed");
        }
        if (!Names.cnContains(signing.getSubjectX500Principal(), TCB_SIGNING_CN)) {
            return new Check(untrusted, chainName + "'s first certificate '" + Names.cn(signing.getSubjectX500Principal())
                    + "' is not an SGX TCB Signing certificate");
        }
        if (!signing.getIssuerX500Principal().equals(chainRoot.getSubjectX500Principal()) || !verifies(signing, chainRoot.getPublicKey())) {
            return new Check(untrusted, chainName + "'s TCB Signing certificate is not signed by the root");
        }
        if (!rootCrl.passed()) {
            return rootCrl;
        }
        if (collateral.rootCaCrl().isRevoked(signing)) {
            return new Check(revoked, "the root CA CRL revokes the " + what + "'s signing certificate (serial 0x"
                    + signing.getSerialNumber().toString(16) + ")");
        }
        PublicKey key = signing.getPublicKey();
        if (!Ecdsa.verify(key, signature, body)) {
            return new Check(badSignature, "the " + what + "'s signature does not verify with the TCB Signing key over its "
                    + body.length + " bytes");
        }
        return Check.PASS;
    }

    // ---------------------------------------------------------------- PCK chains

    /** Cache key: the PCK chain bytes. */
    private record ChainKey(byte[] bytes, int hash) {
        ChainKey(byte[] bytes) {
            this(bytes, Arrays.hashCode(bytes));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChainKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** A verified (or rejected) PCK certificate chain; time-independent. */
    private record ChainCheck(Check check, PckExtensions pck, PublicKey leafKey, X509Certificate leaf, Dates dates,
                              byte[] rootKeyId) {
    }

    private ChainCheck chain(Quote q) {
        byte[] pem = q.pckCertChainPem();
        ChainKey key = new ChainKey(pem);
        if (chainCacheSize > 0) {
            synchronized (chains) {
                ChainCheck c = chains.get(key);
                if (c != null) {
                    return c;
                }
            }
        }
        ChainCheck c = checkChain(pem, q.pckCertChainOffset());
        if (chainCacheSize > 0) {
            synchronized (chains) {
                chains.put(key, c);
                if (chains.size() > chainCacheSize) {
                    chains.remove(chains.keySet().iterator().next());
                }
            }
        }
        return c;
    }

    /**
     * The PCK chain stage (QvE {@code extract_chain_from_quote}, root key pinning, QVL
     * {@code PckCertVerifier} and {@code PckCrlVerifier}), except expiry.
     */
    private ChainCheck checkChain(byte[] pem, int offset) {
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(pem);
        } catch (Pem.PemException e) {
            throw new QuoteFormatException("certification_data (PCK certificate chain)", offset + e.offset(), e.getMessage(), e);
        }
        Dates dates = certs.isEmpty() ? null : Dates.of(certs);
        if (certs.size() != 3) {
            return new ChainCheck(new Check(QvlStatus.UNSUPPORTED_PCK_CERT_FORMAT, "the PCK certificate chain has " + certs.size()
                    + " certificates, not 3 (PCK, PCK CA, root)"), null, null, null, dates, null);
        }
        X509Certificate leaf = certs.get(0);
        X509Certificate ca = certs.get(1);
        X509Certificate chainRoot = certs.get(2);
        byte[] rootKeyId = sha384(Ecdsa.rawPoint(chainRoot.getPublicKey()));
        PckExtensions pck = null;
        try {
            pck = PckExtensions.of(leaf);
        } catch (IllegalArgumentException e) {
            // reported below, in QVL's order
        }
        Check c = chainChecks(leaf, ca, chainRoot, pck);
        return new ChainCheck(c, pck, leaf.getPublicKey(), leaf, dates, rootKeyId);
    }

    private Check chainChecks(X509Certificate leaf, X509Certificate ca, X509Certificate chainRoot, PckExtensions pck) {
        if (!root.pins(chainRoot.getPublicKey())) {
            return new Check(QvlStatus.SGX_ROOT_CA_UNTRUSTED, "the PCK certificate chain's root '" + Names.cn(chainRoot.getSubjectX500Principal())
                    + "' does not have the trusted root's key (" + (root.isIntel() ? "Intel SGX Root CA" : "the given root") + ")");
        }
        if (!chainRoot.getIssuerX500Principal().equals(chainRoot.getSubjectX500Principal())
                || !Names.cnContains(chainRoot.getSubjectX500Principal(), ROOT_CN) && root.isIntel()
                || !verifies(chainRoot, chainRoot.getPublicKey())) {
            return new Check(QvlStatus.SGX_ROOT_CA_INVALID, "the PCK certificate chain's root '" + Names.cn(chainRoot.getSubjectX500Principal())
                    + "' is not a self-signed SGX Root CA");
        }
        if (!Names.cnContains(ca.getSubjectX500Principal(), "CA") || !ca.getIssuerX500Principal().equals(chainRoot.getSubjectX500Principal())
                || !verifies(ca, chainRoot.getPublicKey())) {
            return new Check(QvlStatus.SGX_INTERMEDIATE_CA_INVALID, "the PCK CA certificate '" + Names.cn(ca.getSubjectX500Principal())
                    + "' is not a CA signed by the root");
        }
        if (!Names.cnContains(leaf.getSubjectX500Principal(), PCK_CN) || !leaf.getIssuerX500Principal().equals(ca.getSubjectX500Principal())
                || !verifies(leaf, ca.getPublicKey())) {
            return new Check(QvlStatus.INVALID_PCK_CERT, "the PCK certificate '" + Names.cn(leaf.getSubjectX500Principal())
                    + "' is not an SGX PCK Certificate signed by '" + Names.cn(ca.getSubjectX500Principal()) + "'");
        }
        if (pck == null) {
            String why;
            try {
                PckExtensions.of(leaf);
                why = "";
            } catch (IllegalArgumentException e) {
                why = " (" + e.getMessage() + ")";
            }
            return new Check(QvlStatus.UNSUPPORTED_PCK_CERT_FORMAT, "the PCK certificate's SGX extension cannot be read" + why);
        }
        if (Ecdsa.rawPoint(leaf.getPublicKey()) == null) {
            return new Check(QvlStatus.UNSUPPORTED_PCK_CERT_FORMAT, "the PCK certificate's key is not an ECDSA P-256 key");
        }
        if (!rootCrl.passed()) {
            return rootCrl;
        }
        X509CRL pckCrl = collateral.pckCrl();
        if (!Names.cnContains(pckCrl.getIssuerX500Principal(), "CA")) {
            return new Check(QvlStatus.SGX_CRL_UNKNOWN_ISSUER, "the PCK CRL's issuer '" + Names.cn(pckCrl.getIssuerX500Principal())
                    + "' is not a CA");
        }
        Check pc = crlCheck(pckCrl, ca, "PCK CRL");
        if (!pc.passed()) {
            return pc;
        }
        if (collateral.rootCaCrl().isRevoked(ca)) {
            return new Check(QvlStatus.SGX_INTERMEDIATE_CA_REVOKED, "the root CA CRL revokes the PCK CA '"
                    + Names.cn(ca.getSubjectX500Principal()) + "' (serial 0x" + ca.getSerialNumber().toString(16) + ")");
        }
        if (pckCrl.isRevoked(leaf)) {
            return new Check(QvlStatus.SGX_PCK_REVOKED, "the PCK CRL of '" + Names.cn(ca.getSubjectX500Principal())
                    + "' revokes the PCK certificate (serial 0x" + leaf.getSerialNumber().toString(16) + ")");
        }
        return Check.PASS;
    }

    private static byte[] sha384(byte[] data) {
        try {
            return data == null ? new byte[48] : MessageDigest.getInstance("SHA-384").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- verification

    /**
     * Verifies a quote with this collateral at time {@code at}, in Intel's order: the PCK chain and
     * CRLs, the TCB info, the QE identity, then the quote (TCB info match, QE report signature and
     * data, QE identity, quote signature, TCB level, convergence with the QE's status).
     *
     * @param quote the quote bytes
     * @param at    the time the collateral's validity is checked against
     * @return the verdict; terminal verdicts too
     * @throws QuoteFormatException when the quote cannot be read
     */
    public Verification verify(byte[] quote, Instant at) {
        Quote q = Quote.parse(quote);
        return verify(q, at);
    }

    /** {@link #verify(byte[], Instant)} for a parsed quote. */
    public Verification verify(Quote q, Instant at) {
        ChainCheck chain = chain(q);
        Result r = new Result(q, at, chain);
        // dates and the expiration flag (QvE qve_get_collateral_dates)
        if (chain.dates != null) {
            Dates d = collateralDates.with(chain.dates);
            r.earliestExpiration = d.earliestExpiration;
            r.dates = d;
        }
        r.pck = chain.pck;
        // B. PCK certificate chain and CRLs
        if (!chain.check.passed()) {
            return r.done(chain.check);
        }
        if (chain.dates.earliestExpiration.isBefore(at)) {
            r.expired("PCK certificate chain (notAfter " + chain.dates.earliestExpiration + ")");
        }
        crlExpiry(r, collateral.rootCaCrl(), "root CA CRL");
        crlExpiry(r, collateral.pckCrl(), "PCK CRL");
        // C. TCB info
        if (!tcbStage.passed()) {
            return r.done(tcbStage);
        }
        if (tcbChainNotAfter.isBefore(at)) {
            r.expired("TCB info issuer chain (notAfter " + tcbChainNotAfter + ")");
        }
        if (collateral.tcbInfo().nextUpdate().isBefore(at)) {
            r.expired("TCB info (nextUpdate " + collateral.tcbInfo().nextUpdate() + ")");
        }
        // D. QE identity
        if (!qeStage.passed()) {
            return r.done(qeStage);
        }
        if (qeChainNotAfter.isBefore(at)) {
            r.expired("QE identity issuer chain (notAfter " + qeChainNotAfter + ")");
        }
        if (collateral.qeIdentity().nextUpdate().isBefore(at)) {
            r.expired("QE identity (nextUpdate " + collateral.qeIdentity().nextUpdate() + ")");
        }
        // F. the quote
        return quoteStage(q, r, chain);
    }

    private static void crlExpiry(Result r, X509CRL crl, String what) {
        Instant from = crl.getThisUpdate().toInstant();
        Instant to = crl.getNextUpdate().toInstant();
        if (r.at.isBefore(from)) {
            r.expired(what + " (not valid before its thisUpdate " + from + ")");
        } else if (r.at.isAfter(to)) {
            r.expired(what + " (nextUpdate " + to + ")");
        }
    }

    private Verification quoteStage(Quote q, Result r, ChainCheck chain) {
        TcbInfo ti = collateral.tcbInfo();
        QeIdentity qi = collateral.qeIdentity();
        PckExtensions pck = chain.pck;
        HexFormat hex = HexFormat.of();
        if (ti.version() >= 3 && !"SGX".equals(ti.id())) {
            return r.done(QvlStatus.TCB_INFO_MISMATCH, "the TCB info is for " + ti.id() + ", not for an SGX quote");
        }
        if (!Arrays.equals(ti.fmspc(), pck.fmspc())) {
            return r.done(QvlStatus.TCB_INFO_MISMATCH, "the TCB info is for FMSPC " + ti.fmspcHex() + " but the PCK certificate's is "
                    + pck.fmspcHex());
        }
        if (!Arrays.equals(ti.pceId(), pck.pceId())) {
            return r.done(QvlStatus.TCB_INFO_MISMATCH, "the TCB info is for PCE-ID " + ti.pceIdHex() + " but the PCK certificate's is "
                    + pck.pceIdHex());
        }
        byte[] qeReport = q.qeReportBytes();
        if (!Ecdsa.verify(chain.leafKey, q.qeReportSignature(), qeReport)) {
            return r.done(QvlStatus.INVALID_QE_REPORT_SIGNATURE, "the QE report's signature does not verify with the PCK certificate's key");
        }
        byte[] attKey = q.attestationKey();
        byte[] expected = sha256(attKey, q.qeAuthData());
        ReportBody qe = q.qeReport();
        if (!Arrays.equals(expected, 0, 32, qe.reportData(), 0, 32)) {
            return r.done(QvlStatus.INVALID_QE_REPORT_DATA, "the QE report data " + hex.formatHex(qe.reportData(), 0, 32)
                    + " is not SHA-256(attestation key || QE authentication data) = " + hex.formatHex(expected));
        }
        // QE identity (QVL EnclaveReportVerifier)
        if (!qi.id().equals("QE")) {
            return r.done(QvlStatus.QE_IDENTITY_MISMATCH, "the enclave identity is for " + qi.id() + ", not for the SGX QE");
        }
        if ((qe.miscSelect() & qi.miscselectMaskValue()) != qi.miscselectValue()) {
            return r.done(QvlStatus.QE_IDENTITY_MISMATCH, String.format("the QE's MISCSELECT 0x%08x masked with 0x%08x is not 0x%08x",
                    qe.miscSelect(), qi.miscselectMaskValue(), qi.miscselectValue()));
        }
        byte[] attr = qe.attributes();
        byte[] mask = qi.attributesMask();
        byte[] want = qi.attributes();
        for (int i = 0; i < 16; i++) {
            if ((attr[i] & mask[i]) != want[i]) {
                return r.done(QvlStatus.QE_IDENTITY_MISMATCH, "the QE's ATTRIBUTES " + hex.formatHex(attr) + " masked with "
                        + hex.formatHex(mask) + " are not " + hex.formatHex(want));
            }
        }
        if (!Arrays.equals(qe.mrSigner(), qi.mrsigner())) {
            return r.done(QvlStatus.QE_IDENTITY_MISMATCH, "the QE's MRSIGNER " + hex.formatHex(qe.mrSigner()) + " is not "
                    + hex.formatHex(qi.mrsigner()));
        }
        if (qe.isvProdId() != qi.isvProdId()) {
            return r.done(QvlStatus.QE_IDENTITY_MISMATCH, "the QE's ISVPRODID " + qe.isvProdId() + " is not " + qi.isvProdId());
        }
        QeIdentity.Level qeLevel = null;
        for (QeIdentity.Level l : qi.levels()) {
            if (l.isvSvn() <= qe.isvSvn()) {
                qeLevel = l;
                break;
            }
        }
        if (qeLevel != null) {
            r.qeTcb = new Verification.QeTcbLevel(qeLevel.isvSvn(), qeLevel.tcbDate(), qeLevel.status());
        }
        // the quote signature
        PublicKey attestation = Ecdsa.p256Key(attKey);
        if (attestation == null) {
            return r.done(QvlStatus.UNSUPPORTED_QUOTE_FORMAT, "the attestation key " + hex.formatHex(attKey, 0, 8)
                    + "... is not a point of P-256");
        }
        if (!Ecdsa.verify(attestation, q.quoteSignature(), q.signedData())) {
            return r.done(QvlStatus.INVALID_QUOTE_SIGNATURE, "the quote's signature over its header and report body does not verify"
                    + " with the attestation key");
        }
        // platform TCB level (QVL TcbLevelCheck), from the PCK certificate's TCB
        TcbLevel level = null;
        for (TcbLevel l : ti.levels()) {
            if (higherOrEqual(pck, l) && pck.pceSvn() >= l.pceSvn()) {
                level = l;
                break;
            }
        }
        if (level == null) {
            return r.done(QvlStatus.TCB_NOT_SUPPORTED, "no TCB level of the TCB info is met by the PCK certificate's TCB "
                    + Arrays.toString(pck.tcbComponents()) + " PCESVN " + pck.pceSvn());
        }
        r.platformTcb = new Verification.PlatformTcbLevel(level.tcbDate(), level.status(), level.advisoryIds());
        r.advisoryIds = level.advisoryIds();
        if (qeLevel == null) {
            return r.done(QvlStatus.TCB_NOT_SUPPORTED, "no QE identity TCB level is met by the QE's ISVSVN " + qe.isvSvn());
        }
        TcbStatus merged = converge(level.status(), qeLevel.status());
        r.tcbStatus = merged;
        QvlStatus s = QvlStatus.of(merged);
        String detail = s.description() + " (platform TCB level " + level.tcbDate() + " " + level.status() + ", QE TCB level "
                + qeLevel.status() + ")";
        return r.done(s, detail);
    }

    private static boolean higherOrEqual(PckExtensions pck, TcbLevel l) {
        for (int i = 0; i < 16; i++) {
            if (pck.tcbComponent(i) < l.sgxComponent(i)) {
                return false;
            }
        }
        return true;
    }

    /** Intel's convergence of the platform TCB status with the QE's (QVL {@code convergeTcbStatusWithQeTcbStatus}). */
    static TcbStatus converge(TcbStatus platform, TcbStatus qe) {
        if (qe == TcbStatus.OutOfDate) {
            if (platform == TcbStatus.UpToDate || platform == TcbStatus.SWHardeningNeeded) {
                return TcbStatus.OutOfDate;
            }
            if (platform == TcbStatus.ConfigurationNeeded || platform == TcbStatus.ConfigurationAndSWHardeningNeeded) {
                return TcbStatus.OutOfDateConfigurationNeeded;
            }
        }
        if (qe == TcbStatus.Revoked) {
            return TcbStatus.Revoked;
        }
        return platform;
    }

    private static byte[] sha256(byte[] a, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(a);
            md.update(b);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a verification found so far. */
    private final class Result {
        final Quote quote;
        final Instant at;
        final ChainCheck chain;
        Dates dates;
        Instant earliestExpiration;
        final List<String> expired = new ArrayList<>();
        PckExtensions pck;
        TcbStatus tcbStatus;
        List<String> advisoryIds = List.of();
        Verification.PlatformTcbLevel platformTcb;
        Verification.QeTcbLevel qeTcb;

        Result(Quote quote, Instant at, ChainCheck chain) {
            this.quote = quote;
            this.at = at;
            this.chain = chain;
        }

        void expired(String what) {
            if (!expired.contains(what)) {
                expired.add(what);
            }
        }

        Verification done(Check c) {
            return done(c.status, c.detail);
        }

        Verification done(QvlStatus s, String detail) {
            boolean flag = !expired.isEmpty() || earliestExpiration == null || !earliestExpiration.isAfter(at);
            if (earliestExpiration != null && !earliestExpiration.isAfter(at) && expired.isEmpty()) {
                expired.add("the earliest expiration " + earliestExpiration + " is not after the check time");
            }
            Supplemental sup = s.result().terminal() ? null : supplemental(this);
            return new Verification(s.result(), s.error(), s, detail, tcbStatus, advisoryIds, platformTcb, qeTcb, flag,
                    earliestExpiration, expired, sup, quote, pck, at);
        }
    }

    private Supplemental supplemental(Result r) {
        TcbInfo ti = collateral.tcbInfo();
        QeIdentity qi = collateral.qeIdentity();
        PckExtensions p = r.pck;
        byte[] instance = p.platformInstanceId() == null ? new byte[16] : p.platformInstanceId();
        return new Supplemental(r.dates.earliestIssue, r.dates.latestIssue, r.dates.earliestExpiration, r.platformTcb.tcbDate(),
                pckCrlNum, rootCrlNum, Math.min(ti.tcbEvaluationDataNumber(), qi.tcbEvaluationDataNumber()), r.chain.rootKeyId,
                p.ppid(), p.cpuSvn(), p.pceSvn(), p.pceIdValue(), 0, p.sgxType(), instance,
                Supplemental.PckFlag.of(p.dynamicPlatform()), Supplemental.PckFlag.of(p.cachedKeys()),
                Supplemental.PckFlag.of(p.sgxType() == 0 ? null : p.smtEnabled()), r.advisoryIds, qeChainDates.earliestIssue,
                qeChainDates.latestIssue, qeChainDates.earliestExpiration, r.qeTcb.tcbDate(), qi.tcbEvaluationDataNumber(),
                r.qeTcb.status().result());
    }

}
