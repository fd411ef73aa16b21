package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;
import io.jocclum.sgx.cpu.EnclaveContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A host stream seen by the LibOS as an open file: the standard input, output and error of the
 * {@code jocclum run} process, wired to the init process's descriptors 0, 1 and 2 and inherited by
 * every process it spawns (Occlum's host stdio files). Every read and write leaves the enclave: it
 * is an OCALL, charged with the bytes it carries.
 *
 * <p>It reports as a character device; it polls as always ready (it has no notifier, so it
 * cannot be added to an epoll: EPERM). A read blocks the calling thread in the host's read; a
 * signal cannot interrupt it (the kernel would). Writes go out at once (flushed per call).
 * Locking: reads and writes are serialised per stream ({@code this}).
 */
public final class HostStreamFile extends OpenFile {
    private static final int CHUNK = 64 * 1024;

    private final InputStream in;
    private final OutputStream out;
    private final EnclaveContext ctx;
    private final String name;

    private HostStreamFile(int flags, InputStream in, OutputStream out, EnclaveContext ctx, String name) {
        super(flags);
        this.in = in;
        this.out = out;
        this.ctx = ctx;
        this.name = name;
    }

    /** A read-only file over {@code in}. */
    public static HostStreamFile input(InputStream in, EnclaveContext ctx, String name) {
        return new HostStreamFile(OpenFlags.O_RDONLY, in, null, ctx, name);
    }

    /** A write-only file over {@code out}. */
    public static HostStreamFile output(OutputStream out, EnclaveContext ctx, String name) {
        return new HostStreamFile(OpenFlags.O_WRONLY, null, out, ctx, name);
    }

    /** A descriptor table holding stdin, stdout and stderr at 0, 1 and 2. */
    public static FdTable stdio(InputStream stdin, OutputStream stdout, OutputStream stderr, EnclaveContext ctx) {
        FdTable t = new FdTable();
        t.install(input(stdin, ctx, "stdin"), false);
        t.install(output(stdout, ctx, "stdout"), false);
        t.install(output(stderr, ctx, "stderr"), false);
        return t;
    }

    @Override
    protected int doRead(Caller caller, ByteBuffer dst) {
        int want = Math.min(dst.remaining(), CHUNK);
        if (want == 0) {
            return 0;
        }
        byte[] tmp = new byte[want];
        int n;
        synchronized (this) {
            try {
                n = in.read(tmp, 0, want);
            } catch (IOException e) {
                throw Errno.EIO.exception(name + ": " + e.getMessage());
            }
        }
        n = Math.max(n, 0);
        dst.put(tmp, 0, n);
        ctx.ocall(n);
        return n;
    }

    @Override
    protected int doWrite(Caller caller, ByteBuffer src) {
        int n = src.remaining();
        byte[] tmp = new byte[n];
        src.get(tmp);
        synchronized (this) {
            try {
                out.write(tmp);
                out.flush();
            } catch (IOException e) {
                throw Errno.EIO.exception(name + ": " + e.getMessage());
            }
        }
        ctx.ocall(n);
        return n;
    }

    @Override
    public Stat fstat() {
        int mode = FileMode.S_IFCHR | 0620;
        return new Stat(0, 0, mode, 1, 0, 0, 0, 0, 1024, 0, 0, 0, 0);
    }

    @Override
    public String toString() {
        return "host " + name;
    }
}
