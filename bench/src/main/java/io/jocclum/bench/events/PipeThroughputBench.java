package io.jocclum.bench.events;

import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.pipe.PipeCalls;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Pipe throughput through the LibOS: a writer and a reader virtual thread of one "process" move
 * {@link #TOTAL} bytes through a default (64 KiB) pipe in 64 KiB writes and reads, from and into
 * direct ByteBuffers (as views of guest memory would be). One operation is one whole transfer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
public class PipeThroughputBench {
    /** Bytes per operation. */
    public static final int TOTAL = 64 << 20;

    @Param({"65536"})
    public int block;

    private Caller writer;
    private Caller reader;
    private PipeCalls pipes;
    private ByteBuffer wbuf;
    private ByteBuffer rbuf;

    @Setup(Level.Trial)
    public void setup() {
        FdTable t = new FdTable();
        writer = Caller.of(t);
        reader = writer.newThread(ThreadSignals.NONE);
        pipes = new PipeCalls();
        wbuf = ByteBuffer.allocateDirect(block);
        rbuf = ByteBuffer.allocateDirect(block);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        writer.files().closeAll();
    }

    @Benchmark
    public long ours() throws InterruptedException {
        int[] p = pipes.pipe(writer);
        long[] got = new long[1];
        Thread w = Thread.ofVirtual().start(() -> {
            for (long sent = 0; sent < TOTAL; ) {
                wbuf.clear();
                while (wbuf.hasRemaining()) {
                    sent += FileCalls.write(writer, p[1], wbuf);
                }
            }
            FileCalls.close(writer, p[1]);
        });
        Thread r = Thread.ofVirtual().start(() -> {
            long n = 0;
            for (;;) {
                rbuf.clear();
                int k = FileCalls.read(reader, p[0], rbuf);
                if (k == 0) {
                    break;
                }
                n += k;
            }
            got[0] = n;
        });
        w.join();
        r.join();
        FileCalls.close(reader, p[0]);
        if (got[0] != TOTAL) {
            throw new IllegalStateException("moved " + got[0] + " of " + TOTAL);
        }
        return got[0];
    }
}
