package io.jocclum.libos.layout;

import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.measure.SigStruct;

/**
 * MRENCLAVE of a layout, and the SIGSTRUCT body that goes with it: the layout's
 * {@link EnclaveImage} measured and signed by the sgx module's one implementation
 * ({@link EnclaveImage#mrEnclave}, {@link EnclaveImage#sigStruct}), with the signer's identity
 * fields taken from Enclave.xml.
 *
 * <p><b>Contract.</b> The boot loads the same {@link EnclaveLayout#image()} through the driver
 * ({@code EnclaveLoader}), so a booted enclave ends EINIT with the MRENCLAVE
 * {@code jocclum print mrenclave} shows, by construction.
 *
 * <p>Cost: one 64-byte record per page added at load (a 16 GB non-EDMM user space is 4M records,
 * hashed in a second or two) plus 16 records of 320 bytes per measured page; zero pages are never
 * materialised.
 */
public final class Measurement {
    private Measurement() {
    }

    public static byte[] mrenclave(EnclaveLayout layout) {
        return layout.image().mrEnclave();
    }

    /** As {@link #mrenclave(EnclaveLayout)}, reporting the pages hashed so far to {@code pagesDone}. */
    public static byte[] mrenclave(EnclaveLayout layout, java.util.function.LongConsumer pagesDone) {
        return layout.image().mrEnclave(pagesDone);
    }

    /**
     * Bytes {@link #mrenclave} feeds to SHA-256 for {@code layout} ({@link EnclaveImage#hashedBytes}).
     * Hashing runs at roughly 1 GB/s on one core, so this is the cost of measuring.
     */
    public static long hashedBytes(EnclaveLayout layout) {
        return layout.image().hashedBytes();
    }

    /**
     * The unsigned SIGSTRUCT body for {@code layout} measured as {@code mrenclave}: the image's
     * MISCSELECT and ATTRIBUTES with the SGX SDK's default attribute mask, and from Enclave.xml
     * MISCMASK, ISVPRODID, ISVSVN and, with KSS, the family and extended product ids (low 64 bits
     * first, each little-endian, as the SDK signer copies ISVFAMILYID_L then ISVFAMILYID_H).
     * {@code bcdDate} as {@link SigStruct#bcdDate}.
     */
    public static SigStruct sigStruct(EnclaveLayout layout, byte[] mrenclave, int bcdDate) {
        EnclaveXml x = layout.enclaveXml();
        return layout.image().sigStruct(mrenclave, bcdDate, (int) x.miscMask(), id(x.isvFamilyIdL(), x.isvFamilyIdH()),
                id(x.isvExtProdIdL(), x.isvExtProdIdH()), x.prodId(), x.isvSvn());
    }

    private static byte[] id(long low, long high) {
        return LittleEndian.bytes(low, high);
    }
}
