package io.jocclum.libos.attest;

import io.jocclum.api.Errno;
import io.jocclum.dcap.DcapFormatException;
import io.jocclum.dcap.PreparedCollateral;
import io.jocclum.dcap.Supplemental;
import io.jocclum.dcap.Verification;
import io.jocclum.libos.vm.GuestMemory;

import java.nio.ByteBuffer;

/**
 * GET_DCAP_SUPPLEMENTAL_SIZE and VER_DCAP_QUOTE: quote verification inside the enclave with the dcap
 * module's verifier, the platform's collateral (what the host's quote provider would fetch from its
 * PCCS) and the simulated root as trust anchor, at the LibOS clock's time, as Occlum's
 * {@code quote_verifier.rs} checks at {@code do_gettimeofday} (untrusted time on both).
 *
 * <p>As on Occlum, only non-terminal verdicts come back through the output fields: a terminal one
 * (bad signature, revoked, untrusted chain) fails the ioctl with EINVAL and writes nothing, because
 * Intel's {@code sgx_qv_verify_quote} returns an error for them. The supplemental data is copied
 * only when a buffer is given, which must hold {@link Supplemental#SIZE} bytes.
 */
final class QuoteCheck {
    private QuoteCheck() {
    }

    static int supplementalSize(SgxDevice dev) {
        dev.generator();
        return Supplemental.SIZE;
    }

    static void verify(SgxDevice dev, long arg, GuestMemory mem) {
        ByteBuffer a = SgxDevice.struct(mem, arg, 48);
        long quoteBuf = a.getLong(0);
        long quoteSize = Integer.toUnsignedLong(a.getInt(8));
        long expiration = a.getLong(16);
        long result = a.getLong(24);
        long supSize = Integer.toUnsignedLong(a.getInt(32));
        long supBuf = a.getLong(40);
        PreparedCollateral prepared = dev.prepared();
        if (quoteBuf == 0 || quoteSize > Integer.MAX_VALUE) {
            throw Errno.EFAULT.exception("quote_buf is NULL");
        }
        byte[] quote = SgxDevice.read(mem, quoteBuf, (int) quoteSize);
        if (supBuf != 0) {
            if (mem.accessiblePrefix(supBuf, supSize, false) < supSize) {
                throw Errno.EFAULT.exception("the supplemental buffer does not hold " + supSize + " bytes");
            }
            if (supSize < Supplemental.SIZE) {
                throw Errno.EINVAL.exception("provided supplemental buffer is too short: " + supSize + " < " + Supplemental.SIZE);
            }
        }
        Verification v;
        try {
            v = prepared.verify(quote, dev.clock().instant());
        } catch (DcapFormatException e) {
            throw Errno.EINVAL.exception("not a quote: " + e.getMessage());
        }
        dev.ocall(quote.length);
        if (v.terminal()) {
            throw Errno.EINVAL.exception("quote verification failed: " + v.result().intelName() + ", " + v.detail());
        }
        mem.writeInt(expiration, v.collateralExpired() ? 1 : 0);
        mem.writeInt(result, v.result().code());
        if (supBuf != 0) {
            mem.write(supBuf, v.supplemental().toBytes(), 0, Supplemental.SIZE);
        }
    }
}
