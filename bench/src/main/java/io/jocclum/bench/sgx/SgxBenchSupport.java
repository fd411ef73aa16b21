package io.jocclum.bench.sgx;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.measure.SigningKey;

import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.List;

/** Builds enclaves for the SGX benchmarks. */
final class SgxBenchSupport {
    static final long BASE = 0x10_0000_0000L;
    static final long HEAP = BASE + 0x2000;
    private static RSAPrivateCrtKey key;

    private SgxBenchSupport() {
    }

    static synchronized RSAPrivateCrtKey key() {
        if (key == null) {
            key = SigningKey.generate(new SecureRandom());
        }
        return key;
    }

    /** An enclave with a TCS, a code page and {@code heapPages} RW pages at {@link #HEAP}. */
    static EnclaveFd enclave(SgxPlatform p, long heapPages) {
        long size = Long.highestOneBit((heapPages + 2) * Pages.SIZE - 1) << 1;
        EnclaveImage img = new EnclaveImage(BASE, size, 1,
                new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY), 0, List.of(
                new EnclaveImage.Segment(0, Pages.SIZE, SecInfo.of(PageType.TCS, 0), Tcs.image(0x1000, 1, 0x1000, 0, 0), true),
                new EnclaveImage.Segment(0x1000, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.X), new byte[Pages.SIZE], true),
                EnclaveImage.Segment.zero(0x2000, Pages.bytes(heapPages), SecInfo.reg(SecInfo.R | SecInfo.W), false)));
        return EnclaveLoader.load(p, p.newTask("bench"), img, img.sign(key(), 1, 1));
    }
}
