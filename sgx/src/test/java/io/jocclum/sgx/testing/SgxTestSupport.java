package io.jocclum.sgx.testing;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.measure.SigningKey;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;

/** Platforms, keys and enclave images for the sgx tests (shared with other modules via the test-jar). */
public final class SgxTestSupport {
    private static final List<SgxPlatform> STARTED = new ArrayList<>();
    private static RSAPrivateCrtKey key;

    /** Default enclave base used by the images below. */
    public static final long BASE = 0x10_0000_0000L;

    private SgxTestSupport() {
    }

    /** Starts a platform that the invariant extension checks and closes after the test. */
    public static synchronized SgxPlatform platform(PlatformConfig config) {
        SgxPlatform p = SgxPlatform.start(config);
        STARTED.add(p);
        return p;
    }

    public static synchronized void track(SgxPlatform p) {
        STARTED.add(p);
    }

    static synchronized List<SgxPlatform> drainStarted() {
        List<SgxPlatform> l = new ArrayList<>(STARTED);
        STARTED.clear();
        return l;
    }

    /** A platform of {@code epcPages} pages, SGX2, ksgxd in MANUAL mode (deterministic). */
    public static PlatformConfig.Builder config(long epcPages) {
        return PlatformConfig.builder().epcSize(epcPages * 4096).ksgxd(Ksgxd.Mode.MANUAL);
    }

    /** The RSA-3072 (e=3) test signing key. */
    public static synchronized RSAPrivateCrtKey signingKey() {
        if (key == null) {
            try (InputStream in = SgxTestSupport.class.getResourceAsStream("/io/jocclum/sgx/measure/test-key-pkcs1.pem")) {
                key = SigningKey.parsePem(new String(in.readAllBytes(), StandardCharsets.US_ASCII), "test key");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return key;
    }

    public static Attributes attributes() {
        return new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY);
    }

    /**
     * An enclave of {@code size} bytes at {@link #BASE}: one TCS at offset 0, one measured RX code page
     * at 0x1000 with recognisable contents, then {@code heapPages} unmeasured RW zero pages from 0x2000.
     */
    public static EnclaveImage image(long size, long heapPages) {
        byte[] code = new byte[4096];
        for (int i = 0; i < code.length; i++) {
            code[i] = (byte) (i * 7 + 3);
        }
        List<EnclaveImage.Segment> segs = new ArrayList<>();
        segs.add(new EnclaveImage.Segment(0, 4096, SecInfo.of(PageType.TCS, 0),
                Tcs.image(0x1000, 1, 0x1000, 0, 0), true));
        segs.add(new EnclaveImage.Segment(0x1000, 4096, SecInfo.reg(SecInfo.R | SecInfo.X), code, true));
        if (heapPages > 0) {
            segs.add(EnclaveImage.Segment.zero(0x2000, heapPages * 4096, SecInfo.reg(SecInfo.R | SecInfo.W), false));
        }
        return new EnclaveImage(BASE, size, 1, attributes(), 0, segs);
    }

    /** Loads {@link #image} as {@code task}. */
    public static EnclaveFd load(SgxPlatform p, HostTask task, EnclaveImage img) {
        return EnclaveLoader.load(p, task, img, img.sign(signingKey(), 1, 1));
    }

    /** The smallest power of two >= {@code bytes}. */
    public static long pow2(long bytes) {
        return Long.highestOneBit(bytes - 1) << 1;
    }
}
