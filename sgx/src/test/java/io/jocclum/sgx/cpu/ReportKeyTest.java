package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.arch.Report;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.TargetInfo;
import io.jocclum.sgx.crypto.AesCmac;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EREPORT / EGETKEY: a REPORT verifies with the target's REPORT key on the same platform only. */
class ReportKeyTest {

    static EnclaveControl enclave(Hw hw, int variant, long extraAttrs) {
        EpcFrame s = hw.fresh();
        Attributes a = Hw.attrs().with(extraAttrs == 0 ? Attributes.DEBUG : extraAttrs);
        hw.cpu.ecreate(hw.acct, s, io.jocclum.sgx.arch.Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, a).toBytes(), new SecInfo(0));
        hw.addTcs(s, 0);
        hw.add(s, 0x1000, SecInfo.reg(SecInfo.R), Hw.pattern(variant), true);
        EnclaveControl c = s.secs();
        SigStruct sig = SigStruct.unsigned(0, 0, 0, new byte[16], c.attributes(), Attributes.SDK_DEFAULT_MASK,
                c.measurement().peek(), new byte[16], 9, 4).sign(SgxTestSupport.signingKey());
        assertThat(hw.cpu.einit(hw.acct, sig.toBytes(), s, null)).isEqualTo(SgxStatus.SUCCESS);
        return c;
    }

    static byte[] targetInfoOf(EnclaveControl c) {
        return new TargetInfo(c.mrEnclave(), c.attributes(), c.configSvn(), c.miscSelect(), c.configId()).toBytes();
    }

    private static boolean verify(Hw hw, EnclaveControl verifier, byte[] reportBytes) {
        Report r = Report.parse(reportBytes);
        KeyRequest kr = new KeyRequest(KeyRequest.REPORT_KEY, 0, 0, new byte[16], new Attributes(0, 0), r.keyId(), 0, 0);
        byte[] key = hw.cpu.egetkey(verifier, kr.toBytes());
        return Arrays.equals(AesCmac.mac(key, Arrays.copyOf(reportBytes, Report.BODY_SIZE)), r.mac());
    }

    @Test
    void reportIsVerifiableByItsTargetOnly() {
        Hw hw = new Hw(true, 11);
        EnclaveControl a = enclave(hw, 1, 0);
        EnclaveControl b = enclave(hw, 2, 0);
        EnclaveControl c = enclave(hw, 3, 0);
        byte[] data = new byte[64];
        data[0] = 42;
        byte[] report = hw.cpu.ereport(a, targetInfoOf(b), data);
        Report r = Report.parse(report);
        assertThat(r.mrEnclave()).isEqualTo(a.mrEnclave());
        assertThat(r.mrSigner()).isEqualTo(a.mrSigner());
        assertThat(r.isvProdId()).isEqualTo(9);
        assertThat(r.isvSvn()).isEqualTo(4);
        assertThat(r.reportData()).isEqualTo(data);
        assertThat(r.attributes().has(Attributes.INIT)).isTrue();
        assertThat(verify(hw, b, report)).as("target verifies").isTrue();
        assertThat(verify(hw, c, report)).as("another enclave cannot").isFalse();
        assertThat(verify(hw, a, report)).as("the reporter cannot").isFalse();
        byte[] tampered = report.clone();
        tampered[320] ^= 1;
        assertThat(verify(hw, b, tampered)).as("modified REPORTDATA").isFalse();

        Hw other = new Hw(true, 12);
        EnclaveControl b2 = enclave(other, 2, 0);
        assertThat(b2.mrEnclave()).isEqualTo(b.mrEnclave());
        assertThat(verify(other, b2, report)).as("same enclave on another platform").isFalse();
        Hw same = new Hw(true, 11);
        EnclaveControl b3 = enclave(same, 2, 0);
        assertThat(verify(same, b3, report)).as("a platform with the same seed is the same platform").isTrue();
    }

    @Test
    void sealKeysFollowThePolicy() {
        Hw hw = new Hw(true, 5);
        EnclaveControl a = enclave(hw, 1, 0);
        EnclaveControl b = enclave(hw, 2, 0);
        KeyRequest bySigner = new KeyRequest(KeyRequest.SEAL_KEY, KeyRequest.POLICY_MRSIGNER, 4, new byte[16],
                new Attributes(0xFFFFFFFFFFFFFFFFL, 0), new byte[32], 0, 0);
        KeyRequest byEnclave = new KeyRequest(KeyRequest.SEAL_KEY, KeyRequest.POLICY_MRENCLAVE, 4, new byte[16],
                new Attributes(0xFFFFFFFFFFFFFFFFL, 0), new byte[32], 0, 0);
        assertThat(hw.cpu.egetkey(a, bySigner.toBytes())).hasSize(16).isEqualTo(hw.cpu.egetkey(b, bySigner.toBytes()));
        assertThat(hw.cpu.egetkey(a, byEnclave.toBytes())).isNotEqualTo(hw.cpu.egetkey(b, byEnclave.toBytes()));
        KeyRequest olderSvn = new KeyRequest(KeyRequest.SEAL_KEY, KeyRequest.POLICY_MRSIGNER, 3, new byte[16],
                new Attributes(0xFFFFFFFFFFFFFFFFL, 0), new byte[32], 0, 0);
        assertThat(hw.cpu.egetkey(a, olderSvn.toBytes())).isNotEqualTo(hw.cpu.egetkey(a, bySigner.toBytes()));
        assertThat(new Hw(true, 6).cpu).isNotNull();
    }

    @Test
    void egetkeyErrors() {
        Hw hw = new Hw(true, 5);
        EnclaveControl a = enclave(hw, 1, 0);
        Attributes m = new Attributes(0, 0);
        assertThat(status(hw, a, new KeyRequest(9, 0, 0, new byte[16], m, new byte[32], 0, 0)))
                .isEqualTo(SgxStatus.INVALID_KEYNAME);
        assertThat(status(hw, a, new KeyRequest(KeyRequest.PROVISION_KEY, 0, 0, new byte[16], m, new byte[32], 0, 0)))
                .isEqualTo(SgxStatus.INVALID_ATTRIBUTE);
        assertThat(status(hw, a, new KeyRequest(KeyRequest.EINITTOKEN_KEY, 0, 0, new byte[16], m, new byte[32], 0, 0)))
                .isEqualTo(SgxStatus.INVALID_ATTRIBUTE);
        assertThat(status(hw, a, new KeyRequest(KeyRequest.SEAL_KEY, 2, 5, new byte[16], m, new byte[32], 0, 0)))
                .isEqualTo(SgxStatus.INVALID_ISVSVN);
        byte[] future = new byte[16];
        Arrays.fill(future, (byte) 0xFF);
        assertThat(status(hw, a, new KeyRequest(KeyRequest.SEAL_KEY, 2, 0, future, m, new byte[32], 0, 0)))
                .isEqualTo(SgxStatus.INVALID_CPUSVN);
        byte[] reserved = new KeyRequest(KeyRequest.SEAL_KEY, 2, 0, new byte[16], m, new byte[32], 0, 0).toBytes();
        reserved[100] = 1;
        assertThatThrownBy(() -> hw.cpu.egetkey(a, reserved)).isInstanceOf(EnclaveFault.class);
        assertThatThrownBy(() -> hw.cpu.egetkey(a, new KeyRequest(KeyRequest.SEAL_KEY, 0x40, 0, new byte[16], m,
                new byte[32], 0, 0).toBytes())).isInstanceOf(EnclaveFault.class);
        assertThatThrownBy(() -> hw.cpu.egetkey(a, new KeyRequest(KeyRequest.SEAL_KEY, KeyRequest.POLICY_CONFIGID, 0,
                new byte[16], m, new byte[32], 0, 0).toBytes())).as("KSS policy without KSS").isInstanceOf(EnclaveFault.class);
        EnclaveControl prov = enclave(hw, 3, Attributes.PROVISIONKEY);
        assertThat(hw.cpu.egetkey(prov, new KeyRequest(KeyRequest.PROVISION_KEY, 0, 0, new byte[16], m, new byte[32], 0, 0)
                .toBytes())).hasSize(16);
        assertThatThrownBy(() -> hw.cpu.ereport(a, new byte[511], new byte[64])).isInstanceOf(EnclaveFault.class);
    }

    private static SgxStatus status(Hw hw, EnclaveControl c, KeyRequest r) {
        try {
            hw.cpu.egetkey(c, r.toBytes());
            return SgxStatus.SUCCESS;
        } catch (SgxStatusException e) {
            return e.status();
        }
    }
}
