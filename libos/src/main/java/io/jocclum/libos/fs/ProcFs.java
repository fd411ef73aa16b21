package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Mman;
import io.jocclum.api.Stat;
import io.jocclum.libos.vm.Mapping;
import io.jocclum.sgx.arch.Pages;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The LibOS {@code /proc} (Occlum {@code src/libos/src/fs/procfs/}, Linux
 * {@code fs/proc/}): {@code cpuinfo}, {@code meminfo}, {@code stat}, {@code self} (a link to
 * the caller's pid) and one directory per process with {@code cmdline}, {@code comm},
 * {@code cwd}, {@code exe}, {@code root}, {@code stat}, {@code maps} and {@code fd/}, exactly
 * Occlum's entries. A file's content is made when it is opened (a snapshot, as Linux's
 * seq_file makes it at the first read); sizes are 0, as in Linux. Nothing can be changed, with
 * Linux's errnos for directories without the operation ({@code fs/namei.c}): creating a file is
 * EACCES, mkdir, unlink and rmdir are EPERM; opening a file for writing is EACCES.
 */
final class ProcFs extends GuestFileSystem {
    private static final int PID_SHIFT = 16;
    private final Supplier<ProcSource> source;
    private final ProcDir root;
    private final long time = nowNanos();

    ProcFs(long dev, Supplier<ProcSource> source, InstantSource clock) {
        super(dev, false, clock);
        this.source = source;
        this.root = new ProcDir(1, this::rootEntries, this::rootLookup);
    }

    @Override
    Inode.Dir root() {
        return root;
    }

    @Override
    String type() {
        return "proc";
    }

    private ProcSource src() {
        return source.get();
    }

    // ==== the tree ===================================================================================

    private List<Inode.Dir.Entry> rootEntries() {
        List<Inode.Dir.Entry> l = new ArrayList<>();
        for (String n : List.of("cpuinfo", "meminfo", "self", "stat")) {
            l.add(new Inode.Dir.Entry(n, rootLookup(n)));
        }
        for (int pid : src().pids()) {
            l.add(new Inode.Dir.Entry(Integer.toString(pid), pidDir(pid)));
        }
        return l;
    }

    private Inode rootLookup(String name) {
        return switch (name) {
            case "cpuinfo" -> new ProcFile(2, () -> src().cpuinfo());
            case "meminfo" -> new ProcFile(3, () -> src().meminfo());
            case "stat" -> new ProcFile(4, () -> src().stat());
            case "self" -> new ProcLink(5, c -> {
                int pid = src().pidOf(c);
                if (pid == 0) {
                    throw Errno.ENOENT.exception("/proc/self of a caller that is no process");
                }
                return Integer.toString(pid);
            });
            default -> {
                int pid = parsePid(name);
                yield pid > 0 && src().process(pid) != null ? pidDir(pid) : null;
            }
        };
    }

    private static int parsePid(String name) {
        if (name.isEmpty() || name.length() > 9 || (name.length() > 1 && name.charAt(0) == '0')) {
            return -1;
        }
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(name);
    }

    private static final List<String> PID_ENTRIES = List.of("cmdline", "comm", "cwd", "exe", "fd", "maps", "root", "stat");

    private ProcDir pidDir(int pid) {
        long base = (long) pid << PID_SHIFT;
        return new ProcDir(base, () -> {
            List<Inode.Dir.Entry> l = new ArrayList<>();
            for (String n : PID_ENTRIES) {
                Inode i = pidLookup(pid, n);
                if (i != null) {
                    l.add(new Inode.Dir.Entry(n, i));
                }
            }
            return l;
        }, n -> pidLookup(pid, n));
    }

    /** Process {@code pid} or ESRCH-like ENOENT when it is gone (Linux: ENOENT for a dead task's files). */
    private ProcSource.Process proc(int pid) {
        ProcSource.Process p = src().process(pid);
        if (p == null) {
            throw Errno.ENOENT.exception("process " + pid + " is gone");
        }
        return p;
    }

    private Inode pidLookup(int pid, String name) {
        long base = (long) pid << PID_SHIFT;
        return switch (name) {
            case "cmdline" -> new ProcFile(base + 1, () -> cmdline(proc(pid)));
            case "comm" -> new ProcFile(base + 2, () -> comm(proc(pid)) + "\n");
            case "cwd" -> new ProcLink(base + 3, c -> proc(pid).cwd());
            case "exe" -> new ProcLink(base + 4, c -> proc(pid).path());
            case "root" -> new ProcLink(base + 5, c -> "/");
            case "stat" -> new ProcFile(base + 6, () -> stat(proc(pid)));
            case "maps" -> new ProcFile(base + 7, () -> maps(proc(pid)));
            case "fd" -> fdDir(pid);
            default -> null;
        };
    }

    private ProcDir fdDir(int pid) {
        long base = ((long) pid << PID_SHIFT) + 8;
        Function<String, Inode> lookup = n -> {
            int fd = n.equals("0") ? 0 : parsePid(n);
            if (fd < 0) {
                return null;
            }
            OpenFile f = proc(pid).files().getOrNull(fd);
            return f == null ? null : new ProcLink(base + 0x100 + fd, c -> linkName(f));
        };
        return new ProcDir(base, () -> {
            List<Inode.Dir.Entry> l = new ArrayList<>();
            proc(pid).files().forEach((fd, e) -> l.add(new Inode.Dir.Entry(Integer.toString(fd),
                    new ProcLink(base + 0x100 + fd, c -> linkName(e.file())))));
            return l;
        }, lookup);
    }

    /** What an fd link reads (Linux d_path, or the anon inode and pipe/socket names). */
    static String linkName(OpenFile f) {
        if (f instanceof RegularFile r) {
            return r.path();
        }
        if (f instanceof DirectoryFile d) {
            return d.path();
        }
        String n = f.getClass().getSimpleName();
        String id = Integer.toUnsignedString(System.identityHashCode(f));
        if (n.contains("Pipe")) {
            return "pipe:[" + id + "]";
        }
        if (n.contains("Socket")) {
            return "socket:[" + id + "]";
        }
        if (n.contains("EventFd")) {
            return "anon_inode:[eventfd]";
        }
        if (n.contains("Epoll")) {
            return "anon_inode:[eventpoll]";
        }
        return "anon_inode:[" + n + "]";
    }

    // ==== contents ===================================================================================

    static String cmdline(ProcSource.Process p) {
        StringBuilder b = new StringBuilder();
        for (String a : p.argv()) {
            b.append(a).append('\0');
        }
        return b.toString();
    }

    /** TASK_COMM_LEN 16: the program's base name, at most 15 bytes. */
    static String comm(ProcSource.Process p) {
        String path = p.path();
        String base = path.substring(path.lastIndexOf('/') + 1);
        return base.length() > 15 ? base.substring(0, 15) : base;
    }

    /** {@code /proc/PID/stat} (fs/proc/array.c do_task_stat): 52 fields, unknown ones 0. */
    static String stat(ProcSource.Process p) {
        StringBuilder b = new StringBuilder();
        b.append(p.pid()).append(" (").append(comm(p)).append(") ").append(p.state()).append(' ').append(p.ppid())
                .append(' ').append(p.pid()).append(' ').append(p.pid()); // pgrp, session: each process leads its own
        long[] rest = new long[52 - 6];
        // fields 7.. (1-based): tty_nr 7, tpgid 8 = -1, ..., priority 18 = 20, nice 19, num_threads 20, itrealvalue 21,
        // starttime 22, vsize 23, rss 24, rsslim 25
        rest[8 - 7] = -1;
        rest[18 - 7] = 20;
        rest[20 - 7] = p.threads();
        rest[22 - 7] = p.startTicks();
        rest[23 - 7] = p.vsize();
        rest[24 - 7] = p.rssPages();
        rest[25 - 7] = -1; // RLIM_INFINITY printed as an unsigned long
        for (int i = 0; i < rest.length; i++) {
            b.append(' ').append(i == 25 - 7 ? "18446744073709551615" : Long.toString(rest[i]));
        }
        return b.append('\n').toString();
    }

    /**
     * {@code /proc/PID/maps} (fs/proc/task_mmu.c show_map_vma): "start-end perms offset
     * major:minor inode", padded to column 73 before a name: the file's path, [heap], [stack],
     * the program for its image, a System V segment's /SYSVkey (deleted).
     */
    static String maps(ProcSource.Process p) {
        StringBuilder b = new StringBuilder();
        for (Mapping m : p.maps()) {
            int start = b.length();
            long dev = 0;
            long ino = 0;
            long off = 0;
            if (m.fileIdentity() instanceof InodeId id) {
                dev = id.dev();
                ino = id.ino();
                off = m.fileOffset();
            }
            b.append(String.format("%08x-%08x %c%c%c%c %08x %02x:%02x %d ", m.start(), m.end(),
                    (m.prot() & Mman.PROT_READ) != 0 ? 'r' : '-', (m.prot() & Mman.PROT_WRITE) != 0 ? 'w' : '-',
                    (m.prot() & Mman.PROT_EXEC) != 0 ? 'x' : '-', (m.flags() & Mman.MAP_SHARED) != 0 ? 's' : 'p',
                    off, (dev >>> 8) & 0xfff, (dev & 0xff) | ((dev >>> 12) & 0xfff00), ino));
            String name = switch (m.kind()) {
                case "heap" -> "[heap]";
                case "stack" -> "[stack]";
                case "image" -> p.path();
                default -> m.name();
            };
            if (name != null) {
                while (b.length() - start < 73) {
                    b.append(' ');
                }
                b.append(name);
            }
            b.append('\n');
        }
        return b.toString();
    }

    // ==== inodes =====================================================================================

    private Stat statOf(long ino, int mode, long nlink) {
        return new Stat(dev, ino, mode, nlink, 0, 0, 0, 0, Pages.SIZE, 0, time, time, time);
    }

    private final class ProcDir extends Inode.Dir {
        private final long ino;
        private final Supplier<List<Entry>> entries;
        private final Function<String, Inode> lookup;

        ProcDir(long ino, Supplier<List<Entry>> entries, Function<String, Inode> lookup) {
            super(ProcFs.this);
            this.ino = ino;
            this.entries = entries;
            this.lookup = lookup;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return FileMode.S_IFDIR | 0555;
        }

        @Override
        Stat stat() {
            return statOf(ino, mode(), 2);
        }

        @Override
        Inode lookup(String name) {
            return lookup.apply(name);
        }

        @Override
        Regular createFile(String name, int mode, Credentials c) {
            throw Errno.EACCES.exception("/proc directories cannot create files");
        }

        @Override
        void mkdir(String name, int mode, Credentials c) {
            throw Errno.EPERM.exception("/proc directories cannot make directories");
        }

        @Override
        void unlink(String name) {
            if (lookup(name) == null) {
                throw Errno.ENOENT.exception(name);
            }
            throw Errno.EPERM.exception("/proc entries cannot be removed");
        }

        @Override
        void rmdir(String name) {
            if (lookup(name) == null) {
                throw Errno.ENOENT.exception(name);
            }
            throw Errno.EPERM.exception("/proc entries cannot be removed");
        }

        @Override
        List<Entry> list() {
            return entries.get();
        }
    }

    /** A generated read-only file: its text is made at open. */
    private final class ProcFile extends Inode.Regular {
        private final long ino;
        private final Supplier<String> text;

        ProcFile(long ino, Supplier<String> text) {
            super(ProcFs.this);
            this.ino = ino;
            this.text = text;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return FileMode.S_IFREG | 0444;
        }

        @Override
        Stat stat() {
            return statOf(ino, mode(), 1);
        }

        @Override
        FileIo open(boolean read, boolean write) {
            if (write) {
                throw Errno.EACCES.exception("/proc files cannot be written");
            }
            byte[] content = text.get().getBytes(StandardCharsets.UTF_8);
            return new FileIo() {
                @Override
                public int read(ByteBuffer dst, long pos) {
                    if (pos >= content.length) {
                        return 0;
                    }
                    int n = (int) Math.min(dst.remaining(), content.length - pos);
                    dst.put(content, (int) pos, n);
                    return n;
                }

                @Override
                public int write(ByteBuffer src, long pos) {
                    throw Errno.EROFS.exception("/proc is read-only");
                }

                @Override
                public long append(ByteBuffer src) {
                    throw Errno.EROFS.exception("/proc is read-only");
                }

                @Override
                public long size() {
                    return content.length;
                }

                @Override
                public void truncate(long length) {
                    throw Errno.EROFS.exception("/proc is read-only");
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        long size() {
            return 0;
        }
    }

    /** A link whose target depends on the caller or on the process's current state. */
    private final class ProcLink extends Inode.Symlink {
        private final long ino;
        private final Function<Caller, String> target;

        ProcLink(long ino, Function<Caller, String> target) {
            super(ProcFs.this);
            this.ino = ino;
            this.target = target;
        }

        @Override
        long ino() {
            return ino;
        }

        @Override
        int mode() {
            return FileMode.S_IFLNK | 0777;
        }

        @Override
        Stat stat() {
            return statOf(ino, mode(), 1);
        }

        @Override
        String target() {
            return target.apply(null);
        }

        @Override
        String target(Caller c) {
            return target.apply(c);
        }
    }
}
