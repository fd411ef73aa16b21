package io.jocclum.libos.programs;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.DirectoryFile;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.RegularFile;
import io.jocclum.libos.fs.Vfs;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Program lookup, execve's half of posix_spawn: the path is opened in the LibOS file system as
 * the caller would open it; a regular file is read whole and must be a jar
 * ({@link JarProgram}); when nothing is there and the path is {@code /bin/NAME} of a built-in
 * ({@link ProgramRegistry}), the built-in runs. So a jar placed at {@code image/bin/hello}
 * shadows the built-in {@code hello}. A directory or another kind of file is EACCES (execve's
 * answer); jar files need no execute permission bit (a deviation: a jar is not an executable
 * for Linux either, and requiring {@code chmod +x} would only trip users).
 */
public final class Programs implements ProgramLoader {
    /** Largest program file read (bytes): a bigger one is ENOMEM. */
    static final long MAX_PROGRAM_BYTES = 512L << 20;

    private final Vfs vfs;
    private final ProgramRegistry registry;
    private final LongConsumer hostRead;
    private final java.util.function.LongPredicate hostDevice;

    /**
     * @param hostRead   charged with the bytes read from host-backed files (an OCALL each)
     * @param hostDevice whether a device number is a host-backed file system
     */
    public Programs(Vfs vfs, ProgramRegistry registry, java.util.function.LongPredicate hostDevice, LongConsumer hostRead) {
        this.vfs = vfs;
        this.registry = registry;
        this.hostRead = hostRead;
        this.hostDevice = hostDevice;
    }

    public ProgramRegistry registry() {
        return registry;
    }

    @Override
    public LoadedProgram load(Caller caller, String path) {
        if (path.isEmpty()) {
            throw Errno.ENOENT.exception("empty program path");
        }
        OpenFile f;
        try {
            f = vfs.openFile(caller, OpenFlags.AT_FDCWD, path, OpenFlags.O_RDONLY, 0);
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                String canon = canonical(caller.fs().cwd(), path);
                if (canon.startsWith(ProgramRegistry.BIN)) {
                    var b = registry.get(canon.substring(ProgramRegistry.BIN.length()));
                    if (b.isPresent()) {
                        return new LoadedProgram(canon, LoadedProgram.Kind.BUILTIN, b.get().factory(), b.get().image());
                    }
                }
            }
            throw e;
        }
        try {
            if (f instanceof DirectoryFile) {
                throw Errno.EACCES.exception(path + " is a directory");
            }
            if (!(f instanceof RegularFile rf)) {
                throw Errno.EACCES.exception(path + " is not a regular file");
            }
            return JarProgram.load(canonical(caller.fs().cwd(), path), readAll(rf));
        } finally {
            f.retain();
            f.unref();
        }
    }

    private byte[] readAll(RegularFile rf) {
        long size = rf.size();
        if (size > MAX_PROGRAM_BYTES) {
            throw Errno.ENOMEM.exception(rf.path() + " is larger than " + MAX_PROGRAM_BYTES + " bytes");
        }
        byte[] b = new byte[(int) size];
        ByteBuffer buf = ByteBuffer.wrap(b);
        long pos = 0;
        while (buf.hasRemaining()) {
            int n = rf.readAt(buf, pos);
            if (n <= 0) {
                break;
            }
            pos += n;
        }
        if (hostDevice.test(rf.id().dev())) {
            hostRead.accept(pos);
        }
        return pos == b.length ? b : java.util.Arrays.copyOf(b, (int) pos);
    }

    /** {@code path} made absolute against {@code cwd}, with "." and ".." removed lexically. */
    static String canonical(String cwd, String path) {
        String full = path.startsWith("/") ? path : cwd + "/" + path;
        List<String> parts = new ArrayList<>();
        for (String c : full.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.removeLast();
                }
            } else {
                parts.add(c);
            }
        }
        return "/" + String.join("/", parts);
    }
}
