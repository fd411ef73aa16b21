package io.jocclum.cli;

import io.jocclum.dcap.DcapFormatException;
import io.jocclum.dcap.QuoteFormatException;
import io.jocclum.dcap.QuoteVerifier;
import io.jocclum.dcap.TrustedRoot;
import io.jocclum.dcap.Verification;
import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.pki.PckExtensions;
import io.jocclum.dcap.pki.Pem;
import io.jocclum.dcap.quote.Quote;
import io.jocclum.dcap.quote.QuoteHeader;
import io.jocclum.dcap.quote.ReportBody;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code jocclum quote verify|view}: Intel SGX DCAP quotes, verified in pure Java (the dcap library). */
@Command(name = "quote", description = "Verify or show an SGX DCAP quote.",
        subcommands = {QuoteCommand.Verify.class, QuoteCommand.View.class})
final class QuoteCommand implements Callable<Integer> {
    /** Exit code for input that cannot be read. */
    static final int UNREADABLE = 2;
    private static final HexFormat HEX = HexFormat.of();

    @Override
    public Integer call() {
        throw new UserError(UsageErrors.EXIT, "no quote command given; use 'jocclum quote verify' or 'jocclum quote view' (see 'jocclum quote --help').");
    }

    static byte[] read(Cli cli, Path p, String what) {
        Path file = cli.resolve(p);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UserError(UNREADABLE, "the " + what + " " + p + " does not exist.");
        } catch (IOException e) {
            throw new UserError(UNREADABLE, "cannot read the " + what + " " + p + " (" + e.getMessage() + ").");
        }
    }

    static Quote parse(Path p, byte[] bytes) {
        try {
            return Quote.parse(bytes);
        } catch (QuoteFormatException e) {
            throw new UserError(UNREADABLE, "cannot read the quote " + p + ": " + e.getMessage() + ".");
        }
    }

    /** {@code jocclum quote verify}. */
    @Command(name = "verify", description = {
        "Verify an SGX DCAP quote (v3 or v4, ECDSA P-256) with its collateral as Intel's QVL/QvE does and print the verdict.",
        "Exit 0 for a non-terminal verdict (with --strict: for UpToDate only), 1 for a terminal one (bad signature, revoked,",
        "untrusted chain, unsupported TCB, QE mismatch), 2 for input that cannot be read."})
    static final class Verify implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "QUOTE", description = "The quote file (binary).")
        Path quote;

        @Option(names = "--collateral", paramLabel = "DIR|FILE", description = {
            "A directory holding tcb_info.json, qe_identity.json, tcb_info_issuer_chain.pem, qe_identity_issuer_chain.pem,",
            "pck_crl_issuer_chain.pem, pck_crl.der and root_ca_crl.der (Intel PCS responses), or a dcap-qvl or dcap-rs",
            "collateral JSON file."})
        Path collateral;

        @Option(names = "--at", paramLabel = "ISO-8601|EPOCH",
                description = "Check the collateral's validity at this time (default: now), e.g. 2025-07-19T10:01:17Z or 1752919277.")
        String at;

        @Option(names = "--root", paramLabel = "CERT",
                description = "Trust this root certificate (PEM or DER, ECDSA P-256) instead of the Intel SGX Root CA.")
        Path root;

        @Option(names = "--json", description = "Print the verdict as one JSON object.")
        boolean json;

        @Option(names = "--strict", description = "Exit 0 only when the verdict is OK (UpToDate).")
        boolean strict;

        Verify(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            if (collateral == null) {
                throw new UserError(UNREADABLE, "no collateral given; pass --collateral DIR|FILE (a directory of Intel PCS responses"
                        + " or a dcap-qvl or dcap-rs collateral JSON file).");
            }
            Instant time = at == null ? cli.clock.instant() : parseTime(at);
            byte[] bytes = read(cli, quote, "quote file");
            Quote q = parse(quote, bytes);
            Collateral c = loadCollateral();
            TrustedRoot trust = root == null ? TrustedRoot.intel() : loadRoot();
            Verification v;
            try {
                v = QuoteVerifier.verify(bytes, c, time, trust);
            } catch (DcapFormatException e) {
                throw new UserError(UNREADABLE, "cannot read the quote " + quote + ": " + e.getMessage() + ".");
            }
            if (json) {
                cli.out.println(json(v));
            } else {
                human(cli.out, v, q);
            }
            if (v.terminal()) {
                return UserError.FAILURE;
            }
            return strict && !v.upToDate() ? UserError.FAILURE : 0;
        }

        private Collateral loadCollateral() {
            Path p = cli.resolve(collateral);
            if (!Files.exists(p)) {
                throw new UserError(UNREADABLE, "the collateral " + collateral + " does not exist.");
            }
            try {
                return Collateral.load(p);
            } catch (DcapFormatException e) {
                throw new UserError(UNREADABLE, "cannot read the collateral " + collateral + ": " + e.getMessage() + ".");
            } catch (UncheckedIOException e) {
                throw new UserError(UNREADABLE, "cannot read the collateral " + collateral + " (" + e.getCause().getMessage() + ").");
            }
        }

        private TrustedRoot loadRoot() {
            byte[] b = read(cli, root, "root certificate");
            try {
                return TrustedRoot.parse(b);
            } catch (IllegalArgumentException e) {
                throw new UserError(UNREADABLE, "--root " + root + " is " + e.getMessage() + ".");
            }
        }

        private static Instant parseTime(String s) {
            String t = s.strip();
            try {
                if (t.matches("\\d{1,12}")) {
                    return Instant.ofEpochSecond(Long.parseLong(t));
                }
                return OffsetDateTime.parse(t).toInstant();
            } catch (DateTimeParseException | NumberFormatException e) {
                throw new UserError(UNREADABLE, "--at '" + s + "' is not a time; write ISO-8601 with a zone such as"
                        + " 2025-07-19T10:01:17Z, or seconds since the epoch such as 1752919277.");
            }
        }
    }

    static String json(Verification v) {
        JsonMapper m = JsonMapper.builder().build();
        ObjectNode o = m.createObjectNode();
        o.put("result", v.result().intelName());
        o.put("resultCode", v.result().hex());
        o.put("status", v.tcbStatus() == null ? null : v.tcbStatus().name());
        o.put("error", v.error().intelName());
        o.put("reason", v.status().name());
        o.put("detail", v.detail());
        ArrayNode adv = o.putArray("advisoryIds");
        v.advisoryIds().forEach(adv::add);
        o.put("collateralExpired", v.collateralExpired());
        o.put("earliestExpiration", v.earliestExpiration() == null ? null : v.earliestExpiration().toString());
        ArrayNode exp = o.putArray("expired");
        v.expired().forEach(exp::add);
        o.put("tcbDate", v.platformTcb() == null ? null : v.platformTcb().tcbDate().toString());
        o.put("qeStatus", v.qeTcb() == null ? null : v.qeTcb().status().name());
        o.put("checkedAt", v.checkedAt().toString());
        ObjectNode q = o.putObject("quote");
        Quote quote = v.quote();
        q.put("version", quote.version());
        q.put("mrenclave", HEX.formatHex(quote.body().mrEnclave()));
        q.put("mrsigner", HEX.formatHex(quote.body().mrSigner()));
        q.put("isvProdId", quote.body().isvProdId());
        q.put("isvSvn", quote.body().isvSvn());
        q.put("reportData", HEX.formatHex(quote.body().reportData()));
        q.put("debug", quote.body().debug());
        if (v.pck() == null) {
            o.putNull("pck");
        } else {
            ObjectNode p = o.putObject("pck");
            p.put("fmspc", v.pck().fmspcHex());
            p.put("pceId", v.pck().pceIdHex());
            p.put("pceSvn", v.pck().pceSvn());
            ArrayNode comps = p.putArray("tcbComponents");
            Arrays.stream(v.pck().tcbComponents()).forEach(comps::add);
            p.put("sgxType", v.pck().sgxType());
        }
        return m.writeValueAsString(o);
    }

    static void human(PrintStream out, Verification v, Quote q) {
        out.println("result:      " + v.result().intelName() + " (" + v.result().hex() + ")" + (v.terminal() ? ", terminal" : ""));
        if (v.terminal()) {
            out.println("error:       " + v.error().intelName() + " (" + v.error().hex() + ")");
        }
        out.println("status:      " + (v.tcbStatus() == null ? "no TCB level reached" : v.tcbStatus().name()));
        out.println("detail:      " + v.detail());
        out.println("advisories:  " + (v.advisoryIds().isEmpty() ? "none" : String.join(", ", v.advisoryIds())));
        if (v.platformTcb() != null) {
            out.println("TCB level:   " + v.platformTcb().tcbDate() + " " + v.platformTcb().status());
        }
        if (v.qeTcb() != null) {
            out.println("QE level:    ISVSVN >= " + v.qeTcb().isvSvn() + ", " + v.qeTcb().tcbDate() + " " + v.qeTcb().status());
        }
        out.println("collateral:  " + (v.collateralExpired() ? "EXPIRED" : "valid") + " at " + v.checkedAt()
                + (v.earliestExpiration() == null ? "" : "; earliest expiration " + v.earliestExpiration()));
        v.expired().forEach(e -> out.println("  expired:   " + e));
        ReportBody b = q.body();
        out.println("quote:       v" + q.version() + ", MRENCLAVE " + HEX.formatHex(b.mrEnclave()));
        out.println("             MRSIGNER " + HEX.formatHex(b.mrSigner()));
        out.println("             ISVPRODID " + b.isvProdId() + ", ISVSVN " + b.isvSvn() + (b.debug() ? ", DEBUG enclave" : ", not debug"));
        out.println("             report data " + HEX.formatHex(b.reportData()));
        if (v.pck() != null) {
            out.println("PCK:         FMSPC " + v.pck().fmspcHex() + ", PCE-ID " + v.pck().pceIdHex() + ", PCESVN " + v.pck().pceSvn()
                    + ", TCB components " + Arrays.stream(v.pck().tcbComponents()).mapToObj(Integer::toString)
                    .collect(Collectors.joining(",")));
        }
    }

    /** {@code jocclum quote view}. */
    @Command(name = "view", description = "Print every field of a quote and its certification data (PCK certificate chain).")
    static final class View implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "QUOTE", description = "The quote file (binary).")
        Path quote;

        View(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            Quote q = parse(quote, read(cli, quote, "quote file"));
            PrintStream out = cli.out;
            QuoteHeader h = q.header();
            out.println("quote: " + q.size() + " bytes");
            out.println("header.version: " + h.version());
            out.println("header.attestation_key_type: " + h.attestationKeyType() + " (ECDSA-256 with P-256)");
            out.println("header.tee_type: " + String.format("0x%08x", h.teeType()) + " (SGX)");
            out.println("header.qe_svn: " + h.qeSvn());
            out.println("header.pce_svn: " + h.pceSvn());
            out.println("header.qe_vendor_id: " + HEX.formatHex(h.qeVendorId()) + " (Intel)");
            out.println("header.user_data: " + HEX.formatHex(h.userData()));
            report(out, "report_body", q.body());
            out.println("signature_data_len: " + q.signatureDataLength());
            out.println("signature_data.isv_report_signature: " + HEX.formatHex(q.quoteSignature()));
            out.println("signature_data.attestation_key: " + HEX.formatHex(q.attestationKey()));
            String qe = q.version() == 3 ? "signature_data" : "qe_report_certification_data";
            if (q.version() != 3) {
                out.println("signature_data.certification_data_type: " + q.certificationDataType() + " (QE report certification data)");
                out.println("signature_data.certification_data_size: " + q.certificationDataSize());
            }
            report(out, qe + ".qe_report", q.qeReport());
            out.println(qe + ".qe_report_signature: " + HEX.formatHex(q.qeReportSignature()));
            out.println(qe + ".qe_auth_data_size: " + q.qeAuthData().length);
            out.println(qe + ".qe_auth_data: " + HEX.formatHex(q.qeAuthData()));
            out.println(qe + ".certification_data_type: 5 (PCK certificate chain)");
            out.println(qe + ".certification_data_size: " + q.pckCertChainSize());
            List<X509Certificate> chain;
            try {
                chain = Pem.certificates(q.pckCertChainPem());
            } catch (Pem.PemException e) {
                throw new UserError(UNREADABLE, "cannot read the quote " + quote + ": its PCK certificate chain does not decode at offset "
                        + (q.pckCertChainOffset() + e.offset()) + " (" + e.getMessage() + ").");
            }
            out.println("pck_cert_chain: " + chain.size() + " certificates");
            for (int i = 0; i < chain.size(); i++) {
                certificate(out, "pck_cert_chain[" + i + "]", chain.get(i));
            }
            return 0;
        }
    }

    private static void report(PrintStream out, String p, ReportBody b) {
        out.println(p + ".cpu_svn: " + HEX.formatHex(b.cpuSvn()));
        out.println(p + ".misc_select: " + String.format("0x%08x", b.miscSelect()));
        out.println(p + ".isv_ext_prod_id: " + HEX.formatHex(b.isvExtProdId()));
        out.println(p + ".attributes.flags: " + String.format("0x%016x", b.attributeFlags()) + flags(b.attributeFlags()));
        out.println(p + ".attributes.xfrm: " + String.format("0x%016x", b.xfrm()));
        out.println(p + ".mr_enclave: " + HEX.formatHex(b.mrEnclave()));
        out.println(p + ".mr_signer: " + HEX.formatHex(b.mrSigner()));
        out.println(p + ".config_id: " + HEX.formatHex(b.configId()));
        out.println(p + ".isv_prod_id: " + b.isvProdId());
        out.println(p + ".isv_svn: " + b.isvSvn());
        out.println(p + ".config_svn: " + b.configSvn());
        out.println(p + ".isv_family_id: " + HEX.formatHex(b.isvFamilyId()));
        out.println(p + ".report_data: " + HEX.formatHex(b.reportData()));
    }

    private static String flags(long f) {
        String[] names = {"INIT", "DEBUG", "MODE64BIT", "", "PROVISIONKEY", "EINITTOKENKEY", "", "KSS"};
        List<String> set = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if ((f & (1L << i)) != 0 && !names[i].isEmpty()) {
                set.add(names[i]);
            }
        }
        return set.isEmpty() ? "" : " (" + String.join(", ", set) + ")";
    }

    private static void certificate(PrintStream out, String p, X509Certificate c) {
        out.println(p + ".subject: " + c.getSubjectX500Principal().getName());
        out.println(p + ".issuer: " + c.getIssuerX500Principal().getName());
        out.println(p + ".serial: 0x" + c.getSerialNumber().toString(16));
        out.println(p + ".not_before: " + c.getNotBefore().toInstant());
        out.println(p + ".not_after: " + c.getNotAfter().toInstant());
        if (c.getExtensionValue(PckExtensions.SGX_EXTENSION_OID) == null) {
            return;
        }
        try {
            PckExtensions x = PckExtensions.of(c);
            out.println(p + ".sgx.ppid: " + HEX.formatHex(x.ppid()));
            out.println(p + ".sgx.tcb_components: " + Arrays.stream(x.tcbComponents()).mapToObj(Integer::toString)
                    .collect(Collectors.joining(",")));
            out.println(p + ".sgx.pcesvn: " + x.pceSvn());
            out.println(p + ".sgx.cpusvn: " + HEX.formatHex(x.cpuSvn()));
            out.println(p + ".sgx.pce_id: " + x.pceIdHex());
            out.println(p + ".sgx.fmspc: " + x.fmspcHex());
            out.println(p + ".sgx.sgx_type: " + x.sgxType() + switch (x.sgxType()) {
                case 0 -> " (Standard)";
                case 1 -> " (Scalable)";
                default -> " (Scalable with integrity)";
            });
            if (x.platformInstanceId() != null) {
                out.println(p + ".sgx.platform_instance_id: " + HEX.formatHex(x.platformInstanceId()));
            }
            if (x.dynamicPlatform() != null || x.cachedKeys() != null || x.smtEnabled() != null) {
                out.println(p + ".sgx.configuration: dynamic_platform=" + x.dynamicPlatform() + " cached_keys=" + x.cachedKeys()
                        + " smt_enabled=" + x.smtEnabled());
            }
        } catch (IllegalArgumentException e) {
            out.println(p + ".sgx: does not decode (" + e.getMessage() + ")");
        }
    }
}
