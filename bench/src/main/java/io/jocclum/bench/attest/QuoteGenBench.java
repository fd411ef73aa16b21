package io.jocclum.bench.attest;

import io.jocclum.api.Libc;
import io.jocclum.api.SgxIoctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Syscalls;
import io.jocclum.bench.os.GuestDriver;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;

/**
 * DCAP quote generation inside an enclave: a guest of a booted LibOS calls GEN_DCAP_QUOTE on
 * {@code /dev/sgx} (EREPORT for the QE3, the QE3's REPORT check with its REPORT key, the ECDSA P-256
 * signature over header and report body, the quote assembled with the certified QE report and the
 * PCK chain, copied into guest memory), {@value #BATCH} quotes per hand-over to the guest
 * ({@code ours}); against the raw JDK ECDSA P-256 signature over the 432 signed bytes that every
 * quote must make ({@code anchor}).
 */
public class QuoteGenBench {
    static final int BATCH = 20;

    /** A booted LibOS whose guest holds /dev/sgx open with the argument block and buffers of GEN_DCAP_QUOTE. */
    @State(Scope.Thread)
    public static class Guest {
        GuestDriver driver;
        long arg;

        @Setup(Level.Trial)
        public void setup() {
            driver = new GuestDriver();
            arg = driver.call(sys -> {
                int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
                long m = Libc.alloc(sys, 4096);
                sys.ioctl(fd, SgxIoctls.GET_DCAP_QUOTE_SIZE, m + 64);
                long quote = Libc.alloc(sys, sys.loadInt(m + 64));
                sys.storeLong(m, m + 128);
                sys.storeLong(m + 8, m + 64);
                sys.storeLong(m + 16, quote);
                sys.storeInt(m + 32, fd);
                return m;
            });
            for (int i = 0; i < 50; i++) {
                driver.call(this::batch);
            }
        }

        long batch(Syscalls sys) {
            int fd = sys.loadInt(arg + 32);
            for (int i = 0; i < BATCH; i++) {
                sys.storeInt(arg + 128, i);
                sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, arg);
            }
            return sys.loadInt(arg + 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            driver.close();
        }
    }

    /** A P-256 key and the 432 bytes a quote signs. */
    @State(Scope.Thread)
    public static class Key {
        Signature signature;
        final byte[] signed = new byte[432];

        @Setup(Level.Trial)
        public void setup() throws Exception {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            signature = Signature.getInstance("SHA256withECDSAinP1363Format");
            signature.initSign(g.generateKeyPair().getPrivate());
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(BATCH)
    public long ours(Guest g) {
        return g.driver.call(g::batch);
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] anchor(Key k) throws Exception {
        k.signature.update(k.signed);
        return k.signature.sign();
    }
}
