package io.jocclum.libos.layout;

import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.image.LoadSink;
import io.jocclum.sgx.image.SecsParams;
import io.jocclum.sgx.measure.MeasurementBuilder;
import io.jocclum.sgx.measure.SigStruct;

/**
 * MRENCLAVE of a layout, and the SIGSTRUCT body that goes with it.
 *
 * <p><b>Contract.</b> {@link #mrenclave} feeds {@link MeasurementBuilder} (the one implementation
 * of the SDM's ECREATE/EADD/EEXTEND records, which the simulated CPU also uses) from
 * {@link EnclaveLayout#load}, the very sequence the boot replays on the simulated platform: ECREATE
 * with SSAFRAMESIZE and SECS.SIZE, then, region by region in offset order, EADD of every page
 * added at load (offset relative to SECS.BASEADDR, SECINFO.FLAGS) followed, for measured regions,
 * by the sixteen EEXTENDs of that page. A boot that drives the CPU from {@code load} therefore
 * ends EINIT with the MRENCLAVE {@code jocclum print mrenclave} shows, by construction; changing
 * either means changing {@code load}, i.e. both.
 *
 * <p>Cost: one 64-byte record per page added (a 16 GB non-EDMM user space is 4M records, hashed in
 * a second or two) plus 16 records of 320 bytes per measured page; zero pages are never
 * materialised.
 */
public final class Measurement {
    private Measurement() {
    }

    public static byte[] mrenclave(EnclaveLayout layout) {
        MeasurementBuilder mb = new MeasurementBuilder();
        layout.load(new LoadSink() {
            @Override
            public void ecreate(SecsParams secs) {
                mb.ecreate(secs.ssaFrameSize(), secs.size());
            }

            @Override
            public void eadd(long offset, SecInfo secInfo, byte[] page) {
                mb.eadd(offset, secInfo);
            }

            @Override
            public void eextend(long offset, byte[] page, int from) {
                mb.eextend(offset, page, from);
            }
        });
        return mb.finish();
    }

    /**
     * Bytes {@link #mrenclave} feeds to SHA-256 for {@code layout}: the ECREATE record, one 64-byte
     * record per page added at load and 64 + 256 bytes per EEXTEND. Hashing runs at roughly 1 GB/s
     * on one core, so this is the cost of measuring (and of nothing else: no page is materialised).
     */
    public static long hashedBytes(EnclaveLayout layout) {
        return 64 + 64 * layout.eaddCount() + (64 + 256) * layout.eextendCount();
    }

    /**
     * The unsigned SIGSTRUCT body for {@code layout} measured as {@code mrenclave}: MISCSELECT and
     * MISCMASK of Enclave.xml, the layout's ATTRIBUTES with the SGX SDK's default attribute mask,
     * ISVPRODID, ISVSVN, and with KSS the family and extended product ids (low 64 bits first, each
     * little-endian, as the SDK signer copies ISVFAMILYID_L then ISVFAMILYID_H). {@code bcdDate}
     * as {@link SigStruct#bcdDate}.
     */
    public static SigStruct sigStruct(EnclaveLayout layout, byte[] mrenclave, int bcdDate) {
        EnclaveXml x = layout.enclaveXml();
        Attributes attributes = layout.secs().attributes();
        return SigStruct.unsigned(bcdDate, (int) x.miscSelect(), (int) x.miscMask(), id(x.isvFamilyIdL(), x.isvFamilyIdH()),
                attributes, Attributes.SDK_DEFAULT_MASK, mrenclave, id(x.isvExtProdIdL(), x.isvExtProdIdH()), x.prodId(),
                x.isvSvn());
    }

    private static byte[] id(long low, long high) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (low >>> (8 * i));
            b[8 + i] = (byte) (high >>> (8 * i));
        }
        return b;
    }
}
