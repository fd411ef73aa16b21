package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Signal;
import io.jocclum.api.Wait;
import io.jocclum.libos.boot.BootException;
import io.jocclum.sgx.cost.CostEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Memory through the syscall interface on the real platform: faults kill with SIGSEGV or SIGBUS,
 * the memory errnos at guest level, EFAULT for bad buffers, freed memory reads as zero, file
 * mappings written back, EDMM commits only what is touched.
 */
class MemoryTest extends OsTestBase {
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void writingReadOnlyMemoryOrTouchingUnmappedMemoryIsSigsegv(Matrix m) throws Exception {
        Booted os = os(m);
        Booted.Result r = os.runPath("/bin/memtest", "--mode", "write-readonly");
        assertThat(r.status()).isEqualTo(Wait.signaled(Signal.SIGSEGV));
        assertThat(r.out()).contains("writing to read-only memory");
        assertThat(r.err()).doesNotContain("succeeded");
        assertThat(os.runPath("/bin/memtest", "--mode", "use-after-unmap").status()).isEqualTo(Wait.signaled(Signal.SIGSEGV));
        assertThat(os.runPath("/bin/memtest", "--size", "64KB", "--prot", "none").status()).isEqualTo(Wait.signaled(Signal.SIGSEGV));
        assertThat(os.run((sys, argv, envp) -> {
            sys.loadByte(0);
            return 0;
        }).status()).as("NULL").isEqualTo(Wait.signaled(Signal.SIGSEGV));
        // a read-only mapping may be read
        assertThat(os.runPath("/bin/memtest", "--size", "64KB", "--prot", "r").status()).isZero();
    }

    @Test
    void runningOutOfEpcWithNothingReclaimableIsSigbus() throws Exception {
        // EDMM, 32MB of EPC, and a backing store that cannot take any evicted page
        Booted os = boot("tiny", Matrix.EDMM_ON_SGX2, PLATFORM.withEpcBytes(32L << 20).withBackingLimit(0),
                b -> b.set("resource_limits.user_space_size", "1MB").set("resource_limits.init_num_of_threads", 2));
        Booted.Result r = os.runPath("/bin/memtest", "--size", "64MB", "--touch", "1");
        assertThat(r.status()).isEqualTo(Wait.signaled(Signal.SIGBUS));
        // the machine is still usable afterwards: the killed process's EPC came back
        assertThat(os.runPath("/bin/memtest", "--size", "4MB").status()).isZero();
    }

    @Test
    void aNonEdmmEnclaveLargerThanAnEpcWithoutBackingCannotBeLoaded() {
        assertThatThrownBy(() -> boot("tiny-plain", Matrix.PLAIN_ON_SGX2, PLATFORM.withEpcBytes(16L << 20).withBackingLimit(0),
                b -> { }))
                .isInstanceOf(BootException.class)
                .hasMessageContaining("could not be loaded").hasMessageContaining("EPC is too small").hasMessageContaining("--epc");
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void memoryErrnosAtGuestLevel(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            assertErrno(() -> sys.mmap(0, 0, RW, ANON, -1, 0), Errno.EINVAL);
            assertErrno(() -> sys.mmap(0, 4096, RW, Mman.MAP_ANONYMOUS, -1, 0), Errno.EINVAL); // neither SHARED nor PRIVATE
            assertErrno(() -> sys.mmap(0, 4096, RW, Mman.MAP_PRIVATE, 42, 0), Errno.EBADF);
            assertErrno(() -> sys.mmap(0, 4096, RW, Mman.MAP_PRIVATE, 1, 4095), Errno.EINVAL);
            int[] p = sys.pipe();
            assertErrno(() -> sys.mmap(0, 4096, RW, Mman.MAP_PRIVATE, p[0], 0), Errno.ENODEV);
            assertErrno(() -> sys.mmap(0, 1L << 62, RW, ANON, -1, 0), Errno.ENOMEM);
            long a = sys.mmap(0, 3 * 4096, RW, ANON, -1, 0);
            assertErrno(() -> sys.mmap(a, 4096, RW, ANON | Mman.MAP_FIXED_NOREPLACE, -1, 0), Errno.EEXIST);
            assertErrno(() -> sys.mmap(4096, 4096, RW, ANON | Mman.MAP_FIXED, -1, 0), Errno.EPERM);
            assertErrno(() -> sys.munmap(a + 1, 4096), Errno.EINVAL);
            assertErrno(() -> sys.munmap(a, 0), Errno.EINVAL);
            sys.munmap(a + 4096, 4096);
            assertErrno(() -> sys.mprotect(a, 3 * 4096, Mman.PROT_READ), Errno.ENOMEM); // hole in the middle
            assertErrno(() -> sys.mremap(a, 4096, 3 * 4096, 0, 0), Errno.ENOMEM); // cannot grow in place without MAYMOVE
            long moved = sys.mremap(a, 4096, 8192, Mman.MREMAP_MAYMOVE, 0);
            assertErrno(() -> sys.msync(moved, 4096, Mman.MS_SYNC | Mman.MS_ASYNC), Errno.EINVAL);
            assertErrno(() -> sys.madvise(moved, 4096, 12345), Errno.EINVAL);
            long brk0 = sys.brk(0);
            assertThat(sys.brk(brk0 + 8192)).isEqualTo(brk0 + 8192);
            sys.storeLong(brk0 + 4096, 5);
            assertThat(sys.brk(brk0 + (1L << 40))).as("brk never fails, it stays").isEqualTo(brk0 + 8192);
            sys.munmap(moved, 8192);
            sys.munmap(a, 3 * 4096);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void badBuffersAreEfaultNotSignals(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int fd = sys.open("/dev/zero", OpenFlags.O_RDONLY, 0);
            assertErrno(() -> sys.read(fd, 16, 8), Errno.EFAULT);
            long ro = sys.mmap(0, 4096, Mman.PROT_READ, ANON, -1, 0);
            assertErrno(() -> sys.read(fd, ro, 8), Errno.EFAULT);
            int[] p = sys.pipe();
            assertErrno(() -> sys.write(p[1], 16, 8), Errno.EFAULT);
            assertErrno(() -> sys.wait4(-1, 16, 0), Errno.ECHILD);
            sys.munmap(ro, 4096);
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void freedMemoryReadsAsZeroAndDontneedZeroes(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            for (int round = 0; round < 4; round++) {
                long a = sys.mmap(0, 64 * 4096, RW, ANON, -1, 0);
                for (long off = 0; off < 64 * 4096; off += 4096) {
                    assertThat(sys.loadLong(a + off)).as("fresh memory is zero").isZero();
                    sys.storeLong(a + off, -1);
                }
                sys.madvise(a, 4096, Mman.MADV_DONTNEED);
                assertThat(sys.loadLong(a)).isZero();
                assertThat(sys.loadLong(a + 4096)).isEqualTo(-1);
                sys.munmap(a, 64 * 4096);
            }
            return 0;
        }).assertOk();
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void sharedFileMappingsAreWrittenBackAndPrivateOnesAreNot(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            int fd = sys.open("/tmp/mapped", OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
            sys.ftruncate(fd, 8192);
            long shared = sys.mmap(0, 8192, RW, Mman.MAP_SHARED, fd, 0);
            long priv = sys.mmap(0, 8192, RW, Mman.MAP_PRIVATE, fd, 0);
            sys.storeLong(shared + 4096, 0x1122334455667788L);
            sys.storeLong(priv, 99);
            sys.msync(shared, 8192, Mman.MS_SYNC);
            long buf = Libc.alloc(sys, 4096);
            assertThat(sys.pread(fd, buf, 16, 4096)).isEqualTo(16);
            assertThat(sys.loadLong(buf)).isEqualTo(0x1122334455667788L);
            assertThat(sys.pread(fd, buf, 8, 0)).isEqualTo(8);
            assertThat(sys.loadLong(buf)).as("private writes stay private").isZero();
            sys.munmap(shared, 8192);
            sys.munmap(priv, 8192);
            sys.close(fd);
            sys.unlink("/tmp/mapped");
            return 0;
        }).assertOk();
    }

    @Test
    void onEdmmOnlyTouchedPagesAreCommittedAndLargeUnmapsGiveEpcBack() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        long eaug0 = os.os.count(CostEvent.EAUG);
        long remove0 = os.os.count(CostEvent.EREMOVE);
        // 256MB does not fit the 64MB of reserved memory: it lands in the user region
        assertThat(os.runPath("/bin/memtest", "--size", "256MB", "--touch", "0.01", "--pattern", "stride").status()).isZero();
        long eaug = os.os.count(CostEvent.EAUG) - eaug0;
        long pages = 256L * 256;
        assertThat(eaug).as("pages committed for 1%% of 256MB").isGreaterThanOrEqualTo(pages / 100).isLessThan(pages / 10);
        assertThat(os.os.count(CostEvent.EREMOVE) - remove0).as("the unmap gave the EPC back").isGreaterThanOrEqualTo(pages / 100);

        Booted plain = os(Matrix.PLAIN_ON_SGX2);
        long plainEaug = plain.os.count(CostEvent.EAUG);
        assertThat(plain.runPath("/bin/memtest", "--size", "32MB", "--touch", "1").status()).isZero();
        assertThat(plain.os.count(CostEvent.EAUG)).as("non-EDMM on SGX2 never commits at run time").isEqualTo(plainEaug);
    }
}
