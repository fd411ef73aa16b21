package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model-based data integrity: an enclave heap four times the EPC, a long seeded random sequence of
 * writes, fills and reads checked against a plain byte array. Every byte must survive any number of
 * EWB/ELDU round trips. The seed is printed in every assertion and can be set with
 * {@code -Djocclum.test.seed=N}.
 */
@ExtendWith(SgxInvariantsExtension.class)
class DataIntegrityTest {
    private static final int EPC_PAGES = 256;
    private static final int HEAP_PAGES = 4 * EPC_PAGES;
    private static final long HEAP = BASE + 0x2000;

    @ParameterizedTest(name = "sgx2={0} ksgxd={1}")
    @CsvSource({"false, MANUAL", "true, MANUAL", "false, THREAD", "true, THREAD"})
    void randomSequenceLosesNoByte(boolean edmm, Ksgxd.Mode mode) {
        long seed = Long.getLong("jocclum.test.seed", 0x5EEDL + (edmm ? 1 : 0) + mode.ordinal() * 2L);
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(EPC_PAGES).sgx2(edmm).ksgxd(mode).build());
        long size = SgxTestSupport.pow2((HEAP_PAGES + 2) * 4096L);
        EnclaveFd fd = SgxTestSupport.load(p, p.newTask("integrity"), SgxTestSupport.image(size, edmm ? 0 : HEAP_PAGES));
        EnclaveContext ctx = fd.context();
        if (edmm) {
            for (int i = 0; i < HEAP_PAGES; i++) {
                assertThat(ctx.eaccept(HEAP + i * 4096L, SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING)))
                        .as("seed %d", seed).isZero();
            }
        }
        byte[] model = new byte[HEAP_PAGES * 4096];
        SplittableRandom rnd = new SplittableRandom(seed);
        int ops = Integer.getInteger("jocclum.test.ops", 25_000);
        byte[] buf = new byte[3 * 4096];
        for (int op = 0; op < ops; op++) {
            int len = 1 + rnd.nextInt(buf.length);
            int off = rnd.nextInt(model.length - len);
            switch (rnd.nextInt(5)) {
                case 0, 1 -> {
                    for (int i = 0; i < len; i++) {
                        buf[i] = (byte) rnd.nextInt();
                    }
                    ctx.write(HEAP + off, buf, 0, len);
                    System.arraycopy(buf, 0, model, off, len);
                }
                case 2 -> {
                    byte v = (byte) rnd.nextInt();
                    ctx.fill(HEAP + off, len, v);
                    Arrays.fill(model, off, off + len, v);
                }
                case 3 -> {
                    long v = rnd.nextLong();
                    int at = rnd.nextInt(model.length - 8);
                    ctx.writeLong(HEAP + at, v);
                    for (int i = 0; i < 8; i++) {
                        model[at + i] = (byte) (v >>> (8 * i));
                    }
                }
                default -> {
                    ctx.read(HEAP + off, buf, 0, len);
                    if (!Arrays.equals(buf, 0, len, model, off, off + len)) {
                        assertThat(Arrays.copyOf(buf, len)).as("seed %d, op %d: read of %d bytes at heap+%d", seed, op, len, off)
                                .isEqualTo(Arrays.copyOfRange(model, off, off + len));
                    }
                }
            }
        }
        byte[] all = new byte[model.length];
        ctx.read(HEAP, all, 0, all.length);
        assertThat(Arrays.mismatch(all, model)).as("seed %d: first differing byte of the whole heap", seed).isEqualTo(-1);
        assertThat(fd.stats().count(CostEvent.EWB)).as("seed %d: the EPC was oversubscribed", seed).isGreaterThan(HEAP_PAGES);
        assertThat(fd.stats().count(CostEvent.ELDU)).as("seed %d", seed).isGreaterThan(HEAP_PAGES);
        fd.close();
        p.ksgxd().awaitIdle(); // a batch in flight holds the enclave until it ends
        assertThat(p.epcManager().allocator().freePages()).as("seed %d: release frees every page", seed).isEqualTo(EPC_PAGES);
        assertThat(p.rootMemcg().usage()).as("seed %d: release drops the backing store", seed).isZero();
    }
}
