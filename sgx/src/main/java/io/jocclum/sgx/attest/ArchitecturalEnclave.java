package io.jocclum.sgx.attest;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.TargetInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.ProvisionFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.measure.SigningKey;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Arrays;
import java.util.List;

/**
 * A simulated Intel architectural enclave (the PCE or the QE3): a real enclave on the simulated
 * platform (one TCS and one measured code page naming it), signed with the simulated Intel AE
 * signing key (RSA-3072, e=3, shipped as a resource; its MRSIGNER is what the QE identity names),
 * launched by the host task the way aesmd launches them (SGX_IOC_ENCLAVE_PROVISION with
 * /dev/sgx_provision for PROVISIONKEY). Its code is the Java that calls EREPORT and EGETKEY through
 * {@link #context()}.
 */
final class ArchitecturalEnclave implements AutoCloseable {
    private static final long SIZE = 1L << 16;
    private static RSAPrivateCrtKey signingKey;

    private final EnclaveFd fd;
    private final SigStruct sigStruct;

    private ArchitecturalEnclave(EnclaveFd fd, SigStruct sigStruct) {
        this.fd = fd;
        this.sigStruct = sigStruct;
    }

    /**
     * Loads the AE named {@code name} at {@code base} with ISVPRODID {@code prodId} and ISVSVN
     * {@code svn}; {@code provision} gives it ATTRIBUTES.PROVISIONKEY.
     */
    static ArchitecturalEnclave load(SgxPlatform platform, HostTask task, long base, String name, int prodId, int svn,
                                     boolean provision) {
        byte[] code = new byte[Pages.SIZE];
        byte[] label = ("jocclum simulated " + name + " (not Intel's)").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(label, 0, code, 0, label.length);
        long flags = Attributes.MODE64BIT | (provision ? Attributes.PROVISIONKEY : 0);
        EnclaveImage image = new EnclaveImage(base, SIZE, 1, new Attributes(flags, Attributes.XFRM_LEGACY), 0, List.of(
                new EnclaveImage.Segment(0, Pages.SIZE, SecInfo.of(PageType.TCS, 0), Tcs.image(0x2000, 1, 0x1000, 0, 0), true),
                new EnclaveImage.Segment(0x1000, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.X), code, true),
                EnclaveImage.Segment.zero(0x2000, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.W), true)));
        SigStruct sig = image.sign(signingKey(), prodId, svn);
        EnclaveFd fd = platform.openEnclave(task);
        try {
            new EnclaveLoader(fd).add(image);
            if (provision) {
                // SGX_IOC_ENCLAVE_PROVISION: allowed any time before EINIT
                try (ProvisionFd p = platform.openProvision(task)) {
                    fd.provision(p);
                }
            }
            fd.init(sig.toBytes());
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
        return new ArchitecturalEnclave(fd, sig);
    }

    /** The simulated Intel AE signing key (a resource). */
    static synchronized RSAPrivateCrtKey signingKey() {
        if (signingKey == null) {
            try (InputStream in = ArchitecturalEnclave.class.getResourceAsStream("ae-signing-key.pem")) {
                if (in == null) {
                    throw new IllegalStateException("the simulated AE signing key resource is missing");
                }
                signingKey = SigningKey.parsePem(new String(in.readAllBytes(), StandardCharsets.US_ASCII), "the AE signing key");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return signingKey;
    }

    EnclaveContext context() {
        return fd.context();
    }

    byte[] mrEnclave() {
        return fd.enclave().mrEnclave();
    }

    byte[] mrSigner() {
        return sigStruct.mrSigner();
    }

    Attributes attributes() {
        return fd.enclave().control().attributes();
    }

    int miscSelect() {
        return fd.enclave().control().miscSelect();
    }

    /** Its TARGETINFO (what sgx_qe_get_target_info returns for the QE). */
    byte[] targetInfo() {
        var c = fd.enclave().control();
        return new TargetInfo(c.mrEnclave(), c.attributes(), c.configSvn(), c.miscSelect(), c.configId()).toBytes();
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "AE " + Arrays.toString(Arrays.copyOf(mrEnclave(), 4));
    }
}
