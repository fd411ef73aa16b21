package io.jocclum.cli;

import io.jocclum.libos.layout.InstancePaths;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * Who runs the enclave of an instance: {@code jocclum run} (any number of them, a shared lock) or
 * the server of {@code jocclum start} (alone, an exclusive lock, with its process id in the file),
 * through a lock on {@code .jocclum/use.lock} held as long as the enclave lives. The operating
 * system drops the lock when its process ends, however it ends. An instance where the lock file
 * cannot be made (read-only) is not locked. Within one JVM a second lock of the file is taken as
 * held by this JVM's own {@code run}.
 */
final class InstanceUse implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private InstanceUse(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static Path lockFile(InstancePaths paths) {
        return paths.stateDir().resolve("use.lock");
    }

    /** {@code run}: refused while the instance's enclave is started. */
    static InstanceUse forRun(InstancePaths paths) {
        InstanceUse u = take(paths, true);
        if (u == null) {
            throw new UserError("the enclave of " + paths.root() + " is started (jocclum start); run programs in it with"
                    + " jocclum exec PATH, or end it with jocclum stop first.");
        }
        return u;
    }

    /** The exec server: refused while {@code run} or another server uses the instance; records this process's id. */
    static InstanceUse forServer(InstancePaths paths) {
        InstanceUse u = take(paths, false);
        if (u == null) {
            throw new UserError(paths.root() + " is in use (by jocclum run, or it is started already); wait for the run to"
                    + " end or use jocclum exec.");
        }
        if (u.channel != null) {
            try {
                u.channel.truncate(0);
                u.channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
                u.channel.force(false);
            } catch (IOException e) {
                u.close();
                throw Instance.io("cannot write " + lockFile(paths), e);
            }
        }
        return u;
    }

    /** True when a {@code run} or a server uses the instance now. */
    static boolean inUse(InstancePaths paths) {
        InstanceUse u = take(paths, false);
        if (u == null) {
            return true;
        }
        u.close();
        return false;
    }

    /** Who uses an instance's enclave now. */
    enum Holder {
        NONE, RUN, SERVER
    }

    /** Who uses the instance now: nobody, one or more {@code run}s (a shared lock), or the server (exclusive). */
    static Holder holder(InstancePaths paths) {
        if (!Files.exists(lockFile(paths))) {
            return Holder.NONE; // never used: nothing to lock, and nothing to create (a first build makes no .jocclum/)
        }
        InstanceUse alone = take(paths, false);
        if (alone != null) {
            alone.close();
            return Holder.NONE;
        }
        InstanceUse shared = take(paths, true);
        if (shared != null) {
            shared.close();
            return Holder.RUN;
        }
        return Holder.SERVER;
    }

    /** The process id of the instance's server while one holds the lock. */
    static OptionalLong serverPid(InstancePaths paths) {
        Path f = lockFile(paths);
        if (!inUse(paths)) {
            return OptionalLong.empty();
        }
        try {
            String s = Files.readString(f, StandardCharsets.US_ASCII).strip();
            return s.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(s));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The lock, a no-op one when the file cannot be made, or null when another holder excludes it. */
    private static InstanceUse take(InstancePaths paths, boolean shared) {
        Path f = lockFile(paths);
        FileChannel ch;
        try {
            Files.createDirectories(f.getParent());
            ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            return new InstanceUse(null, null);
        }
        try {
            FileLock l = ch.tryLock(0, Long.MAX_VALUE, shared);
            if (l == null) {
                ch.close();
                return null;
            }
            return new InstanceUse(ch, l);
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            // held by this JVM: a run in progress here (the server always runs in a process of its own)
            return shared ? new InstanceUse(null, null) : null;
        } catch (IOException e) {
            closeQuietly(ch);
            throw Instance.io("cannot lock " + f, e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was locked
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it too
            }
            closeQuietly(channel);
        }
    }
}
