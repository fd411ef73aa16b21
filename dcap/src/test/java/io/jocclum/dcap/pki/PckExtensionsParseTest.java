package io.jocclum.dcap.pki;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SGX extension of a PCK certificate, minted here: every field, the platform fields and the configuration flags, and each missing TCB item named. */
class PckExtensionsParseTest {
    private static final String P = PckExtensions.SGX_EXTENSION_OID + ".";

    private static DERSequence pair(String oid, ASN1Encodable v) {
        return new DERSequence(new ASN1Encodable[] {new ASN1ObjectIdentifier(oid), v});
    }

    private static byte[] filled(int n, int first) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (first + i);
        }
        return b;
    }

    /** The extension with TCB items {@code 1..18} except {@code skip}, and the platform fields when {@code platform}. */
    private static byte[] extension(int skip, boolean platform) throws Exception {
        List<ASN1Encodable> tcb = new ArrayList<>();
        for (int i = 1; i <= 16; i++) {
            if (i != skip) {
                tcb.add(pair(P + "2." + i, new ASN1Integer(i + 1)));
            }
        }
        if (skip != 17) {
            tcb.add(pair(P + "2.17", new ASN1Integer(300)));
        }
        if (skip != 18) {
            tcb.add(pair(P + "2.18", new DEROctetString(filled(16, 0x40))));
        }
        tcb.add(pair("1.2.3.4", new ASN1Integer(1))); // an unknown item is skipped
        List<ASN1Encodable> items = new ArrayList<>(List.of(
                pair(P + "1", new DEROctetString(filled(16, 0x10))),
                pair(P + "2", new DERSequence(tcb.toArray(ASN1Encodable[]::new))),
                pair(P + "3", new DEROctetString(new byte[] {0x34, 0x12})),
                pair(P + "4", new DEROctetString(filled(6, 0x60))),
                pair(P + "5", new ASN1Enumerated(platform ? 1 : 0))));
        if (platform) {
            items.add(pair(P + "6", new DEROctetString(filled(16, 0x70))));
            items.add(pair(P + "7", new DERSequence(new ASN1Encodable[] {
                    pair(P + "7.1", ASN1Boolean.TRUE),
                    pair(P + "7.2", ASN1Boolean.FALSE),
                    pair(P + "7.3", ASN1Boolean.TRUE),
                    pair(P + "7.9", ASN1Boolean.TRUE)})));
        }
        return new DERSequence(items.toArray(ASN1Encodable[]::new)).getEncoded();
    }

    @Test
    void aProcessorAndAPlatformExtension() throws Exception {
        PckExtensions p = PckExtensions.parse(extension(0, false));
        assertThat(p.ppid()).isEqualTo(filled(16, 0x10));
        assertThat(p.tcbComponents()).containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
        assertThat(p.tcbComponent(0)).isEqualTo(2);
        assertThat(p.pceSvn()).isEqualTo(300);
        assertThat(p.cpuSvn()).isEqualTo(filled(16, 0x40));
        assertThat(p.pceIdValue()).isEqualTo(0x1234);
        assertThat(p.fmspcHex()).isEqualTo("606162636465");
        assertThat(p.sgxType()).isZero();
        assertThat(p.platformInstanceId()).isNull();
        assertThat(p.dynamicPlatform()).isNull();
        PckExtensions q = PckExtensions.parse(extension(0, true));
        assertThat(q.sgxType()).isEqualTo(1);
        assertThat(q.platformInstanceId()).isEqualTo(filled(16, 0x70));
        assertThat(q.dynamicPlatform()).isTrue();
        assertThat(q.cachedKeys()).isFalse();
        assertThat(q.smtEnabled()).isTrue();
    }

    @Test
    void eachMissingTcbItemIsNamed() throws Exception {
        for (int i = 1; i <= 16; i++) {
            byte[] e = extension(i, false);
            assertThatThrownBy(() -> PckExtensions.parse(e)).hasMessage("the SGX TCB extension has no component " + i + " SVN");
        }
        byte[] noPceSvn = extension(17, false);
        assertThatThrownBy(() -> PckExtensions.parse(noPceSvn)).hasMessage("the SGX TCB extension has no PCESVN");
        byte[] noCpuSvn = extension(18, false);
        assertThatThrownBy(() -> PckExtensions.parse(noCpuSvn)).hasMessage("the SGX TCB extension has no CPUSVN");
    }
}
