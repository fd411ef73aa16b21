package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.collateral.QeIdentity;
import io.jocclum.dcap.collateral.TcbInfo;
import io.jocclum.dcap.collateral.TcbLevel;
import io.jocclum.dcap.pki.Names;
import io.jocclum.dcap.pki.PckExtensions;
import io.jocclum.dcap.quote.Quote;
import io.jocclum.dcap.quote.ReportBody;
import org.junit.jupiter.api.Test;

import javax.security.auth.x500.X500Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The value classes of the verifier: equality and hashing of parsed collateral, PCK extensions
 * and trusted roots (two parses of the same bytes are equal, of different bytes not), the
 * accessors of a report body against its byte layout, and the codes and names of Intel's enums.
 */
class ValueSemanticsTest {

    private static void sameValue(Object a, Object b, Object other) {
        assertThat(a).isNotSameAs(b).isEqualTo(b).hasSameHashCodeAs(b).isNotEqualTo(other).isNotEqualTo(null)
                .isNotEqualTo("something else");
        assertThat(a.hashCode()).isNotEqualTo(other.hashCode());
        assertThat(a.toString()).isEqualTo(b.toString()).isNotEqualTo(other.toString());
    }

    @Test
    void parsedCollateralHasValueSemantics() {
        Collateral p1 = Fixtures.PHALA.collateral();
        Collateral p2 = Fixtures.PHALA.collateral();
        Collateral u = Fixtures.UDSAMANI.collateral();
        TcbInfo t = p1.tcbInfo();
        sameValue(t, p2.tcbInfo(), u.tcbInfo());
        assertThat(t.toString()).contains(t.fmspcHex());
        QeIdentity q = p1.qeIdentity();
        QeIdentity q2 = p2.qeIdentity();
        assertThat(q).isEqualTo(q2).hasSameHashCodeAs(q2).isNotEqualTo(null).isNotEqualTo(t);
        assertThat(q.toString()).isEqualTo(q2.toString()).contains(q.id());
        assertThat(q.miscselect()).hasSize(4);
        assertThat(q.miscselectMask()).hasSize(4);
        assertThat(q.miscselectValue()).isEqualTo(le(q.miscselect(), 0, 4));
        assertThat(q.miscselectMaskValue()).isEqualTo(le(q.miscselectMask(), 0, 4)).isNotZero();
        TcbLevel first = t.levels().getFirst();
        TcbLevel last = t.levels().getLast();
        sameValue(first, p2.tcbInfo().levels().getFirst(), last);
        assertThat(first.sgxComponents()).hasSize(16);
        assertThat(first.toString()).isEqualTo("TcbLevel[" + java.util.Arrays.toString(first.sgxComponents()) + ", pceSvn=" + first.pceSvn()
                + ", " + first.tcbDate() + ", " + first.status() + (first.advisoryIds().isEmpty() ? "" : ", " + first.advisoryIds()) + "]");
        TcbLevel plain = new TcbLevel(first.sgxComponents(), first.pceSvn(), first.tcbDate(), first.status(), java.util.List.of());
        assertThat(plain.toString()).endsWith(", " + first.status() + "]");
        TcbLevel advised = new TcbLevel(first.sgxComponents(), first.pceSvn(), first.tcbDate(), first.status(), java.util.List.of("INTEL-SA-00001"));
        assertThat(advised.toString()).endsWith(", [INTEL-SA-00001]]");
        assertThat(first.compareTo(last)).as("levels are sorted descending").isPositive();
        assertThat(last.compareTo(first)).isNegative();
        assertThat(first.compareTo(p2.tcbInfo().levels().getFirst())).isZero();
    }

    @Test
    void levelsWithEqualComponentsAreOrderedByPceSvn() {
        TcbLevel a = Fixtures.PHALA.collateral().tcbInfo().levels().getFirst();
        TcbLevel lower = new TcbLevel(a.sgxComponents(), a.pceSvn() - 1, a.tcbDate(), a.status(), a.advisoryIds());
        assertThat(a.compareTo(lower)).isPositive();
        assertThat(lower.compareTo(a)).isNegative();
        assertThat(lower).isNotEqualTo(a);
    }

    @Test
    void pckExtensionsHaveValueSemantics() {
        Verification v1 = QuoteVerifier.verify(Fixtures.PHALA.quote(), Fixtures.PHALA.collateral(), Fixtures.PHALA.at());
        Verification v2 = QuoteVerifier.verify(Fixtures.PHALA.quote(), Fixtures.PHALA.collateral(), Fixtures.PHALA.at());
        PckExtensions pck = v1.pck();
        byte[] fmspc = pck.fmspc();
        fmspc[0] ^= 1;
        byte[] ppid = pck.ppid();
        ppid[0] ^= 1;
        byte[] other = pck.cpuSvn();
        other[0] ^= 1;
        int[] tcb = pck.tcbComponents();
        tcb[0]++;
        sameValue(pck, v2.pck(), new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(),
                fmspc, pck.sgxType(), pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()));
        // each field takes part in equality
        assertThat(java.util.List.of(
                new PckExtensions(ppid, pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), tcb, pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn() + 1, pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), other, pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), new byte[] {9, 9}, pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), new byte[6], pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType() + 1,
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        new byte[] {1}, pck.dynamicPlatform(), pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), Boolean.TRUE.equals(pck.dynamicPlatform()) ? Boolean.FALSE : Boolean.TRUE, pck.cachedKeys(), pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), Boolean.TRUE.equals(pck.cachedKeys()) ? Boolean.FALSE : Boolean.TRUE, pck.smtEnabled()),
                new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), pck.pceId(), pck.fmspc(), pck.sgxType(),
                        pck.platformInstanceId(), pck.dynamicPlatform(), pck.cachedKeys(), Boolean.TRUE.equals(pck.smtEnabled()) ? Boolean.FALSE : Boolean.TRUE)))
                .allSatisfy(x -> assertThat(x).isNotEqualTo(pck));
        assertThat(pck.toString()).contains(pck.fmspcHex());
        assertThat(pck.pceIdValue()).isEqualTo(Integer.parseInt(pck.pceIdHex().substring(2, 4) + pck.pceIdHex().substring(0, 2), 16));
        PckExtensions le = new PckExtensions(pck.ppid(), pck.tcbComponents(), pck.pceSvn(), pck.cpuSvn(), new byte[] {0x34, (byte) 0x92},
                pck.fmspc(), pck.sgxType(), new byte[16], null, null, null);
        assertThat(le.pceIdValue()).as("little-endian u16").isEqualTo(0x9234);
        assertThat(le.platformInstanceId()).hasSize(16);
        Supplemental s = v1.supplemental();
        assertThat(s.pckPpid()).isEqualTo(pck.ppid());
        assertThat(s.tcbCpuSvn()).isEqualTo(pck.cpuSvn());
        assertThat(s.platformInstanceId()).hasSize(16);
        if (pck.platformInstanceId() != null) {
            assertThat(s.platformInstanceId()).isEqualTo(pck.platformInstanceId());
        }
        assertThat(s.pceId()).isEqualTo(pck.pceIdValue());
    }

    @Test
    void verdictsSayWhetherTheyAreUpToDate() {
        Verification v = QuoteVerifier.verify(Fixtures.PHALA.quote(), Fixtures.PHALA.collateral(), Fixtures.PHALA.at());
        assertThat(v.upToDate()).isEqualTo(v.result() == QvResult.OK);
        Verification copy = new Verification(QvResult.OK, v.error(), v.status(), v.detail(), v.tcbStatus(), v.advisoryIds(),
                v.platformTcb(), v.qeTcb(), v.collateralExpired(), v.earliestExpiration(), v.expired(), v.supplemental(),
                v.quote(), v.pck(), v.checkedAt());
        assertThat(copy.upToDate()).isTrue();
        Verification stale = new Verification(QvResult.OUT_OF_DATE, v.error(), v.status(), v.detail(), v.tcbStatus(),
                v.advisoryIds(), v.platformTcb(), v.qeTcb(), v.collateralExpired(), v.earliestExpiration(), v.expired(),
                v.supplemental(), v.quote(), v.pck(), v.checkedAt());
        assertThat(stale.upToDate()).isFalse();
    }

    @Test
    void trustedRootsHaveValueSemantics(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        TrustedRoot intel = TrustedRoot.intel();
        assertThat(intel.isIntel()).isTrue();
        assertThat(intel.publicKeyPoint()).hasSize(65).startsWith((byte) 4);
        assertThat(HexFormat.of().formatHex(intel.publicKeyPoint())).isEqualTo(intel.publicKeyHex());
        byte[] pem = Collateral.pem(java.util.List.of(intel.certificate())).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        TrustedRoot parsed = TrustedRoot.parse(pem);
        Path file = Files.write(tmp.resolve("root.pem"), pem);
        TrustedRoot loaded = TrustedRoot.load(file);
        TrustedRoot other = TrustedRoot.of(Fixtures.PHALA.collateral().tcbInfoIssuerChain().getFirst());
        assertThat(other.isIntel()).isFalse();
        sameValue(parsed, loaded, other);
        assertThat(parsed).isEqualTo(intel);
        assertThat(intel.toString()).startsWith("TrustedRoot[").contains(intel.publicKeyHex().substring(0, 16));
    }

    @Test
    void commonNames() {
        X500Principal p = new X500Principal("CN=Intel SGX Root CA, O=Intel Corporation, C=US");
        assertThat(Names.cn(p)).isEqualTo("Intel SGX Root CA");
        assertThat(Names.cnContains(p, "Root CA")).isTrue();
        assertThat(Names.cnContains(p, "PCK")).isFalse();
        X500Principal noCn = new X500Principal("O=Intel Corporation, C=US");
        assertThat(Names.cn(noCn)).isEqualTo(noCn.getName());
        assertThat(Names.cnContains(noCn, "Intel")).isFalse();
    }

    @Test
    void aReportBodyReadsItsFieldsAtTheirOffsets() {
        byte[] raw = new byte[384];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (i * 7 + 3);
        }
        ReportBody b = ReportBody.of(raw);
        assertThat(b.cpuSvn()).isEqualTo(java.util.Arrays.copyOfRange(raw, 0, 16));
        assertThat(b.miscSelect()).isEqualTo(le(raw, 16, 4));
        assertThat(b.isvExtProdId()).isEqualTo(java.util.Arrays.copyOfRange(raw, 32, 48));
        assertThat(b.attributes()).isEqualTo(java.util.Arrays.copyOfRange(raw, 48, 64));
        assertThat(b.attributeFlags()).isEqualTo(le(raw, 48, 8));
        assertThat(b.xfrm()).isEqualTo(le(raw, 56, 8));
        assertThat(b.mrEnclave()).isEqualTo(java.util.Arrays.copyOfRange(raw, 64, 96));
        assertThat(b.mrSigner()).isEqualTo(java.util.Arrays.copyOfRange(raw, 128, 160));
        assertThat(b.configId()).isEqualTo(java.util.Arrays.copyOfRange(raw, 192, 256));
        assertThat((long) b.isvProdId()).isEqualTo(le(raw, 256, 2));
        assertThat((long) b.isvSvn()).isEqualTo(le(raw, 258, 2));
        assertThat((long) b.configSvn()).isEqualTo(le(raw, 260, 2));
        assertThat(b.isvFamilyId()).isEqualTo(java.util.Arrays.copyOfRange(raw, 304, 320));
        assertThat(b.reportData()).isEqualTo(java.util.Arrays.copyOfRange(raw, 320, 384));
        assertThat(b.raw()).isEqualTo(raw).isNotSameAs(raw);
        assertThat(b.toString()).contains(HexFormat.of().formatHex(b.mrEnclave()));
        assertThatThrownBy(() -> ReportBody.of(new byte[383])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a report body is 384 bytes, not 383");
    }

    private static long le(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xFF);
        }
        return v;
    }

    @Test
    void aQuoteKnowsItsParts() {
        byte[] bytes = Fixtures.UDSAMANI.quote();
        Quote q = Quote.parse(bytes);
        assertThat(q.raw()).isEqualTo(bytes);
        assertThat(q.header().raw()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 0, 48));
        assertThat(q.header().teeType()).isEqualTo(le(bytes, 4, 4)).isZero();
        assertThat(q.header().toString()).isNotEmpty();
        assertThat(q.toString()).isNotEmpty();
        assertThat(q.qeReportSignatureOffset()).isEqualTo(q.qeReportOffset() + 384);
        assertThat(q.qeReportSignature()).isEqualTo(java.util.Arrays.copyOfRange(bytes, q.qeReportSignatureOffset(), q.qeReportSignatureOffset() + 64));
    }

    @Test
    void intelsCodesAndNames() {
        assertThat(Quote3Error.PCK_REVOKED.code()).isEqualTo(0xE031);
        assertThat(Quote3Error.PCK_REVOKED.hex()).isEqualTo("0xE031");
        assertThat(Quote3Error.PCK_REVOKED.intelName()).isEqualTo("SGX_QL_PCK_REVOKED");
        assertThat(QvResult.CONFIG_NEEDED.code()).isEqualTo(0xA001);
        assertThat(QvResult.byName("SGX_QL_QV_RESULT_OUT_OF_DATE")).isEqualTo(QvResult.OUT_OF_DATE);
        assertThat(QvResult.byName("REVOKED")).isEqualTo(QvResult.REVOKED);
        assertThat(QvResult.byName("SGX_QL_QV_RESULT_NOPE")).isNull();
        for (QvlStatus s : QvlStatus.values()) {
            assertThat(s.description()).as(s.name()).isNotBlank();
        }
        assertThat(Supplemental.PckFlag.of(null)).isEqualTo(Supplemental.PckFlag.UNDEFINED);
        assertThat(Supplemental.PckFlag.of(true)).isEqualTo(Supplemental.PckFlag.TRUE);
        assertThat(Supplemental.PckFlag.of(false)).isEqualTo(Supplemental.PckFlag.FALSE);
    }

    @Test
    void everyFieldTakesPartInTheEqualityOfCollateral() {
        TcbInfo t = Fixtures.PHALA.collateral().tcbInfo();
        java.time.Instant later = t.issueDate().plusSeconds(1);
        assertThat(java.util.List.of(
                new TcbInfo(t.version() + 1, t.id(), t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), "TDX", t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), t.id(), later, t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), t.id(), t.issueDate(), later, t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), t.id(), t.issueDate(), t.nextUpdate(), new byte[6], t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), t.id(), t.issueDate(), t.nextUpdate(), t.fmspc(), new byte[] {1, 2}, t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), t.id(), t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType() + 1, t.tcbEvaluationDataNumber(), t.levels()),
                new TcbInfo(t.version(), t.id(), t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber() + 1, t.levels()),
                new TcbInfo(t.version(), t.id(), t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels().subList(1, t.levels().size()))))
                .allSatisfy(x -> assertThat(x).isNotEqualTo(t));
        assertThat(new TcbInfo(t.version(), null, t.issueDate(), t.nextUpdate(), t.fmspc(), t.pceId(), t.tcbType(), t.tcbEvaluationDataNumber(), t.levels()).toString())
                .startsWith("TcbInfo[v" + t.version() + ", fmspc=");
        QeIdentity q = Fixtures.PHALA.collateral().qeIdentity();
        byte[] b4 = new byte[4];
        byte[] b16 = new byte[16];
        assertThat(java.util.List.of(
                new QeIdentity(q.version() + 1, q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), "TD_QE", q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), later, q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), later, q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber() + 1, q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), new byte[] {1, 0, 0, 0}, q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), b4, q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, q.attributesMask(), q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), b16, q.mrsigner(), q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), new byte[32], q.isvProdId(), q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId() + 1, q.levels()),
                new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), q.mrsigner(), q.isvProdId(), java.util.List.of())))
                .allSatisfy(x -> assertThat(x).isNotEqualTo(q));
        assertThat(q.hashCode()).isNotEqualTo(new QeIdentity(q.version(), q.id(), q.issueDate(), q.nextUpdate(), q.tcbEvaluationDataNumber(), q.miscselect(), q.miscselectMask(), q.attributes(), q.attributesMask(), new byte[32], q.isvProdId(), q.levels()).hashCode());
        TcbLevel l = t.levels().getFirst();
        int[] c = l.sgxComponents();
        c[0]++;
        assertThat(java.util.List.of(
                new TcbLevel(c, l.pceSvn(), l.tcbDate(), l.status(), l.advisoryIds()),
                new TcbLevel(l.sgxComponents(), l.pceSvn() + 1, l.tcbDate(), l.status(), l.advisoryIds()),
                new TcbLevel(l.sgxComponents(), l.pceSvn(), later, l.status(), l.advisoryIds()),
                new TcbLevel(l.sgxComponents(), l.pceSvn(), l.tcbDate(), l.status() == TcbStatus.Revoked ? TcbStatus.UpToDate : TcbStatus.Revoked, l.advisoryIds()),
                new TcbLevel(l.sgxComponents(), l.pceSvn(), l.tcbDate(), l.status(), java.util.List.of("INTEL-SA-99999"))))
                .allSatisfy(x -> assertThat(x).isNotEqualTo(l));
        assertThat(l.sgxComponent(0)).isEqualTo(l.sgxComponents()[0]);
    }
}
