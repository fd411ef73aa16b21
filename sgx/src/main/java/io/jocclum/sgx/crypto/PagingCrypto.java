package io.jocclum.sgx.crypto;

import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.foreign.MemorySegment;
import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The paging crypto of EWB and ELDU: AES-128-GCM under the platform's paging key.
 *
 * <p>Design: real hardware encrypts an evicted page with a key internal to the CPU and writes a MAC
 * into the PCMD that covers the contents, the page's SECINFO, its linear address, the owning enclave
 * and the version number kept in a VA slot (SDM Vol. 3D, 38.5 "EWB"). Here the nonce is the 64-bit
 * version (little-endian, then four zero bytes) and the associated data binds LINADDR, the enclave ID
 * and the SECINFO flags (24 bytes). Versions come from a platform-wide counter, so a nonce is never
 * reused under the key. Any change to the blob, the MAC, the SECINFO, a blob of another page (other
 * LINADDR), of another enclave, or of an older eviction (other version) makes {@link #open} fail.
 *
 * <p>Thread-safe: Cipher instances are pooled (never one per thread, since guest threads are virtual),
 * each with the scratch arrays of a seal or open (nonce, associated data, a plaintext page), so that
 * the only allocations of a page's crypto are the JDK's own per {@code Cipher.init}. The AES rounds
 * and GHASH run on the JDK's AES-NI and carry-less-multiply intrinsics where the CPU has them.
 * Those take heap arrays only (for direct buffers the JDK copies each 512 bytes through fresh heap
 * arrays and calls its fused intrinsic per piece, which measured about twice as slow; a decryption
 * in place turns the fused intrinsic off), so a page outside the heap is copied into the worker's
 * plaintext scratch before a seal and out of it after an open, and the blob and MAC go through the
 * ciphertext-and-tag scratch. Pages are named by segment and offset, so a caller holding a page
 * inside a larger mapping makes no segment for it.
 */
public final class PagingCrypto {
    public static final int TAG = 16;
    private static final byte[] ZERO_PAGE = new byte[Pages.SIZE];

    private final SecretKeySpec key;
    /** Idle workers: a fixed set of slots (taking and giving back allocate nothing); extra workers are dropped. */
    private final AtomicReferenceArray<Worker> pool = new AtomicReferenceArray<>(16);

    /** A Cipher and scratch: ciphertext || tag, a plaintext page, the nonce and the associated data. */
    private static final class Worker {
        final Cipher cipher;
        final byte[] buf = new byte[Pages.SIZE + TAG];
        final byte[] plain = new byte[Pages.SIZE];
        final MemorySegment plainSegment = MemorySegment.ofArray(plain);
        final byte[] nonce = new byte[12];
        final byte[] aad = new byte[24];

        Worker() {
            try {
                cipher = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no AES/GCM/NoPadding", e);
            }
        }
    }

    public PagingCrypto(byte[] key16) {
        if (key16.length != 16) {
            throw new IllegalArgumentException("the paging key is AES-128 (16 bytes), got " + key16.length);
        }
        this.key = new SecretKeySpec(key16, "AES");
    }

    /**
     * EWB's encryption: the 4096 bytes of {@code src} (null = a page of zeros) into {@code blob[0, 4096)},
     * the MAC into {@code mac[macOff, macOff+16)}.
     */
    public void seal(MemorySegment src, long version, long linaddr, long eid, long secInfo,
                     byte[] blob, byte[] mac, int macOff) {
        seal(src, version, linaddr, eid, secInfo, MemorySegment.ofArray(blob), MemorySegment.ofArray(mac), macOff);
    }

    /**
     * EWB's encryption into segments (a backing page outside the heap): the 4096 bytes of {@code src}
     * (null = a page of zeros) into {@code blob[0, 4096)}, the MAC into {@code mac[macOff, macOff+16)}.
     */
    public void seal(MemorySegment src, long version, long linaddr, long eid, long secInfo,
                     MemorySegment blob, MemorySegment mac, long macOff) {
        seal(src, 0, version, linaddr, eid, secInfo, blob, 0, mac, macOff);
    }

    /**
     * EWB's encryption of the page at {@code src[srcOff, srcOff+4096)} (src null = a page of zeros)
     * into {@code blob[blobOff, blobOff+4096)}, the MAC into {@code mac[macOff, macOff+16)}. The
     * offsets let a caller name a page inside a larger mapping without a segment of its own.
     */
    public void seal(MemorySegment src, long srcOff, long version, long linaddr, long eid, long secInfo,
                     MemorySegment blob, long blobOff, MemorySegment mac, long macOff) {
        Worker w = take();
        try {
            Cipher c = w.cipher;
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce(version, w.nonce)));
            c.updateAAD(aad(linaddr, eid, secInfo, w.aad));
            int n;
            if (src == null) {
                n = c.doFinal(ZERO_PAGE, 0, Pages.SIZE, w.buf, 0);
            } else if (heapArray(src) instanceof byte[] arr) {
                n = c.doFinal(arr, (int) (src.address() + srcOff), Pages.SIZE, w.buf, 0);
            } else {
                MemorySegment.copy(src, JAVA_BYTE, srcOff, w.plain, 0, Pages.SIZE);
                n = c.doFinal(w.plain, 0, Pages.SIZE, w.buf, 0);
            }
            if (n != Pages.SIZE + TAG) {
                throw new IllegalStateException("GCM produced " + n + " bytes for one page");
            }
            MemorySegment.copy(w.buf, 0, blob, JAVA_BYTE, blobOff, Pages.SIZE);
            MemorySegment.copy(w.buf, Pages.SIZE, mac, JAVA_BYTE, macOff, TAG);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
        } finally {
            giveBack(w);
        }
    }

    /**
     * ELDU's decryption and check. Returns false, leaving {@code dst} unspecified, when the MAC does
     * not verify; true after writing the 4096 plaintext bytes into {@code dst}.
     */
    public boolean open(byte[] blob, byte[] mac, int macOff, long version, long linaddr, long eid, long secInfo,
                        MemorySegment dst) {
        return open(MemorySegment.ofArray(blob), MemorySegment.ofArray(mac), macOff, version, linaddr, eid, secInfo, dst);
    }

    /** {@link #open(byte[], byte[], int, long, long, long, long, MemorySegment)} from segments. */
    public boolean open(MemorySegment blob, MemorySegment mac, long macOff, long version, long linaddr, long eid,
                        long secInfo, MemorySegment dst) {
        return open(blob, 0, mac, macOff, version, linaddr, eid, secInfo, dst, 0);
    }

    /**
     * ELDU's decryption and check of the blob at {@code blob[blobOff, blobOff+4096)} with the MAC at
     * {@code mac[macOff, macOff+16)}. Returns false, leaving {@code dst} unspecified, when the MAC does
     * not verify; true after writing the 4096 plaintext bytes into {@code dst[dstOff, dstOff+4096)}.
     */
    public boolean open(MemorySegment blob, long blobOff, MemorySegment mac, long macOff, long version, long linaddr,
                        long eid, long secInfo, MemorySegment dst, long dstOff) {
        Worker w = take();
        try {
            Cipher c = w.cipher;
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce(version, w.nonce)));
            c.updateAAD(aad(linaddr, eid, secInfo, w.aad));
            // GCM wants ciphertext || tag in one buffer
            MemorySegment.copy(blob, JAVA_BYTE, blobOff, w.buf, 0, Pages.SIZE);
            MemorySegment.copy(mac, JAVA_BYTE, macOff, w.buf, Pages.SIZE, TAG);
            if (heapArray(dst) instanceof byte[] arr) {
                c.doFinal(w.buf, 0, Pages.SIZE + TAG, arr, (int) (dst.address() + dstOff));
            } else {
                c.doFinal(w.buf, 0, Pages.SIZE + TAG, w.plain, 0);
                MemorySegment.copy(w.plain, 0, dst, JAVA_BYTE, dstOff, Pages.SIZE);
            }
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM decryption failed: " + e.getMessage(), e);
        } finally {
            giveBack(w);
        }
    }

    private static Object heapArray(MemorySegment s) {
        return s.heapBase().orElse(null);
    }

    private Worker take() {
        for (int i = 0; i < pool.length(); i++) {
            Worker w = pool.getPlain(i) == null ? null : pool.getAndSet(i, null);
            if (w != null) {
                return w;
            }
        }
        return new Worker();
    }

    private void giveBack(Worker w) {
        for (int i = 0; i < pool.length(); i++) {
            if (pool.compareAndSet(i, null, w)) {
                return;
            }
        }
    }

    /** The nonce of {@code version} written into {@code n} (12 bytes): the version little-endian, then zeros. */
    private static byte[] nonce(long version, byte[] n) {
        java.util.Arrays.fill(n, 8, 12, (byte) 0);
        LittleEndian.putLong(n, 0, version);
        return n;
    }

    /** The associated data written into {@code a} (24 bytes): LINADDR, the enclave ID, the SECINFO flags, each little-endian. */
    private static byte[] aad(long linaddr, long eid, long secInfo, byte[] a) {
        LittleEndian.putLong(a, 0, linaddr);
        LittleEndian.putLong(a, 8, eid);
        LittleEndian.putLong(a, 16, secInfo);
        return a;
    }
}
