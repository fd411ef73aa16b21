package io.jocclum.bench.sgx;

import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.Ksgxd;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * EWB+ELDU round trips on one core. Ours: an enclave touching 2048 pages cyclically in a 256-page
 * EPC, so every access faults, reloads the page (ELDU, allocation, LRU) and, amortised, evicts one
 * (aging, backing allocation, EBLOCK/ETRACK/EWB) through ksgxd run inline (MANUAL mode). One op = one
 * page in and one page out. Anchor: the bare JDK AES-GCM encryption and decryption of the same
 * pages (the 2048 pages' contents, in the same cyclic order), the crypto floor of a round trip.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EpcPagingBench {
    private static final int EPC_PAGES = 256;
    private static final int HEAP_PAGES = 2048;

    private SgxPlatform platform;
    private EnclaveFd fd;
    private EnclaveContext ctx;
    private int next;

    private Cipher cipher;
    private SecretKeySpec key;
    private final byte[][] pages = new byte[HEAP_PAGES][];
    private int anchorNext;
    private final byte[] sealed = new byte[Pages.SIZE + 16];
    private final byte[] opened = new byte[Pages.SIZE];
    private final byte[] aad = new byte[24];
    private final byte[] iv = new byte[12];
    private long version;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        platform = SgxPlatform.start(PlatformConfig.builder().epcSize(Pages.bytes(EPC_PAGES)).ksgxd(Ksgxd.Mode.MANUAL).build());
        fd = SgxBenchSupport.enclave(platform, HEAP_PAGES);
        ctx = fd.context();
        Random r = new Random(1);
        for (int i = 0; i < HEAP_PAGES; i++) {
            pages[i] = new byte[Pages.SIZE];
            r.nextBytes(pages[i]);
            ctx.write(SgxBenchSupport.HEAP + Pages.bytes(i), pages[i], 0, Pages.SIZE);
        }
        key = new SecretKeySpec(new byte[16], "AES");
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fd.close();
        platform.close();
    }

    /** One page faulted in (ELDU) and, amortised, one page written back (EWB). */
    @Benchmark
    public byte ours() {
        int i = next;
        next = (i + 1) % HEAP_PAGES;
        return ctx.readByte(SgxBenchSupport.HEAP + Pages.bytes(i) + 17);
    }

    /** AES-GCM seal and open of the next 4 KiB page with a fresh nonce. */
    @Benchmark
    public byte[] anchor() throws Exception {
        byte[] page = pages[anchorNext];
        anchorNext = (anchorNext + 1) % HEAP_PAGES;
        version++;
        LittleEndian.putLong(iv, 0, version);
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
        cipher.updateAAD(aad);
        cipher.doFinal(page, 0, Pages.SIZE, sealed, 0);
        cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
        cipher.updateAAD(aad);
        cipher.doFinal(sealed, 0, sealed.length, opened, 0);
        return opened;
    }
}
