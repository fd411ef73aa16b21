package io.jocclum.sgx.measure;

import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Sgx;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * MRENCLAVE accumulation (SDM Vol. 3D, 38.3 and the ECREATE, EADD, EEXTEND, EINIT pseudo-code).
 *
 * <p>MRENCLAVE is SHA-256 over a sequence of 64-byte records:
 * <ul>
 *   <li>ECREATE: "ECREATE\0", SSAFRAMESIZE (4 bytes), SECS.SIZE (8 bytes), 44 zero bytes;</li>
 *   <li>EADD: "EADD\0\0\0\0", the page's offset within the enclave (8 bytes), the first 48 bytes of
 *       its SECINFO;</li>
 *   <li>EEXTEND: "EEXTEND\0", the offset of the 256-byte chunk (8 bytes), 48 zero bytes, followed
 *       by the 256 bytes of the chunk (four more 64-byte blocks).</li>
 * </ul>
 * All integers little-endian. EINIT finalises the hash. EAUG and the other SGX2 leaves do not
 * change MRENCLAVE. Offsets are relative to SECS.BASEADDR.
 *
 * <p>Not thread-safe: one builder per enclave, driven under the enclave's lock.
 */
public final class MeasurementBuilder {
    private static final byte[] ECREATE = tag("ECREATE");
    private static final byte[] EADD = tag("EADD");
    private static final byte[] EEXTEND = tag("EEXTEND");

    private final MessageDigest sha256;
    private final byte[] record = new byte[64];
    private boolean created;
    private byte[] result;
    private long eaddCount;
    private long eextendCount;

    public MeasurementBuilder() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The ECREATE record; must come first. */
    public MeasurementBuilder ecreate(int ssaFrameSize, long secsSize) {
        if (created) {
            throw new IllegalStateException("ECREATE already measured");
        }
        created = true;
        clear();
        System.arraycopy(ECREATE, 0, record, 0, 8);
        LittleEndian.put(record, 8, ssaFrameSize, 4);
        LittleEndian.putLong(record, 12, secsSize);
        sha256.update(record);
        return this;
    }

    /** The EADD record of the page at {@code offset} with {@code secInfo}. */
    public MeasurementBuilder eadd(long offset, SecInfo secInfo) {
        checkOpen();
        if (!Pages.isAligned(offset)) {
            throw new IllegalArgumentException("EADD offset 0x" + Long.toHexString(offset) + " is not page aligned");
        }
        clear();
        System.arraycopy(EADD, 0, record, 0, 8);
        LittleEndian.putLong(record, 8, offset);
        LittleEndian.putLong(record, 16, secInfo.flags()); // bytes 24..63: reserved part of SECINFO, zero
        sha256.update(record);
        eaddCount++;
        return this;
    }

    /** The EEXTEND record of the 256 bytes {@code data[from, from+256)} at {@code offset}. */
    public MeasurementBuilder eextend(long offset, byte[] data, int from) {
        checkOpen();
        if ((offset & (Sgx.EEXTEND_BLOCK - 1)) != 0) {
            throw new IllegalArgumentException("EEXTEND offset 0x" + Long.toHexString(offset) + " is not 256-byte aligned");
        }
        clear();
        System.arraycopy(EEXTEND, 0, record, 0, 8);
        LittleEndian.putLong(record, 8, offset);
        sha256.update(record);
        sha256.update(data, from, Sgx.EEXTEND_BLOCK);
        eextendCount++;
        return this;
    }

    /** EEXTEND of a whole page: sixteen 256-byte records. {@code page} holds 4096 bytes. */
    public MeasurementBuilder eextendPage(long offset, byte[] page) {
        if (page.length != Pages.SIZE) {
            throw new IllegalArgumentException("a page has 4096 bytes, got " + page.length);
        }
        for (int i = 0; i < Pages.SIZE; i += Sgx.EEXTEND_BLOCK) {
            eextend(offset + i, page, i);
        }
        return this;
    }

    /** EINIT: finalises and returns MRENCLAVE (32 bytes). Idempotent. */
    public byte[] finish() {
        if (result == null) {
            if (!created) {
                throw new IllegalStateException("no ECREATE measured");
            }
            result = sha256.digest();
        }
        return result.clone();
    }

    /**
     * MRENCLAVE as EINIT would compute it at this point, without finalising the builder: EINIT hashes a
     * copy of the SECS's running digest, so a failed EINIT leaves the enclave open for more EADDs.
     */
    public byte[] peek() {
        if (result != null) {
            return result.clone();
        }
        if (!created) {
            throw new IllegalStateException("no ECREATE measured");
        }
        try {
            return ((MessageDigest) sha256.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 cannot be cloned", e);
        }
    }

    public boolean isFinished() {
        return result != null;
    }

    public long eaddCount() {
        return eaddCount;
    }

    public long eextendCount() {
        return eextendCount;
    }

    private void checkOpen() {
        if (!created) {
            throw new IllegalStateException("ECREATE must be measured first");
        }
        if (result != null) {
            throw new IllegalStateException("measurement already finalised by EINIT");
        }
    }

    private void clear() {
        java.util.Arrays.fill(record, (byte) 0);
    }

    private static byte[] tag(String s) {
        byte[] b = new byte[8];
        byte[] a = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, b, 0, a.length);
        return b;
    }
}
