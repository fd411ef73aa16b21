package io.jocclum.libos.vm.testing;

import io.jocclum.libos.vm.EnclaveEpcmView;
import io.jocclum.libos.vm.UserSpaceLayout;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.enclave.Enclave;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.measure.SigningKey;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.List;

/**
 * A small enclave on the simulated SGX platform (the {@code sgx} module) laid out for a
 * {@link UserSpaceLayout}, so that the VM's tests and benchmarks run on the real hardware model:
 * open {@code /dev/sgx_enclave}, CREATE with an ELRANGE covering the layout, ADD_PAGES of the
 * reserved user memory as REG RWX without EEXTEND (as the SGX SDK loads ReservedMem with
 * ReservedMemExecutable = 1), nothing for the EDMM user region (committed on demand), INIT with a
 * SIGSTRUCT signed by a test key. MISCSELECT.EXINFO is set when the layout has a user region, as
 * an EDMM build's Enclave.xml asks. {@link #context()} is what {@code UserSpace.create} takes.
 *
 * <p>The test key is an RSA-3072 (e = 3) key generated once per JVM from a fixed seed, so
 * MRSIGNER is stable. Not used by the product at run time.
 */
public final class PlatformEnclave implements AutoCloseable {
    private static final long SEED = 0x6a6f63636c756dL; // "jocclum"
    private static RSAPrivateCrtKey key;                // guarded by PlatformEnclave.class

    private final SgxPlatform platform;
    private final boolean ownsPlatform;
    private final EnclaveFd fd;
    private final EnclaveEpcmView view;

    private PlatformEnclave(SgxPlatform platform, boolean ownsPlatform, EnclaveFd fd) {
        this.platform = platform;
        this.ownsPlatform = ownsPlatform;
        this.fd = fd;
        this.view = new EnclaveEpcmView(fd.enclave());
    }

    /** Starts a platform with {@code config} and loads the enclave for {@code layout}; {@link #close} stops both. */
    public static PlatformEnclave start(PlatformConfig config, UserSpaceLayout layout) {
        return start(config, layout, testKey());
    }

    /** As {@link #start(PlatformConfig, UserSpaceLayout)}, signed with {@code key} (RSA-3072, e = 3). */
    public static PlatformEnclave start(PlatformConfig config, UserSpaceLayout layout, RSAPrivateCrtKey key) {
        SgxPlatform p = SgxPlatform.start(config);
        try {
            return new PlatformEnclave(p, true, loadFd(p, p.newTask("libos"), layout, key));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** Loads the enclave for {@code layout} on a running platform as {@code task}; {@link #close} closes the enclave only. */
    public static PlatformEnclave load(SgxPlatform platform, HostTask task, UserSpaceLayout layout) {
        return new PlatformEnclave(platform, false, loadFd(platform, task, layout, testKey()));
    }

    private static EnclaveFd loadFd(SgxPlatform p, HostTask task, UserSpaceLayout layout, RSAPrivateCrtKey key) {
        if (layout.hasUserRegion() && !p.config().sgx2()) {
            throw new IllegalArgumentException("an EDMM layout (with a user region) needs an SGX2 platform");
        }
        EnclaveImage img = image(layout);
        return EnclaveLoader.load(p, task, img, img.sign(key, 1, 1));
    }

    /**
     * The enclave image of {@code layout}: ELRANGE is the smallest naturally aligned power of two
     * covering the user space; the reserved memory is its only content.
     */
    public static EnclaveImage image(UserSpaceLayout layout) {
        long lo = layout.lowest();
        long hi = layout.highest();
        long size = Math.max(2 * 4096, Long.highestOneBit(hi - lo - 1) << 1);
        long base = lo & -size;
        while (base + size < hi) {
            size <<= 1;
            base = lo & -size;
        }
        List<EnclaveImage.Segment> segs = layout.reservedSize() == 0 ? List.of()
                : List.of(EnclaveImage.Segment.zero(layout.reservedBase() - base, layout.reservedSize(),
                        SecInfo.reg(SecInfo.R | SecInfo.W | SecInfo.X), false));
        int miscSelect = layout.hasUserRegion() ? 1 : 0; // MISCSELECT.EXINFO for EDMM builds
        return new EnclaveImage(base, size, 1, new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY),
                miscSelect, segs);
    }

    /** The RSA-3072 test signing key (generated from a fixed seed on first use). */
    public static synchronized RSAPrivateCrtKey testKey() {
        if (key == null) {
            try {
                SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
                r.setSeed(SEED);
                key = SigningKey.generate(r);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA1PRNG", e);
            }
        }
        return key;
    }

    /** The in-enclave view the LibOS runs against. */
    public EnclaveContext context() {
        return fd.context();
    }

    /** The EPCM as the VM's invariant checker reads it. */
    public EnclaveEpcmView epcmView() {
        return view;
    }

    public EnclaveFd fd() {
        return fd;
    }

    public Enclave enclave() {
        return fd.enclave();
    }

    public SgxPlatform platform() {
        return platform;
    }

    /** The enclave's leaf, fault and OCALL counters and simulated cycles. */
    public EnclaveStats stats() {
        return fd.stats();
    }

    /** {@link SgxPlatform#checkInvariants()}: the platform's own cross-checks (quiescent platform only). */
    public List<String> checkPlatform() {
        return platform.checkInvariants();
    }

    @Override
    public void close() {
        try {
            fd.close();
        } finally {
            if (ownsPlatform) {
                platform.close();
            }
        }
    }
}
