package io.jocclum.libos.attest;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.GuestMemory;

/** VER_DCAP_QUOTE and GET_DCAP_SUPPLEMENTAL_SIZE: quote verification inside the enclave. */
final class QuoteCheck {
    private QuoteCheck() {
    }

    static int supplementalSize(SgxDevice dev) {
        throw Errno.EIO.exception("DCAP quote verifier not ready");
    }

    static void verify(SgxDevice dev, long arg, GuestMemory mem) {
        throw Errno.EIO.exception("DCAP quote verifier not ready");
    }
}
