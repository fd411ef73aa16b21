package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The host controls the backing store. Every kind of tampering with an evicted page must be detected
 * at ELDU (the enclave gets an INTEGRITY fault, never the data), and leave the page loadable again
 * once the original bytes are back.
 */
@ExtendWith(SgxInvariantsExtension.class)
class TamperTest {
    private static final long HEAP = BASE + 0x2000;
    private static final int PAGES = 256;

    private final SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(128).build());
    private final EnclaveFd fd = SgxTestSupport.load(p, p.newTask("victim"), SgxTestSupport.image(1 << 21, PAGES));
    private final EnclaveContext ctx = fd.context();
    private final BackingFile file = fd.enclave().backingFile();

    private static long page(int i) {
        return HEAP + i * 4096L;
    }

    private void fillPages() {
        for (int i = 0; i < PAGES; i++) {
            ctx.writeLong(page(i), 1000L + i);
            ctx.writeLong(page(i) + 4088, ~(1000L + i));
        }
    }

    /** Runs global reclaim until the page is out of the EPC. */
    private void evict(long addr) {
        for (int round = 0; fd.enclave().epcmAt(addr) != null; round++) {
            assertThat(round).as("page 0x%x was never evicted", addr).isLessThan(10_000);
            p.controller().reclaimGlobal(null);
        }
    }

    private void assertIntact(int i) {
        assertThat(ctx.readLong(page(i))).isEqualTo(1000L + i);
        assertThat(ctx.readLong(page(i) + 4088)).isEqualTo(~(1000L + i));
    }

    private void assertDetected(long addr) {
        assertThatThrownBy(() -> ctx.readLong(addr)).isInstanceOfSatisfying(EnclaveFault.class,
                f -> assertThat(f.kind()).isEqualTo(EnclaveFault.Kind.INTEGRITY));
        assertThat(fd.enclave().epcmAt(addr)).as("the page stays evicted").isNull();
    }

    private void flip(long fileOffset, int bit) {
        byte[] b = file.read(fileOffset, 1);
        b[0] ^= (byte) (1 << bit);
        file.write(fileOffset, b);
    }

    @Test
    void flippedContentBit() {
        fillPages();
        evict(page(5));
        long contents = file.contentsIndex(page(5)) * 4096;
        flip(contents + 777, 3);
        assertDetected(page(5));
        flip(contents + 777, 3);
        assertIntact(5);
    }

    @Test
    void flippedMacBit() {
        fillPages();
        evict(page(6));
        long mac = file.pcmdOffset(page(6)) + Pcmd.OFF_MAC;
        flip(mac + 15, 0);
        assertDetected(page(6));
        flip(mac + 15, 0);
        assertIntact(6);
    }

    @Test
    void changedSecinfoInThePcmd() {
        fillPages();
        evict(page(7));
        long secinfo = file.pcmdOffset(page(7)) + Pcmd.OFF_SECINFO;
        flip(secinfo, 2);   // grant X
        assertDetected(page(7));
        flip(secinfo, 2);
        flip(file.pcmdOffset(page(7)) + Pcmd.OFF_ENCLAVEID, 0);  // claim another enclave
        assertDetected(page(7));
        flip(file.pcmdOffset(page(7)) + Pcmd.OFF_ENCLAVEID, 0);
        flip(file.pcmdOffset(page(7)) + 80, 1);  // reserved PCMD bytes
        assertDetected(page(7));
        flip(file.pcmdOffset(page(7)) + 80, 1);
        assertIntact(7);
    }

    @Test
    void swappedBlobs() {
        fillPages();
        evict(page(10));
        evict(page(11));
        long a = file.contentsIndex(page(10));
        long b = file.contentsIndex(page(11));
        byte[] ca = file.readPage(a);
        byte[] cb = file.readPage(b);
        byte[] pa = file.read(file.pcmdOffset(page(10)), Pcmd.SIZE);
        byte[] pb = file.read(file.pcmdOffset(page(11)), Pcmd.SIZE);
        file.writePage(a, cb);
        file.writePage(b, ca);
        file.write(file.pcmdOffset(page(10)), pb);
        file.write(file.pcmdOffset(page(11)), pa);
        assertDetected(page(10));
        assertDetected(page(11));
        file.writePage(a, ca);
        file.writePage(b, cb);
        file.write(file.pcmdOffset(page(10)), pa);
        file.write(file.pcmdOffset(page(11)), pb);
        assertIntact(10);
        assertIntact(11);
    }

    @Test
    void replayedOlderVersion() {
        fillPages();
        evict(page(20));
        long idx = file.contentsIndex(page(20));
        byte[] oldBlob = file.readPage(idx);
        byte[] oldPcmd = file.read(file.pcmdOffset(page(20)), Pcmd.SIZE);
        ctx.writeLong(page(20), 4242);          // load, change
        evict(page(20));                        // evict again: a new version in a VA slot
        byte[] newBlob = file.readPage(idx);
        byte[] newPcmd = file.read(file.pcmdOffset(page(20)), Pcmd.SIZE);
        assertThat(newBlob).isNotEqualTo(oldBlob);
        file.writePage(idx, oldBlob);
        file.write(file.pcmdOffset(page(20)), oldPcmd);
        assertDetected(page(20));
        file.writePage(idx, newBlob);
        file.write(file.pcmdOffset(page(20)), newPcmd);
        assertThat(ctx.readLong(page(20))).isEqualTo(4242);
    }

    @Test
    void blobOfAnotherEnclave() {
        fillPages();
        EnclaveFd other = SgxTestSupport.load(p, p.newTask("other"), SgxTestSupport.image(1 << 21, PAGES));
        EnclaveContext octx = other.context();
        octx.writeLong(page(3), 1003);                 // same address, same value
        octx.writeLong(page(3) + 4088, ~1003L);
        evict(page(3));
        while (other.enclave().epcmAt(page(3)) != null) {
            p.controller().reclaimGlobal(null);
        }
        BackingFile ofile = other.enclave().backingFile();
        long idx = file.contentsIndex(page(3));
        byte[] mine = file.readPage(idx);
        byte[] minePcmd = file.read(file.pcmdOffset(page(3)), Pcmd.SIZE);
        file.writePage(idx, ofile.readPage(idx));
        file.write(file.pcmdOffset(page(3)), ofile.read(ofile.pcmdOffset(page(3)), Pcmd.SIZE));
        assertDetected(page(3));
        file.writePage(idx, mine);
        file.write(file.pcmdOffset(page(3)), minePcmd);
        assertIntact(3);
        other.close();
    }

    @Test
    void tamperedSecsImage() {
        fillPages();
        for (int round = 0; fd.enclave().isSecsResident(); round++) {
            assertThat(round).isLessThan(10_000);
            p.controller().reclaimGlobal(null);
        }
        assertThat(fd.enclave().residentPages()).isZero();
        long secs = file.secsIndex() * 4096;
        flip(secs + 3080, 4); // inside the encrypted SECS image
        assertThatThrownBy(() -> ctx.readLong(page(1))).isInstanceOfSatisfying(EnclaveFault.class,
                f -> assertThat(f.kind()).isEqualTo(EnclaveFault.Kind.INTEGRITY));
        assertThat(fd.enclave().isSecsResident()).isFalse();
        flip(secs + 3080, 4);
        assertIntact(1);
        assertThat(fd.enclave().isSecsResident()).isTrue();
    }
}
