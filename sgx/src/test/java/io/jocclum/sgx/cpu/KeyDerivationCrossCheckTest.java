package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.arch.Report;
import io.jocclum.sgx.crypto.PlatformKeys;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EGETKEY and EREPORT against a second implementation of the key derivation written here from the
 * SDM (Vol. 3D, EGETKEY, table "Key Derivation": which of KEYNAME, ATTRIBUTES, OWNEREPOCH, CPUSVN,
 * ISVSVN, ISVPRODID, MRENCLAVE, MRSIGNER and KEYID each key depends on) and the documented derivation
 * buffer, with Bouncy Castle's AES-CMAC instead of ours. Fuses, OWNEREPOCH and CPUSVN are chosen by
 * a seeded random generator (the seed is printed).
 */
class KeyDerivationCrossCheckTest {
    /** The derivation, independently: a 278-byte little-endian buffer, AES-CMAC under the fuse key. */
    private static byte[] derive(byte[] fuses, int name, int isvProdId, int isvSvn, int configSvn, byte[] ownerEpoch,
                                 Attributes attributes, Attributes mask, byte[] mrEnclave, byte[] mrSigner, byte[] keyId,
                                 byte[] cpuSvn, int miscSelect, int miscMask) {
        ByteBuffer b = ByteBuffer.allocate(278).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) name).putShort((short) isvProdId).putShort((short) isvSvn).putShort((short) configSvn);
        b.put(ownerEpoch).putLong(attributes.flags()).putLong(attributes.xfrm()).putLong(mask.flags()).putLong(mask.xfrm());
        b.put(mrEnclave).put(mrSigner).put(keyId).put(cpuSvn).putInt(miscSelect).putInt(miscMask);
        // CONFIGID (64), ISVFAMILYID (16), ISVEXTPRODID (16): zero for enclaves without KSS policies
        byte[] root = Arrays.copyOfRange(fuses, name == KeyRequest.PROVISION_KEY ? 16 : 0, name == KeyRequest.PROVISION_KEY ? 32 : 16);
        CMac mac = new CMac(AESEngine.newInstance());
        mac.init(new KeyParameter(root));
        mac.update(b.array(), 0, b.capacity());
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void everyKeyMatchesTheIndependentDerivation() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("KeyDerivationCrossCheckTest seed " + seed);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] fuses = bytes(r, 32);
        byte[] epoch = bytes(r, 16);
        byte[] cpuSvn = bytes(r, 16);
        CpuFeatures f = CpuFeatures.defaults(true);
        CpuFeatures features = new CpuFeatures(true, f.kss(), f.allowedAttributes(), f.allowedXfrm(), f.allowedMiscSelect(),
                f.maxEnclaveSize64Log2(), cpuSvn, epoch);
        Hw hw = new Hw(features, new PlatformKeys(fuses));
        EnclaveControl a = ReportKeyTest.enclave(hw, 1, Attributes.PROVISIONKEY);
        Attributes attrs = a.attributes();
        byte[] z32 = new byte[32];
        byte[] z16 = new byte[16];

        for (int round = 0; round < 20; round++) {
            byte[] keyId = bytes(r, 32);
            byte[] reqSvn = cpuSvn.clone();
            for (int i = 0; i < 16; i++) {
                reqSvn[i] = (byte) r.nextInt((cpuSvn[i] & 0xFF) + 1);
            }
            int isvSvn = r.nextInt(a.isvSvn() + 1);
            Attributes mask = new Attributes(r.nextLong(), r.nextLong());
            int miscMask = r.nextInt();
            int policy = r.nextInt(1, 8); // MRENCLAVE, MRSIGNER, NOISVPRODID in any combination
            KeyRequest seal = new KeyRequest(KeyRequest.SEAL_KEY, policy, isvSvn, reqSvn, mask, keyId, miscMask, 0);
            Attributes forced = new Attributes(mask.flags() | Attributes.INIT | Attributes.DEBUG, mask.xfrm());
            Attributes masked = new Attributes(attrs.flags() & forced.flags(), attrs.xfrm() & forced.xfrm());
            byte[] expected = derive(fuses, KeyRequest.SEAL_KEY, (policy & KeyRequest.POLICY_NOISVPRODID) != 0 ? 0 : a.isvProdId(),
                    isvSvn, 0, epoch, masked, forced, (policy & KeyRequest.POLICY_MRENCLAVE) != 0 ? a.mrEnclave() : z32,
                    (policy & KeyRequest.POLICY_MRSIGNER) != 0 ? a.mrSigner() : z32, keyId, reqSvn,
                    a.miscSelect() & miscMask, miscMask);
            assertThat(hw.cpu.egetkey(a, seal.toBytes())).as("SEAL_KEY policy %d, seed %d", policy, seed).isEqualTo(expected);

            KeyRequest report = new KeyRequest(KeyRequest.REPORT_KEY, 0, 0, z16, new Attributes(0, 0), keyId, 0, 0);
            assertThat(hw.cpu.egetkey(a, report.toBytes())).as("REPORT_KEY, seed %d", seed).isEqualTo(derive(fuses,
                    KeyRequest.REPORT_KEY, 0, 0, 0, epoch, attrs, new Attributes(0, 0), a.mrEnclave(), z32, keyId, cpuSvn,
                    a.miscSelect(), 0));

            for (int name : new int[]{KeyRequest.PROVISION_KEY, KeyRequest.PROVISION_SEAL_KEY}) {
                KeyRequest prov = new KeyRequest(name, 0, isvSvn, reqSvn, mask, keyId, miscMask, 0);
                assertThat(hw.cpu.egetkey(a, prov.toBytes())).as("key %d, seed %d", name, seed).isEqualTo(derive(fuses, name,
                        a.isvProdId(), isvSvn, 0, z16, masked, forced, z32, a.mrSigner(), z32, reqSvn, a.miscSelect() & miscMask,
                        miscMask));
            }
        }
    }

    @Test
    void ereportIsMacedUnderTheTargetsIndependentlyDerivedReportKey() {
        byte[] fuses = new byte[32];
        Arrays.fill(fuses, (byte) 7);
        byte[] epoch = new byte[16];
        epoch[3] = 9;
        CpuFeatures f = CpuFeatures.defaults(true);
        CpuFeatures features = new CpuFeatures(true, f.kss(), f.allowedAttributes(), f.allowedXfrm(), f.allowedMiscSelect(),
                f.maxEnclaveSize64Log2(), f.cpuSvn(), epoch);
        Hw hw = new Hw(features, new PlatformKeys(fuses));
        EnclaveControl a = ReportKeyTest.enclave(hw, 1, 0);
        EnclaveControl b = ReportKeyTest.enclave(hw, 2, 0);
        byte[] data = new byte[64];
        Arrays.fill(data, (byte) 0x5A);
        byte[] report = hw.cpu.ereport(a, ReportKeyTest.targetInfoOf(b), data);
        Report parsed = Report.parse(report);
        byte[] key = derive(fuses, KeyRequest.REPORT_KEY, 0, 0, 0, epoch, b.attributes(), new Attributes(0, 0), b.mrEnclave(),
                new byte[32], parsed.keyId(), f.cpuSvn(), b.miscSelect(), 0);
        CMac mac = new CMac(AESEngine.newInstance());
        mac.init(new KeyParameter(key));
        mac.update(report, 0, Report.BODY_SIZE);
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        assertThat(parsed.mac()).isEqualTo(out);
        assertThat(parsed.cpuSvn()).isEqualTo(f.cpuSvn());
    }
}
