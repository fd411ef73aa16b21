package io.jocclum.bench.measure;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.measure.MeasurementBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;

/**
 * Measuring one 4 KiB page (EADD record + sixteen EEXTEND records) against hashing the same
 * 4 KiB with plain SHA-256: the cost of the SDM record framing on top of the hash itself.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MeasureBench {
    private final byte[] page = new byte[Pages.SIZE];
    private MeasurementBuilder builder;
    private MessageDigest sha;
    private long offset;

    @Setup
    public void setup() throws Exception {
        new java.util.Random(1).nextBytes(page);
        builder = new MeasurementBuilder().ecreate(1, 1L << 40);
        sha = MessageDigest.getInstance("SHA-256");
    }

    @Benchmark
    public MeasurementBuilder ours() {
        long off = (offset += Pages.SIZE) & ((1L << 40) - 1);
        builder.eadd(off, SecInfo.reg(SecInfo.R | SecInfo.W));
        return builder.eextendPage(off, page);
    }

    @Benchmark
    public MessageDigest anchor() {
        sha.update(page);
        return sha;
    }
}
