package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Signal;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memory system calls through a booted LibOS with Linux's semantics and errnos (mmap(2),
 * munmap(2), mprotect(2), mremap(2), msync(2), madvise(2), brk(2)): edge sizes, address
 * overflow, alignment, MAP_FIXED replacing (and never half done), MAP_FIXED_NOREPLACE, mremap
 * moves, mprotect across chunks, msync rounding, brk, clean-on-free across processes, SIGSEGV
 * killing only the faulting process, file mappings (copy-on-write, write-back, end of file).
 * Complements {@link MemoryTest} (errno smoke test, EFAULT, SIGBUS on EPC exhaustion).
 *
 * <p>"Is this page mapped?" is asked without touching it: {@code madvise(MADV_NORMAL)} is ENOMEM
 * for unmapped pages (madvise(2)).
 */
class VmSyscallTest extends OsTestBase {
    static final long PAGE = Mman.PAGE_SIZE;
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    /** x86_64 TASK_SIZE (47-bit user addresses, arch/x86/include/asm/page_64_types.h). */
    private static final long TASK_SIZE = (1L << 47) - PAGE;

    static boolean mapped(Syscalls sys, long addr, long len) {
        try {
            sys.madvise(addr, len, Mman.MADV_NORMAL);
            return true;
        } catch (ErrnoException e) {
            assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
            return false;
        }
    }

    /** Stores a tag in every page: {@code tag + page index} at offset 0 and its complement at the last long. */
    static void tag(Syscalls sys, long a, long pages, long tag) {
        for (long i = 0; i < pages; i++) {
            sys.storeLong(a + i * PAGE, tag + i);
            sys.storeLong(a + i * PAGE + PAGE - 8, ~(tag + i));
        }
    }

    static void assertTagged(Syscalls sys, long a, long pages, long tag, String what) {
        for (long i = 0; i < pages; i++) {
            assertThat(sys.loadLong(a + i * PAGE)).as("%s: page %d", what, i).isEqualTo(tag + i);
            assertThat(sys.loadLong(a + i * PAGE + PAGE - 8)).as("%s: end of page %d", what, i).isEqualTo(~(tag + i));
        }
    }

    static void assertZero(Syscalls sys, long a, long len, String what) {
        byte[] b = new byte[(int) len];
        sys.loadBytes(a, b, 0, b.length);
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0) {
                throw new AssertionError(what + ": byte " + i + " is " + b[i] + ", not 0");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void edgeSizesOverflowAndAlignment(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            // a length is rounded up to whole pages
            long a = sys.mmap(0, 1, RW, ANON, -1, 0);
            assertThat(a % PAGE).isZero();
            sys.storeLong(a + PAGE - 8, 42);
            assertThat(mapped(sys, a, PAGE)).isTrue();
            sys.munmap(a, 1); // also rounded up: the whole page goes
            assertThat(mapped(sys, a, PAGE)).isFalse();
            long b = sys.mmap(0, PAGE + 1, RW, ANON, -1, 0);
            sys.storeByte(b + 2 * PAGE - 1, (byte) 7);
            sys.mprotect(b, PAGE + 1, Mman.PROT_READ); // rounded up too
            assertThat(sys.loadByte(b + 2 * PAGE - 1)).isEqualTo((byte) 7);
            sys.msync(b, 1, Mman.MS_ASYNC);
            sys.munmap(b, 2 * PAGE);

            // lengths that overflow when rounded, or exceed TASK_SIZE: ENOMEM (do_mmap)
            assertErrno(() -> sys.mmap(0, -1L, RW, ANON, -1, 0), Errno.ENOMEM);
            assertErrno(() -> sys.mmap(0, -PAGE, RW, ANON, -1, 0), Errno.ENOMEM);
            assertErrno(() -> sys.mmap(0, Long.MAX_VALUE, RW, ANON, -1, 0), Errno.ENOMEM);
            // MAP_FIXED: unaligned EINVAL; addr + len past TASK_SIZE or wrapping ENOMEM (get_unmapped_area)
            long c = sys.mmap(0, 4 * PAGE, RW, ANON, -1, 0);
            assertErrno(() -> sys.mmap(c + 1, PAGE, RW, ANON | Mman.MAP_FIXED, -1, 0), Errno.EINVAL);
            assertErrno(() -> sys.mmap(c + 1, PAGE, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0), Errno.EINVAL);
            assertErrno(() -> sys.mmap(-2 * PAGE, 4 * PAGE, RW, ANON | Mman.MAP_FIXED, -1, 0), Errno.ENOMEM);
            assertErrno(() -> sys.mmap(TASK_SIZE, 2 * PAGE, RW, ANON | Mman.MAP_FIXED, -1, 0), Errno.ENOMEM);
            // an unaligned hint is rounded down, not an error
            long h = sys.mmap(c + 3, PAGE, RW, ANON, -1, 0);
            assertThat(h % PAGE).isZero();
            sys.munmap(h, PAGE);
            // munmap: unaligned, zero, wrapping or beyond TASK_SIZE EINVAL; nothing mapped is fine
            assertErrno(() -> sys.munmap(c + 1, PAGE), Errno.EINVAL);
            assertErrno(() -> sys.munmap(c, -c), Errno.EINVAL);
            assertErrno(() -> sys.munmap(TASK_SIZE + PAGE, PAGE), Errno.EINVAL);
            sys.munmap(1L << 40, PAGE);
            // mprotect: length 0 succeeds, unaligned EINVAL, wrap ENOMEM, unknown bits EINVAL
            sys.mprotect(c, 0, RW);
            sys.mprotect(0x123000, 0, RW);
            assertErrno(() -> sys.mprotect(c + 1, PAGE, RW), Errno.EINVAL);
            assertErrno(() -> sys.mprotect(c, -PAGE, RW), Errno.ENOMEM);
            assertErrno(() -> sys.mprotect(c, PAGE, 0x10), Errno.EINVAL);
            // msync: unaligned address EINVAL, length rounded up, wrap ENOMEM, unmapped ENOMEM
            assertErrno(() -> sys.msync(c + 1, PAGE, Mman.MS_SYNC), Errno.EINVAL);
            sys.msync(c, 4 * PAGE - 100, Mman.MS_SYNC);
            sys.msync(c, PAGE, Mman.MS_SYNC | Mman.MS_INVALIDATE);
            assertErrno(() -> sys.msync(c, -PAGE, Mman.MS_SYNC), Errno.ENOMEM);
            assertErrno(() -> sys.msync(c, 4 * PAGE + 1, Mman.MS_SYNC), mapped(sys, c + 4 * PAGE, PAGE) ? null : Errno.ENOMEM);
            // madvise: unaligned EINVAL, a length that wraps when rounded EINVAL, length 0 fine
            assertErrno(() -> sys.madvise(c + 1, PAGE, Mman.MADV_NORMAL), Errno.EINVAL);
            assertErrno(() -> sys.madvise(c, -1L, Mman.MADV_NORMAL), Errno.EINVAL);
            sys.madvise(c, 0, Mman.MADV_DONTNEED);
            // mremap: unaligned old address, new size 0, bad flags, FIXED without MAYMOVE, overlap, unaligned new
            assertErrno(() -> sys.mremap(c + 1, PAGE, PAGE, 0, 0), Errno.EINVAL);
            assertErrno(() -> sys.mremap(c, PAGE, 0, Mman.MREMAP_MAYMOVE, 0), Errno.EINVAL);
            assertErrno(() -> sys.mremap(c, PAGE, PAGE, 0x40, 0), Errno.EINVAL);
            assertErrno(() -> sys.mremap(c, PAGE, PAGE, Mman.MREMAP_FIXED, c + 8 * PAGE), Errno.EINVAL);
            assertErrno(() -> sys.mremap(c, 2 * PAGE, 2 * PAGE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, c + PAGE), Errno.EINVAL);
            assertErrno(() -> sys.mremap(c, PAGE, PAGE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, c + 8 * PAGE + 1), Errno.EINVAL);
            // old range not mapped: EFAULT (vma_lookup fails)
            assertErrno(() -> sys.mremap(1L << 40, PAGE, 2 * PAGE, Mman.MREMAP_MAYMOVE, 0), Errno.EFAULT);
            sys.munmap(c, 4 * PAGE);
            return 0;
        }).assertOk();
    }

    /** assertErrno that accepts success when {@code e} is null. */
    private static void assertErrno(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, Errno e) {
        if (e == null) {
            try {
                c.call();
            } catch (Throwable t) {
                throw new AssertionError("expected success", t);
            }
        } else {
            ProcessTest.assertErrno(c, e);
        }
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void mapFixedReplacesContentsAndIsNeverHalfDone(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            // takes the page at argv[1] and holds it until its stdin closes
            long at = Long.parseLong(argv[1]);
            sys.mmap(at, PAGE, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0);
            sys.storeLong(at, 0xC417DL);
            long b = Libc.alloc(sys, 16);
            Libc.puts(sys, "holding");
            sys.read(0, b, 1);
            return sys.loadLong(at) == 0xC417DL ? 0 : 1;
        });
        os.run((sys, argv, envp) -> {
            int fd = sys.open("/tmp/fixed", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
            sys.ftruncate(fd, PAGE);
            long buf = Libc.alloc(sys, PAGE);
            sys.storeLong(buf, 0xF11EL);
            sys.pwrite(fd, buf, 8, 0);

            long a = sys.mmap(0, 6 * PAGE, RW, ANON, -1, 0);
            tag(sys, a, 6, 100);
            // anonymous MAP_FIXED over pages 1-2: zero there, neighbours untouched
            assertThat(sys.mmap(a + PAGE, 2 * PAGE, RW, ANON | Mman.MAP_FIXED, -1, 0)).isEqualTo(a + PAGE);
            assertTagged(sys, a, 1, 100, "page before");
            assertZero(sys, a + PAGE, 2 * PAGE, "replaced by MAP_FIXED");
            assertTagged(sys, a + 3 * PAGE, 3, 103, "pages after");
            // a file MAP_FIXED over page 3 shows the file
            assertThat(sys.mmap(a + 3 * PAGE, PAGE, Mman.PROT_READ, Mman.MAP_PRIVATE | Mman.MAP_FIXED, fd, 0)).isEqualTo(a + 3 * PAGE);
            assertThat(sys.loadLong(a + 3 * PAGE)).isEqualTo(0xF11EL);
            assertThat(sys.loadLong(a + 4 * PAGE - 8)).isZero();
            assertTagged(sys, a + 4 * PAGE, 2, 104, "after the file page");

            // failures of MAP_FIXED leave the old mapping alone
            tag(sys, a, 3, 200);
            int wo = sys.open("/tmp/fixed", OpenFlags.O_WRONLY, 0);
            assertErrno(() -> sys.mmap(a, 3 * PAGE, RW, Mman.MAP_PRIVATE | Mman.MAP_FIXED, wo, 0), Errno.EACCES);
            assertErrno(() -> sys.mmap(a, 3 * PAGE, RW, Mman.MAP_PRIVATE | Mman.MAP_FIXED, 99, 0), Errno.EBADF);
            assertErrno(() -> sys.mmap(a, 3 * PAGE, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0), Errno.EEXIST);
            assertTagged(sys, a, 3, 200, "after failed MAP_FIXED");

            // NOREPLACE over a range that is partly free and partly mapped: EEXIST, the free part stays free
            sys.munmap(a + 4 * PAGE, 2 * PAGE);
            assertErrno(() -> sys.mmap(a + 3 * PAGE, 3 * PAGE, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0), Errno.EEXIST);
            assertThat(mapped(sys, a + 4 * PAGE, PAGE)).isFalse();
            assertThat(mapped(sys, a + 5 * PAGE, PAGE)).isFalse();

            // another process takes page 5; MAP_FIXED over pages 0-5 fails (it is not ours) and changes nothing
            int[] in = sys.pipe2(OpenFlags.O_CLOEXEC);
            int[] out = sys.pipe2(OpenFlags.O_CLOEXEC);
            int child = sys.posixSpawn("/bin/child", List.of(io.jocclum.api.SpawnAction.dup2(in[0], 0),
                    io.jocclum.api.SpawnAction.dup2(out[1], 1)), new String[]{"child", Long.toString(a + 5 * PAGE)}, null);
            sys.close(out[1]);
            assertThat(sys.read(out[0], buf, 8)).isEqualTo(8); // "holding\n"
            assertErrno(() -> sys.mmap(a, 6 * PAGE, RW, ANON | Mman.MAP_FIXED, -1, 0), Errno.ENOMEM);
            assertTagged(sys, a, 3, 200, "after the refused MAP_FIXED");
            assertThat(sys.loadLong(a + 3 * PAGE)).isEqualTo(0xF11EL);
            assertThat(mapped(sys, a + 4 * PAGE, PAGE)).as("no half-done MAP_FIXED").isFalse();
            // munmap of the other process's page is a no-op for us
            sys.munmap(a + 5 * PAGE, PAGE);
            sys.close(in[1]);
            assertThat(sys.wait4(child, 0).status()).as("the other process's page survived").isEqualTo(Wait.exited(0));
            // now free: MAP_FIXED over everything works
            assertThat(sys.mmap(a, 6 * PAGE, RW, ANON | Mman.MAP_FIXED, -1, 0)).isEqualTo(a);
            assertZero(sys, a, 6 * PAGE, "fresh MAP_FIXED over own and freed memory");
            sys.munmap(a, 6 * PAGE);
            sys.close(fd);
            sys.close(wo);
            sys.unlink("/tmp/fixed");
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void mappingDevZeroGivesAnonymousMemory(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int zero = sys.open("/dev/zero", OpenFlags.O_RDWR, 0);
            for (int type : new int[]{Mman.MAP_PRIVATE, Mman.MAP_SHARED}) {
                long a = sys.mmap(0, 3 * PAGE, RW, type, zero, 0);
                assertZero(sys, a, 3 * PAGE, "/dev/zero mapping");
                tag(sys, a, 3, 500);
                assertTagged(sys, a, 3, 500, "/dev/zero mapping");
                sys.munmap(a, 3 * PAGE);
            }
            int ro = sys.open("/dev/zero", OpenFlags.O_RDONLY, 0);
            int wo = sys.open("/dev/zero", OpenFlags.O_WRONLY, 0);
            sys.munmap(sys.mmap(0, PAGE, RW, Mman.MAP_PRIVATE, ro, 0), PAGE);
            assertErrno(() -> sys.mmap(0, PAGE, RW, Mman.MAP_SHARED, ro, 0), Errno.EACCES);
            assertErrno(() -> sys.mmap(0, PAGE, Mman.PROT_READ, Mman.MAP_PRIVATE, wo, 0), Errno.EACCES);
            int nul = sys.open("/dev/null", OpenFlags.O_RDWR, 0);
            assertErrno(() -> sys.mmap(0, PAGE, RW, Mman.MAP_PRIVATE, nul, 0), Errno.ENODEV);
            for (int fd : new int[]{zero, ro, wo, nul}) {
                sys.close(fd);
            }
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void mremapMovesGrowsAndShrinksLikeLinux(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long a = sys.mmap(0, 8 * PAGE, RW, ANON, -1, 0);
            tag(sys, a, 8, 300);
            // make sure it cannot grow in place: own the page right after it
            long blocker = a + 8 * PAGE;
            boolean own = false;
            try {
                sys.mmap(blocker, PAGE, Mman.PROT_READ, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0);
                own = true;
            } catch (ErrnoException e) {
                assertThat(e.errno()).isEqualTo(Errno.EEXIST);
            }
            assertErrno(() -> sys.mremap(a, 8 * PAGE, 16 * PAGE, 0, 0), Errno.ENOMEM);
            assertTagged(sys, a, 8, 300, "after a refused growth");
            // MAYMOVE: moves, keeps the contents, zero beyond, unmaps the old range
            long b = sys.mremap(a, 8 * PAGE, 16 * PAGE, Mman.MREMAP_MAYMOVE, 0);
            assertThat(b).isNotEqualTo(a);
            assertTagged(sys, b, 8, 300, "moved");
            assertZero(sys, b + 8 * PAGE, 8 * PAGE, "grown part");
            assertThat(mapped(sys, a, 8 * PAGE)).as("old range after a move").isFalse();
            if (own) {
                sys.munmap(blocker, PAGE);
            }
            // MREMAP_FIXED to a place that holds another own mapping: it is replaced
            long t = sys.mmap(0, 20 * PAGE, RW, ANON, -1, 0);
            tag(sys, t, 20, 900);
            assertThat(sys.mremap(b + 2 * PAGE, 4 * PAGE, 4 * PAGE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, t + 10 * PAGE))
                    .isEqualTo(t + 10 * PAGE);
            assertTagged(sys, t + 10 * PAGE, 4, 302, "moved with MREMAP_FIXED");
            assertTagged(sys, t, 10, 900, "below the destination");
            assertTagged(sys, t + 14 * PAGE, 6, 914, "above the destination");
            assertThat(mapped(sys, b + 2 * PAGE, PAGE)).isFalse();
            assertThat(mapped(sys, b + 5 * PAGE, PAGE)).isFalse();
            assertTagged(sys, b, 2, 300, "left of the hole the move left");
            assertTagged(sys, b + 6 * PAGE, 2, 306, "right of the hole");
            // shrink in place: the tail goes
            assertThat(sys.mremap(t, 10 * PAGE, 3 * PAGE, 0, 0)).isEqualTo(t);
            assertTagged(sys, t, 3, 900, "shrunk");
            assertThat(mapped(sys, t + 3 * PAGE, PAGE)).isFalse();
            assertThat(mapped(sys, t + 9 * PAGE, PAGE)).isFalse();
            assertTagged(sys, t + 10 * PAGE, 1, 302, "the mapping after the shrunk one");
            // grow in place where the tail is free (we just freed it): same address, zero tail
            assertThat(sys.mremap(t, 3 * PAGE, 6 * PAGE, 0, 0)).isEqualTo(t);
            assertTagged(sys, t, 3, 900, "grown in place");
            assertZero(sys, t + 3 * PAGE, 3 * PAGE, "tail grown in place (clean-on-free)");
            // a range over two mappings is not one mapping: EFAULT
            sys.mprotect(t + 5 * PAGE, PAGE, Mman.PROT_READ);
            assertErrno(() -> sys.mremap(t + 4 * PAGE, 2 * PAGE, 8 * PAGE, Mman.MREMAP_MAYMOVE, 0), Errno.EFAULT);
            sys.munmap(t, 20 * PAGE);
            sys.munmap(b, 16 * PAGE);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void mprotectOverHolesChangesNothingAndWorksAcrossChunks(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long a = sys.mmap(0, 4 * PAGE, RW, ANON, -1, 0);
            sys.munmap(a + 2 * PAGE, PAGE);
            assertErrno(() -> sys.mprotect(a, 4 * PAGE, Mman.PROT_READ), Errno.ENOMEM);
            sys.storeLong(a, 5); // still writable: nothing changed
            sys.storeLong(a + 3 * PAGE, 6);
            sys.munmap(a, 4 * PAGE);

            // a large mapping (on EDMM larger than a 32MB multi-VMA chunk: a chunk of its own) and a small one right after it
            long big = m.edmmBuild ? 40L << 20 : 8L << 20;
            long l = sys.mmap(0, big, RW, ANON, -1, 0);
            sys.storeLong(l + big - 8, 77);
            long r;
            try {
                r = sys.mmap(l + big, 4 * PAGE, Mman.PROT_READ, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0);
            } catch (ErrnoException e) {
                // something is there already: put the pair elsewhere
                sys.munmap(l, big);
                long both = sys.mmap(0, big + 4 * PAGE, RW, ANON, -1, 0);
                sys.munmap(both, big + 4 * PAGE);
                l = sys.mmap(both, big, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0);
                sys.storeLong(l + big - 8, 77);
                r = sys.mmap(l + big, 4 * PAGE, Mman.PROT_READ, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0);
            }
            long left = l;
            // across the two: allowed (Occlum: EINVAL)
            sys.mprotect(left + big - 2 * PAGE, 6 * PAGE, RW);
            sys.storeLong(r + 3 * PAGE, 1);
            sys.storeLong(left + big - 16, 2);
            sys.mprotect(left + big - PAGE, 2 * PAGE, Mman.PROT_READ);
            assertThat(sys.loadLong(left + big - 8)).isEqualTo(77);
            int zero = sys.open("/dev/zero", OpenFlags.O_RDONLY, 0);
            long rightEnd = r;
            assertErrno(() -> sys.read(zero, left + big - 8, 8), Errno.EFAULT); // read-only now: the kernel cannot write it
            assertErrno(() -> sys.read(zero, rightEnd, 8), Errno.EFAULT);
            assertThat(sys.read(zero, left + big - 2 * PAGE, 8)).as("the part before stayed writable").isEqualTo(8);
            assertThat(sys.read(zero, rightEnd + PAGE, 8)).as("the part after stayed writable").isEqualTo(8);
            // and back to RW across both
            sys.mprotect(left, big + 4 * PAGE, RW);
            sys.storeLong(left + big - 8, 78);
            sys.storeLong(rightEnd, 79);
            assertThat(sys.loadLong(left + big - 8) + sys.loadLong(rightEnd)).isEqualTo(157);
            sys.close(zero);
            sys.munmap(left, big + 4 * PAGE);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void forbiddenAccessesKillOnlyTheFaultingProcessWithSigsegv(Matrix m) throws Exception {
        forbiddenAccesses(os(m));
    }

    private static final java.util.function.Consumer<io.jocclum.libos.testing.TestInstance.Builder> USER_REGION =
            b -> b.set("resource_limits.user_space_size", "1MB");

    /** EDMM with 1MB of reserved memory: the faults hit uncommitted user-region pages, which must not be committed. */
    @org.junit.jupiter.api.Test
    void forbiddenAccessesToUncommittedUserRegionPagesAreSigsegvToo() throws Exception {
        forbiddenAccesses(boot("user-region", Matrix.EDMM_ON_SGX2, PLATFORM, USER_REGION));
    }

    @org.junit.jupiter.api.Test
    void freedUserRegionMemoryReadsAsZeroAcrossProcesses() throws Exception {
        freedMemory(boot("user-region", Matrix.EDMM_ON_SGX2, PLATFORM, USER_REGION), true);
    }

    private void forbiddenAccesses(Booted os) throws Exception {
        os.program("child", (sys, argv, envp) -> {
            // sets up its own memory, then makes the access its argument names
            long a;
            switch (argv[1]) {
                case "write-after-mprotect-r" -> {
                    a = sys.mmap(0, 2 * PAGE, RW, ANON, -1, 0);
                    sys.storeLong(a + PAGE, 1);
                    sys.mprotect(a, 2 * PAGE, Mman.PROT_READ);
                    assertThat(sys.loadLong(a + PAGE)).isEqualTo(1);
                    sys.storeLong(a + PAGE, 2);
                }
                case "write-prot-read" -> {
                    a = sys.mmap(0, PAGE, Mman.PROT_READ, ANON, -1, 0);
                    assertThat(sys.loadLong(a)).isZero();
                    sys.storeByte(a + 17, (byte) 1);
                }
                case "read-prot-none" -> sys.loadByte(sys.mmap(0, PAGE, Mman.PROT_NONE, ANON, -1, 0));
                case "write-prot-none" -> sys.storeInt(sys.mmap(0, PAGE, Mman.PROT_NONE, ANON, -1, 0), 1);
                case "read-unmapped" -> {
                    a = sys.mmap(0, PAGE, RW, ANON, -1, 0);
                    sys.munmap(a, PAGE);
                    sys.loadLong(a);
                }
                case "read-above-task-size" -> sys.loadLong(TASK_SIZE - 8);
                case "bulk-write-into-read-only-half" -> {
                    a = sys.mmap(0, 2 * PAGE, RW, ANON, -1, 0);
                    sys.mprotect(a + PAGE, PAGE, Mman.PROT_READ);
                    sys.storeBytes(a, new byte[2 * (int) PAGE], 0, 2 * (int) PAGE);
                }
                case "read-other-process" -> sys.loadLong(Long.parseLong(argv[2]));
                default -> throw new IllegalArgumentException(argv[1]);
            }
            Libc.puts(sys, "survived " + argv[1]);
            return 0;
        });
        os.program("child2", (sys, argv, envp) -> {
            // a sibling holding data while the others die
            long a = sys.mmap(0, 16 * PAGE, RW, ANON, -1, 0);
            tag(sys, a, 16, 4000);
            long b = Libc.alloc(sys, 16);
            sys.read(0, b, 1);
            assertTagged(sys, a, 16, 4000, "sibling's memory");
            return 0;
        });
        Booted.Result r = os.run((sys, argv, envp) -> {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            int sibling = sys.posixSpawn("/bin/child2", List.of(io.jocclum.api.SpawnAction.dup2(p[0], 0)), new String[]{"s"}, null);
            long ro = sys.mmap(0, 2 * PAGE, RW, ANON, -1, 0);
            sys.storeLong(ro, 11);
            sys.mprotect(ro, 2 * PAGE, Mman.PROT_READ);
            for (String c : List.of("write-after-mprotect-r", "write-prot-read", "read-prot-none", "write-prot-none",
                    "read-unmapped", "read-above-task-size", "bulk-write-into-read-only-half", "read-other-process")) {
                int pid = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", c, Long.toString(ro)}, null);
                Wait.Result w = sys.wait4(pid, 0);
                assertThat(w.status()).as(c).isEqualTo(Wait.signaled(Signal.SIGSEGV));
                assertThat(Wait.WIFEXITED(w.status())).isFalse();
                assertThat(Wait.WTERMSIG(w.status())).isEqualTo(Signal.SIGSEGV);
            }
            // the parent is alive and its memory intact; the read-only memory is readable
            assertThat(sys.loadLong(ro)).isEqualTo(11);
            sys.mprotect(ro, 2 * PAGE, RW);
            sys.storeLong(ro + PAGE, 12);
            sys.close(p[1]);
            assertThat(sys.wait4(sibling, 0).status()).as("sibling").isEqualTo(Wait.exited(0));
            sys.munmap(ro, 2 * PAGE);
            return 0;
        }).assertOk();
        assertThat(r.out()).as("no access went through").doesNotContain("survived");
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void freedMemoryReadsAsZeroAcrossProcesses(Matrix m) throws Exception {
        freedMemory(os(m), m.edmmBuild);
    }

    private void freedMemory(Booted os, boolean edmm) throws Exception {
        os.program("child", (sys, argv, envp) -> {
            // fills a mapping with 0xAB (small ones in an arena, a large one), reports addresses, exits without unmapping
            long len = Long.parseLong(argv[1]);
            long a = sys.mmap(0, len, RW, ANON, -1, 0);
            sys.fillBytes(a, len, (byte) 0xAB);
            long brk0 = sys.brk(0);
            sys.brk(brk0 + 5 * PAGE);
            sys.fillBytes(brk0, 5 * PAGE, (byte) 0xCD);
            long b = Libc.alloc(sys, 16);
            sys.storeLong(b, a);
            sys.write(1, b, 8);
            return 0;
        });
        os.run((sys, argv, envp) -> {
            long buf = Libc.alloc(sys, 16); // before the child runs: it may exit before we get to the next line
            for (long len : new long[]{12 * PAGE, 2L << 20, edmm ? 40L << 20 : 20L << 20}) {
                int[] out = sys.pipe2(OpenFlags.O_CLOEXEC);
                int c = sys.posixSpawn("/bin/child", List.of(io.jocclum.api.SpawnAction.dup2(out[1], 1)),
                        new String[]{"child", Long.toString(len)}, null);
                sys.close(out[1]);
                assertThat(sys.read(out[0], buf, 8)).isEqualTo(8);
                long where = sys.loadLong(buf);
                assertThat(sys.wait4(c, 0).status()).isEqualTo(Wait.exited(0));
                sys.close(out[0]);
                // the child's memory is free again: we can have exactly that range, and it reads as zero
                long a = sys.mmap(where, len, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0);
                assertThat(a).isEqualTo(where);
                assertZero(sys, a, len, "memory of an exited process (" + len + " bytes)");
                sys.munmap(a, len);
                // and whatever we get anywhere is zero too
                long any = sys.mmap(0, len, RW, ANON, -1, 0);
                assertZero(sys, any, len, "a fresh mapping");
                sys.munmap(any, len);
            }
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void brkGrowsAndShrinksInsideTheHeapAndShrunkMemoryComesBackZero(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            long b = sys.brk(0);
            sys.brk(b + 100); // one page of heap
            sys.storeByte(b + Long.parseLong(argv[1]), (byte) 1);
            return 0;
        });
        os.run((sys, argv, envp) -> {
            long start = sys.brk(0);
            assertThat(start % PAGE).isZero();
            assertThat(sys.brk(start + 10_000)).as("an unaligned break is kept as given").isEqualTo(start + 10_000);
            assertThat(sys.brk(0)).isEqualTo(start + 10_000);
            sys.fillBytes(start, 3 * PAGE, (byte) 0x5A); // the page holding the break is usable up to its end
            assertThat(sys.brk(start + PAGE)).isEqualTo(start + PAGE);
            assertThat(mapped(sys, start, PAGE)).isTrue();
            assertThat(mapped(sys, start + PAGE, PAGE)).as("above the shrunk break").isFalse();
            assertThat(sys.brk(start + 3 * PAGE)).isEqualTo(start + 3 * PAGE);
            assertThat(sys.loadByte(start + PAGE - 1)).isEqualTo((byte) 0x5A);
            assertZero(sys, start + PAGE, 2 * PAGE, "heap grown back after a shrink");
            // below the start or beyond the heap: the break stays (brk(2) never fails)
            assertThat(sys.brk(start - PAGE)).isEqualTo(start + 3 * PAGE);
            assertThat(sys.brk(start + (64L << 20))).isEqualTo(start + 3 * PAGE);
            assertThat(sys.brk(start)).isEqualTo(start);
            assertThat(mapped(sys, start, PAGE)).isFalse();
            // a 4MB heap: growing to its end works
            assertThat(sys.brk(start + (4L << 20))).isEqualTo(start + (4L << 20));
            sys.storeLong(start + (4L << 20) - 8, 1);
            sys.brk(start);
            return 0;
        }).assertOk();
        assertThat(os.run((sys, argv, envp) -> {
            int ok = sys.posixSpawn("/bin/child", List.of(), new String[]{"c", Long.toString(PAGE - 1)}, null);
            int bad = sys.posixSpawn("/bin/child", List.of(), new String[]{"c", Long.toString(PAGE)}, null);
            return (sys.wait4(ok, 0).status() == 0 ? 0 : 1) + (sys.wait4(bad, 0).status() == Wait.signaled(Signal.SIGSEGV) ? 0 : 2);
        }).status()).as("a store below the page-rounded break works, above it is SIGSEGV").isZero();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void fileMappingsPrivateCopyOnWriteSharedWriteBackAndEndOfFile(Matrix m) throws Exception {
        Booted os = os(m);
        os.program("child", (sys, argv, envp) -> {
            // writes through a shared mapping and exits without munmap or msync
            int fd = sys.open(argv[1], OpenFlags.O_RDWR, 0);
            long a = sys.mmap(0, 2 * PAGE, RW, Mman.MAP_SHARED, fd, 0);
            sys.storeLong(a + PAGE + 8, 0xE817L);
            return 0;
        });
        os.run((sys, argv, envp) -> {
            String path = "/tmp/fmap";
            int fd = sys.open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            long buf = Libc.alloc(sys, 4 * PAGE);
            for (int i = 0; i < 2 * PAGE; i += 8) {
                sys.storeLong(buf + i, i);
            }
            assertThat(sys.write(fd, buf, 2 * PAGE)).isEqualTo(2 * PAGE);

            // private: copy-on-write, never visible in the file
            long p = sys.mmap(0, 2 * PAGE, RW, Mman.MAP_PRIVATE, fd, 0);
            assertThat(sys.loadLong(p + PAGE + 16)).isEqualTo(PAGE + 16);
            sys.storeLong(p + 16, -1);
            sys.msync(p, 2 * PAGE, Mman.MS_SYNC);
            sys.munmap(p, 2 * PAGE);
            assertThat(sys.pread(fd, buf, 8, 16)).isEqualTo(8);
            assertThat(sys.loadLong(buf)).as("a private write reached the file").isEqualTo(16);

            // shared: msync with an unaligned length covers the page the length ends in
            long s = sys.mmap(0, 2 * PAGE, RW, Mman.MAP_SHARED, fd, 0);
            sys.storeLong(s + PAGE + 24, 0x5EEDL);
            sys.msync(s, PAGE + 1, Mman.MS_SYNC);
            sys.pread(fd, buf, 8, PAGE + 24);
            assertThat(sys.loadLong(buf)).as("msync rounds the length up").isEqualTo(0x5EEDL);
            // shared: munmap writes back, read() sees it
            sys.storeLong(s + 40, 0xAAAAL);
            sys.munmap(s, 2 * PAGE);
            sys.lseek(fd, 40, io.jocclum.api.Seek.SEEK_SET);
            sys.read(fd, buf, 8);
            assertThat(sys.loadLong(buf)).as("munmap writes back").isEqualTo(0xAAAAL);
            // shared: exit writes back
            int c = sys.posixSpawn("/bin/child", List.of(), new String[]{"child", path}, null);
            assertThat(sys.wait4(c, 0).status()).isEqualTo(Wait.exited(0));
            sys.pread(fd, buf, 8, PAGE + 8);
            assertThat(sys.loadLong(buf)).as("exit writes back").isEqualTo(0xE817L);
            // MADV_DONTNEED on a private file mapping: the file again
            long q = sys.mmap(0, PAGE, RW, Mman.MAP_PRIVATE, fd, 0);
            sys.storeLong(q + 40, 1);
            sys.madvise(q, PAGE, Mman.MADV_DONTNEED);
            assertThat(sys.loadLong(q + 40)).as("DONTNEED re-reads a private file mapping").isEqualTo(0xAAAAL);
            sys.munmap(q, PAGE);

            // end of file: the file is 1.5 pages; the rest of its last page reads zero and is not written back
            sys.ftruncate(fd, PAGE + PAGE / 2);
            long e = sys.mmap(0, 3 * PAGE, RW, Mman.MAP_SHARED, fd, 0);
            assertThat(sys.loadLong(e + PAGE + PAGE / 2 - 8)).isEqualTo(PAGE + PAGE / 2 - 8);
            assertZero(sys, e + PAGE + PAGE / 2, PAGE / 2, "tail of the last page after end of file");
            sys.storeLong(e + PAGE + PAGE / 2, 0x7A11L);
            // pages wholly beyond end of file: SIGBUS on Linux; modelled as zero pages never written back (docs/vm.md)
            assertZero(sys, e + 2 * PAGE, PAGE, "page beyond end of file");
            sys.storeLong(e + 2 * PAGE, 1);
            sys.msync(e, 3 * PAGE, Mman.MS_SYNC);
            sys.munmap(e, 3 * PAGE);
            assertThat(sys.fstat(fd).size()).as("write-back never extends the file").isEqualTo(PAGE + PAGE / 2);
            // mapping a read-only open file shared and writable is EACCES; private and writable is fine
            int ro = sys.open(path, OpenFlags.O_RDONLY, 0);
            assertErrno(() -> sys.mmap(0, PAGE, RW, Mman.MAP_SHARED, ro, 0), Errno.EACCES);
            long pr = sys.mmap(0, PAGE, RW, Mman.MAP_PRIVATE, ro, 0);
            sys.storeLong(pr, 3);
            long sr = sys.mmap(0, PAGE, Mman.PROT_READ, Mman.MAP_SHARED, ro, 0);
            assertErrno(() -> sys.mprotect(sr, PAGE, RW), Errno.EACCES);
            sys.munmap(pr, PAGE);
            sys.munmap(sr, PAGE);
            sys.close(ro);
            sys.close(fd);
            sys.unlink(path);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void sharedMappingsOfAHostFileAreWrittenBackThroughMremapFsyncPartialMunmapAndTruncation(Matrix m) throws Exception {
        Booted os = os(m);
        String name = "shared-" + m + ".bin";
        os.run((sys, argv, envp) -> {
            int fd = sys.open("/host/" + name, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0600);
            sys.ftruncate(fd, 4 * PAGE);
            long buf = Libc.alloc(sys, PAGE);
            // a mapping of file page 1, moved and grown with MREMAP_FIXED: both pages still write back
            long s = sys.mmap(0, PAGE, RW, Mman.MAP_SHARED, fd, PAGE);
            sys.storeLong(s, 0x1111);
            long t = sys.mmap(0, 2 * PAGE, Mman.PROT_NONE, ANON, -1, 0);
            assertThat(sys.mremap(s, PAGE, 2 * PAGE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, t)).isEqualTo(t);
            assertThat(sys.loadLong(t)).isEqualTo(0x1111);
            sys.storeLong(t + PAGE, 0x2222);
            sys.munmap(t, 2 * PAGE);
            sys.pread(fd, buf, 8, PAGE);
            assertThat(sys.loadLong(buf)).isEqualTo(0x1111);
            sys.pread(fd, buf, 8, 2 * PAGE);
            assertThat(sys.loadLong(buf)).as("the grown page maps file page 2").isEqualTo(0x2222);
            // fsync writes back without unmapping
            long w = sys.mmap(0, 4 * PAGE, RW, Mman.MAP_SHARED, fd, 0);
            sys.storeLong(w, 0x3333);
            sys.fsync(fd);
            sys.pread(fd, buf, 8, 0);
            assertThat(sys.loadLong(buf)).as("fsync").isEqualTo(0x3333);
            // munmap of one page writes that page back; the rest stays mapped
            sys.storeLong(w + 3 * PAGE + 8, 0x4444);
            sys.munmap(w + 3 * PAGE, PAGE);
            sys.pread(fd, buf, 8, 3 * PAGE + 8);
            assertThat(sys.loadLong(buf)).as("partial munmap").isEqualTo(0x4444);
            assertThat(sys.loadLong(w + 2 * PAGE)).isEqualTo(0x2222);
            // a write-back after the file shrank does not extend it again
            sys.storeLong(w + 2 * PAGE + 16, 0x5555);
            sys.ftruncate(fd, 2 * PAGE + 4);
            sys.munmap(w, 3 * PAGE);
            assertThat(sys.fstat(fd).size()).isEqualTo(2 * PAGE + 4);
            sys.close(fd);
            return 0;
        }).assertOk();
        byte[] host = java.nio.file.Files.readAllBytes(os.os.built().paths().root().resolve(name));
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(host).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertThat(host).hasSize((int) (2 * PAGE + 4));
        assertThat(bb.getLong(0)).isEqualTo(0x3333);
        assertThat(bb.getLong((int) PAGE)).isEqualTo(0x1111);
        assertThat(bb.getInt((int) (2 * PAGE))).as("on the host").isEqualTo(0x2222);
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void theHeapIsOrdinaryMemoryToMunmapMprotectAndMremap(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            long b0 = sys.brk(0);
            assertThat(sys.brk(b0 + 4 * PAGE)).isEqualTo(b0 + 4 * PAGE);
            tag(sys, b0, 4, 600);
            // munmap below the break leaves a hole that brk growth does not fill (it maps [old, new) only)
            sys.munmap(b0 + PAGE, PAGE);
            assertThat(sys.brk(b0 + 6 * PAGE)).isEqualTo(b0 + 6 * PAGE);
            assertThat(mapped(sys, b0 + PAGE, PAGE)).isFalse();
            assertZero(sys, b0 + 4 * PAGE, 2 * PAGE, "heap grown after a munmap");
            // mprotect a heap page; brk shrink over it and growth back give a fresh RW zero page
            sys.mprotect(b0 + 3 * PAGE, PAGE, Mman.PROT_READ);
            assertThat(sys.brk(b0 + 3 * PAGE)).isEqualTo(b0 + 3 * PAGE);
            assertThat(sys.brk(b0 + 4 * PAGE)).isEqualTo(b0 + 4 * PAGE);
            sys.storeLong(b0 + 3 * PAGE, 1);
            // a heap page moved out keeps its contents
            long moved = sys.mremap(b0 + 2 * PAGE, PAGE, 2 * PAGE, Mman.MREMAP_MAYMOVE, 0);
            assertTagged(sys, moved, 1, 602, "heap page moved out");
            assertThat(mapped(sys, b0 + 2 * PAGE, PAGE)).isFalse();
            assertTagged(sys, b0, 1, 600, "first heap page");
            sys.munmap(moved, 2 * PAGE);
            assertThat(sys.brk(b0)).isEqualTo(b0);
            assertThat(mapped(sys, b0, 4 * PAGE)).isFalse();
            return 0;
        }).assertOk();
    }
}
