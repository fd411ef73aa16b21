package io.jocclum.sgx.attest;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.interfaces.RSAPrivateCrtKey;

import static org.assertj.core.api.Assertions.assertThat;

/** Seal keys by policy for the same enclave signed by two signers: MRSIGNER keys differ, MRENCLAVE keys do not. */
@ExtendWith(SgxInvariantsExtension.class)
class SealKeySignerTest {
    private static byte[] seal(EnclaveFd fd, int policy) {
        return fd.context().egetkey(new KeyRequest(KeyRequest.SEAL_KEY, policy, 0, new byte[16],
                new Attributes(0xFF0000000000000BL, 0), new byte[32], 0, 0).toBytes());
    }

    @Test
    void theSignerPolicyFollowsMrsignerAndTheEnclavePolicyMrenclave() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
        EnclaveImage img = SgxTestSupport.image(1 << 20, 1);
        RSAPrivateCrtKey other = ArchitecturalEnclave.signingKey();
        try (EnclaveFd a = EnclaveLoader.load(p, p.newTask("a"), img, img.sign(SgxTestSupport.signingKey(), 1, 1));
             EnclaveFd b = EnclaveLoader.load(p, p.newTask("b"), img, img.sign(other, 1, 1))) {
            assertThat(a.enclave().control().mrSigner()).isNotEqualTo(b.enclave().control().mrSigner());
            assertThat(seal(a, KeyRequest.POLICY_MRSIGNER)).isNotEqualTo(seal(b, KeyRequest.POLICY_MRSIGNER));
            assertThat(seal(a, KeyRequest.POLICY_MRENCLAVE)).isEqualTo(seal(b, KeyRequest.POLICY_MRENCLAVE));
            assertThat(seal(a, KeyRequest.POLICY_MRENCLAVE | KeyRequest.POLICY_MRSIGNER))
                    .isNotEqualTo(seal(b, KeyRequest.POLICY_MRENCLAVE | KeyRequest.POLICY_MRSIGNER));
        }
    }
}
