package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Shm;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /proc} through the guest API, judged against Linux's proc(5) and
 * {@code fs/proc/task_mmu.c}: Occlum's entries (cpuinfo, meminfo, stat, self, and per process
 * cmdline, comm, cwd, exe, root, stat, maps, fd/), /proc/self/maps made from the VM in Linux's
 * format, and the errnos of changing it.
 */
class ProcFsGuestTest extends OsTestBase {
    /** A maps line (show_vma_header_prefix, then the name from column 73). */
    static final Pattern LINE = Pattern.compile("([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][sp]) ([0-9a-f]{8,}) ([0-9a-f]{2}):([0-9a-f]{2}) (\\d+) (.*)");

    static String readFile(Syscalls sys, String path) {
        int fd = sys.open(path, OpenFlags.O_RDONLY, 0);
        try {
            return Libc.readAll(sys, fd);
        } finally {
            sys.close(fd);
        }
    }

    static List<String> list(Syscalls sys, String dir) {
        int fd = sys.open(dir, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, 0);
        long buf = Libc.alloc(sys, 16384);
        List<String> names = new ArrayList<>();
        try {
            for (;;) {
                long n = sys.getdents64(fd, buf, 16384);
                if (n == 0) {
                    return names;
                }
                for (long off = 0; off < n; ) {
                    int reclen = sys.loadByte(buf + off + 16) & 0xff | (sys.loadByte(buf + off + 17) & 0xff) << 8;
                    StringBuilder b = new StringBuilder();
                    for (long p = buf + off + 19; sys.loadByte(p) != 0; p++) {
                        b.append((char) sys.loadByte(p));
                    }
                    names.add(b.toString());
                    off += reclen;
                }
            }
        } finally {
            Libc.free(sys, buf, 16384);
            sys.close(fd);
        }
    }

    /** The maps line of the mapping that contains {@code addr}. */
    static Matcher lineAt(String maps, long addr) {
        for (String l : maps.split("\n")) {
            Matcher m = LINE.matcher(l);
            assertThat(m.matches()).as("maps line in Linux's format: '%s'", l).isTrue();
            if (Long.parseUnsignedLong(m.group(1), 16) <= addr && addr < Long.parseUnsignedLong(m.group(2), 16)) {
                return m;
            }
        }
        throw new AssertionError("no maps line for 0x" + Long.toHexString(addr) + " in\n" + maps);
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void occlumsEntriesAndTheirContents(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int pid = sys.getpid();
            assertThat(list(sys, "/proc")).contains(".", "..", "cpuinfo", "meminfo", "self", "stat", Integer.toString(pid));
            assertThat(list(sys, "/proc/self")).contains("cmdline", "comm", "cwd", "exe", "fd", "maps", "root", "stat");
            assertThat(sys.lstat("/proc/self").type()).isEqualTo(FileMode.S_IFLNK);
            assertThat(sys.stat("/proc/self").ino()).as("self is the caller's directory").isEqualTo(sys.stat("/proc/" + pid).ino());
            assertThat(readFile(sys, "/proc/self/cmdline")).isEqualTo("/bin/main\0one\0two\0");
            assertThat(readFile(sys, "/proc/self/comm")).isEqualTo("main\n");
            String stat = readFile(sys, "/proc/self/stat");
            assertThat(stat).startsWith(pid + " (main) R " + sys.getppid() + " ");
            assertThat(stat.trim().split(" ")).as("52 fields").hasSize(52);
            assertThat(sys.stat("/proc/self/root").ino()).isEqualTo(sys.stat("/").ino());
            sys.chdir("/tmp");
            assertThat(sys.stat("/proc/self/cwd").ino()).isEqualTo(sys.stat("/tmp").ino());
            int fd = sys.open("/tmp/opened", OpenFlags.O_RDWR | OpenFlags.O_CREAT, 0600);
            assertThat(list(sys, "/proc/self/fd")).contains(Integer.toString(fd));
            assertThat(sys.stat("/proc/self/fd/" + fd).ino()).as("the fd link leads to the file").isEqualTo(sys.fstat(fd).ino());
            assertErrno(() -> sys.stat("/proc/self/fd/999"), Errno.ENOENT);
            assertThat(readFile(sys, "/proc/meminfo")).startsWith("MemTotal:").contains("MemFree:", "MemAvailable:");
            assertThat(readFile(sys, "/proc/stat")).contains("btime ", "procs_running ");
            assertThat(readFile(sys, "/proc/cpuinfo")).contains("processor");
            assertThat(sys.stat("/proc/self/maps").size()).as("proc files report size 0").isZero();
            // nothing can be changed (fs/namei.c: no create → EACCES, no mkdir/unlink → EPERM)
            assertErrno(() -> sys.open("/proc/new", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0600), Errno.EACCES);
            assertErrno(() -> sys.mkdir("/proc/dir", 0755), Errno.EPERM);
            assertErrno(() -> sys.unlink("/proc/meminfo"), Errno.EPERM);
            assertErrno(() -> sys.open("/proc/self/comm", OpenFlags.O_WRONLY, 0), Errno.EACCES);
            assertErrno(() -> sys.stat("/proc/99999"), Errno.ENOENT);
            sys.close(fd);
            sys.unlink("/tmp/opened");
            return 0;
        }, "one", "two").assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void selfMapsIsMadeFromTheVmInLinuxsFormat(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int fd = sys.open("/tmp/mapped", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.ftruncate(fd, 3 * 4096);
            long shared = sys.mmap(0, 2 * 4096, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED, fd, 4096);
            long priv = sys.mmap(0, 4096, Mman.PROT_READ | Mman.PROT_EXEC, Mman.MAP_PRIVATE, fd, 0);
            long anon = sys.mmap(0, 3 * 4096, Mman.PROT_READ, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
            long none = sys.mmap(0, 4096, Mman.PROT_NONE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
            int id = sys.shmget(0x1234, 4096, Shm.IPC_CREAT | 0600);
            long seg = sys.shmat(id, 0, Shm.SHM_RDONLY);
            long brk0 = sys.brk(0);
            sys.brk(brk0 + 8192);
            Stat st = sys.fstat(fd);
            String maps = readFile(sys, "/proc/self/maps");

            Matcher s = lineAt(maps, shared);
            assertThat(Long.parseUnsignedLong(s.group(2), 16) - Long.parseUnsignedLong(s.group(1), 16)).isEqualTo(2 * 4096);
            assertThat(s.group(3)).isEqualTo("rw-s");
            assertThat(Long.parseLong(s.group(4), 16)).as("file offset").isEqualTo(4096);
            assertThat(Long.parseLong(s.group(7))).isEqualTo(st.ino());
            assertThat(Integer.parseInt(s.group(6), 16)).as("minor of st_dev").isEqualTo((int) (st.dev() & 0xff));
            assertThat(s.group(0).indexOf("/tmp/mapped")).as("the name starts at column 73").isEqualTo(73);
            assertThat(s.group(0)).endsWith(" /tmp/mapped");
            Matcher p = lineAt(maps, priv);
            assertThat(p.group(3)).isEqualTo("r-xp");
            assertThat(p.group(8).trim()).isEqualTo("/tmp/mapped");
            Matcher a = lineAt(maps, anon);
            assertThat(a.group(0)).as("anonymous: offset 0, 00:00 0, no name, a trailing space")
                    .isEqualTo(a.group(1) + "-" + a.group(2) + " r--p 00000000 00:00 0 ");
            assertThat(lineAt(maps, none).group(3)).isEqualTo("---p");
            Matcher v = lineAt(maps, seg);
            assertThat(v.group(3)).isEqualTo("r--s");
            assertThat(v.group(8).trim()).isEqualTo("/SYSV00001234 (deleted)");
            assertThat(lineAt(maps, brk0).group(8).trim()).isEqualTo("[heap]");
            assertThat(maps).contains("[stack]");
            // in address order, no overlap
            long prevEnd = 0;
            for (String l : maps.split("\n")) {
                Matcher x = LINE.matcher(l);
                assertThat(x.matches()).isTrue();
                assertThat(Long.parseUnsignedLong(x.group(1), 16)).isGreaterThanOrEqualTo(prevEnd);
                prevEnd = Long.parseUnsignedLong(x.group(2), 16);
            }
            sys.shmdt(seg);
            sys.shmctl(id, Shm.IPC_RMID, 0);
            sys.munmap(anon, 3 * 4096);
            assertThat(readFile(sys, "/proc/self/maps")).as("the VM as it is now").doesNotContain(Long.toHexString(anon) + "-");
            sys.munmap(shared, 2 * 4096);
            sys.close(fd);
            sys.unlink("/tmp/mapped");
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void aParentSeesItsChildsEntriesAndTheyGoWithIt(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            Libc.readAll(sys, 0); // until the parent closes the pipe
            return 0;
        });
        os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int pid = sys.posixSpawn("/bin/child", List.of(io.jocclum.api.SpawnAction.dup2(p[0], 0)), new String[] {"child", "x"}, null);
            assertThat(list(sys, "/proc")).contains(Integer.toString(pid));
            assertThat(readFile(sys, "/proc/" + pid + "/cmdline")).isEqualTo("child\0x\0");
            assertThat(readFile(sys, "/proc/" + pid + "/stat")).startsWith(pid + " (child) R " + sys.getpid() + " ");
            assertThat(list(sys, "/proc/" + pid + "/fd")).contains("0");
            sys.close(p[1]);
            sys.wait4(pid, 0);
            assertThat(list(sys, "/proc")).doesNotContain(Integer.toString(pid));
            assertErrno(() -> sys.stat("/proc/" + pid + "/cmdline"), Errno.ENOENT);
            sys.close(p[0]);
            return 0;
        }).assertOk();
    }
}
