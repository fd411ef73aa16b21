package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The errno table of the memory syscalls (spec section 7) corrected to Linux 6.x, black-box
 * through the syscall-level API. Each test names the Linux source of the rule where it differs
 * from Occlum.
 */
@ParameterizedClass
@EnumSource(Platform.class)
class LinuxErrnoTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    @Test
    void mmapLengthZeroIsEinval() {
        assertThat(errno(() -> vm.mmap(0, 0, RW, ANON, null, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mmapLengthThatOverflowsWhenRoundedIsEnomem() {
        // do_mmap: len = PAGE_ALIGN(len); if (!len) return -ENOMEM
        assertThat(errno(() -> vm.mmap(0, -1L, RW, ANON, null, 0))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.mmap(0, -4096L, RW, ANON, null, 0))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.mmap(0, ProcessVm.TASK_SIZE + PAGE, RW, ANON, null, 0))).isEqualTo(Errno.ENOMEM);
    }

    @Test
    void mmapLargerThanTheUserSpaceIsEnomem() {
        long total = platform.layout().totalSize();
        assertThat(errno(() -> vm.mmap(0, total + PAGE, RW, ANON, null, 0))).isEqualTo(Errno.ENOMEM);
    }

    @Test
    void mmapUnalignedOffsetIsEinvalEvenForAnonymous() {
        // arch/x86/kernel/sys_x86_64.c: if (off & ~PAGE_MASK) return -EINVAL (Occlum does not check)
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, ANON, null, 100))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mmapWithoutSharedOrPrivateIsEinval() {
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_ANONYMOUS, null, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_ANONYMOUS | 0x0f, null, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void unknownMmapFlagsAndProtBitsAreIgnoredAsInLinux() {
        // Linux ignores unknown flags with MAP_PRIVATE/MAP_SHARED and never validates mmap's prot (Occlum: EINVAL)
        long a = vm.mmap(0, PAGE, RW | 0x100, ANON | 0x800000, null, 0);
        mem.writeInt(a, 5);
        assertThat(mappingAt(a).prot()).isEqualTo(RW);
    }

    @Test
    void sharedValidateRejectsUnknownFlagsWithEopnotsupp() {
        ByteArrayFile f = ByteArrayFile.of(new byte[8192]);
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_SHARED_VALIDATE | 0x800000, f, 0))).isEqualTo(Errno.EOPNOTSUPP);
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_SHARED_VALIDATE | MAP_SYNC, f, 0))).isEqualTo(Errno.EOPNOTSUPP);
        long a = vm.mmap(0, PAGE, RW, MAP_SHARED_VALIDATE | MAP_POPULATE, f, 0);
        assertThat(mappingAt(a).flags() & MAP_SHARED).isEqualTo(MAP_SHARED);
    }

    @Test
    void mapFixedUnalignedIsEinval() {
        assertThat(errno(() -> vm.mmap(Platform.BASE + 100, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mmap(Platform.BASE + 100, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, null, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mapFixedBelowMmapMinAddrIsEperm() {
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.EPERM);
        assertThat(errno(() -> vm.mmap(PAGE, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.EPERM);
    }

    @Test
    void mapFixedOutsideTheUserSpaceIsEnomem() {
        assertThat(errno(() -> vm.mmap(1L << 30, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.mmap(ProcessVm.TASK_SIZE, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.ENOMEM);
        long end = platform.layout().reservedEnd();
        // straddling the end of reserved memory: into the gap (EDMM) or out of the user space
        assertThat(errno(() -> vm.mmap(end - PAGE, 2 * PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.ENOMEM);
        assertThat(vm.mappings()).noneMatch(m -> m.end() == end);
    }

    @Test
    void mapFixedNoreplaceOverAMappingIsEexist() {
        long a = anon(4 * PAGE);
        assertThat(errno(() -> vm.mmap(a + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, null, 0))).isEqualTo(Errno.EEXIST);
        vm.munmap(a + 2 * PAGE, PAGE);
        assertThat(vm.mmap(a + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, null, 0)).isEqualTo(a + 2 * PAGE);
    }

    @Test
    void mapFixedOverAnotherProcessIsEnomemAndNoreplaceEexist() {
        ProcessVm other = space.createProcess(2, spec());
        long b = other.mmap(0, 4 * PAGE, RW, ANON, null, 0);
        other.memory(AccessMode.USER).writeInt(b, 42);
        assertThat(errno(() -> vm.mmap(b, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.mmap(b + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, null, 0))).isEqualTo(Errno.EEXIST);
        assertThat(other.memory(AccessMode.USER).readInt(b)).isEqualTo(42);
    }

    @Test
    void fileMappingErrors() {
        ByteArrayFile f = ByteArrayFile.of(new byte[8192]);
        ByteArrayFile ro = f.reopen(true, false);
        ByteArrayFile wo = f.reopen(false, true);
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_PRIVATE, null, 0))).isEqualTo(Errno.EBADF);
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_SHARED, ro, 0))).isEqualTo(Errno.EACCES);
        assertThat(errno(() -> vm.mmap(0, PAGE, PROT_READ, MAP_SHARED, wo, 0))).isEqualTo(Errno.EACCES);
        assertThat(errno(() -> vm.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, wo, 0))).isEqualTo(Errno.EACCES);
        // file_mmap_ok: offset + length beyond MAX_LFS_FILESIZE
        assertThat(errno(() -> vm.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, f, Long.MAX_VALUE & ~4095L))).isEqualTo(Errno.EOVERFLOW);
        assertThat(errno(() -> vm.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, f, -PAGE))).isEqualTo(Errno.EOVERFLOW);
        // a private writable mapping of a read-only file is fine; so is a read-only shared one
        long a = vm.mmap(0, PAGE, RW, MAP_PRIVATE, ro, 0);
        long b = vm.mmap(0, PAGE, PROT_READ, MAP_SHARED, ro, 0);
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void munmapErrors() {
        assertThat(errno(() -> vm.munmap(Platform.BASE + 1, PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.munmap(Platform.BASE, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.munmap(Platform.BASE, -1L))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.munmap(ProcessVm.TASK_SIZE + PAGE, PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.munmap(ProcessVm.TASK_SIZE - PAGE, 2 * PAGE))).isEqualTo(Errno.EINVAL);
        vm.munmap(1L << 30, PAGE); // nothing mapped there: success
        vm.munmap(0, PAGE);
    }

    @Test
    void mprotectErrors() {
        long a = anon(4 * PAGE);
        assertThat(errno(() -> vm.mprotect(a + 1, PAGE, PROT_READ))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mprotect(a, PAGE, 0x10))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mprotect(a, PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP))).isEqualTo(Errno.EINVAL);
        // mm/mprotect.c: length 0 returns before validating prot (Occlum: EINVAL)
        vm.mprotect(a, 0, 0x10);
        assertThat(errno(() -> vm.mprotect(1L << 30, PAGE, PROT_READ))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.mprotect(a, -1L, PROT_READ))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.mprotect(a, PAGE, PROT_READ | PROT_GROWSDOWN))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mprotect(a, PAGE, PROT_READ | PROT_GROWSUP))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mprotectOverAHoleIsEnomemAndChangesNothing() {
        long a = anon(4 * PAGE);
        vm.munmap(a + 2 * PAGE, PAGE);
        assertThat(errno(() -> vm.mprotect(a, 4 * PAGE, PROT_READ))).isEqualTo(Errno.ENOMEM);
        assertThat(mappingAt(a).prot()).isEqualTo(RW);
        assertThat(mappingAt(a + 3 * PAGE).prot()).isEqualTo(RW);
        mem.writeInt(a, 1);
        // a range starting in a hole
        vm.munmap(a, PAGE);
        assertThat(errno(() -> vm.mprotect(a, 2 * PAGE, PROT_READ))).isEqualTo(Errno.ENOMEM);
        assertThat(mappingAt(a + PAGE).prot()).isEqualTo(RW);
    }

    @Test
    void mprotectAddingWriteToASharedMappingOfAReadOnlyFileIsEacces() {
        ByteArrayFile ro = ByteArrayFile.of(new byte[8192]).reopen(true, false);
        long a = vm.mmap(0, 2 * PAGE, PROT_READ, MAP_SHARED, ro, 0);
        assertThat(errno(() -> vm.mprotect(a, PAGE, RW))).isEqualTo(Errno.EACCES);
        long b = vm.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, ro, 0);
        vm.mprotect(b, PAGE, RW);
        mem.writeInt(b, 7);
        assertThat(mem.readInt(b)).isEqualTo(7);
    }

    @Test
    void mremapErrors() {
        long a = anon(4 * PAGE);
        assertThat(errno(() -> vm.mremap(a, PAGE, PAGE, 8, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, PAGE, PAGE, MREMAP_FIXED, a + 8 * PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, PAGE, PAGE, MREMAP_DONTUNMAP, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a + 1, PAGE, PAGE, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, PAGE, 0, 0, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, 0, PAGE, MREMAP_MAYMOVE, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, a + 8 * PAGE + 1))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, a + PAGE))).isEqualTo(Errno.EINVAL);
        // nothing mapped at the old address (Linux 6.x vma_lookup): EFAULT
        assertThat(errno(() -> vm.mremap(1L << 30, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0))).isEqualTo(Errno.EFAULT);
        // old range runs past the mapping
        assertThat(errno(() -> vm.mremap(a, 8 * PAGE, 16 * PAGE, MREMAP_MAYMOVE, 0))).isEqualTo(Errno.EFAULT);
    }

    @Test
    void mremapThatCannotGrowInPlaceWithoutMaymoveIsEnomem() {
        long a = anon(2 * PAGE);
        long b = vm.mmap(a + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED, null, 0);
        assertThat(b).isEqualTo(a + 2 * PAGE);
        mem.writeInt(a, 9);
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, 4 * PAGE, 0, 0))).isEqualTo(Errno.ENOMEM);
        // the two equal anonymous mappings merged (as in Linux); the old range no longer ends the VMA, so no growth
        assertThat(mappingAt(a).end()).isEqualTo(a + 3 * PAGE);
        assertThat(mappingAt(a + 3 * PAGE)).isNull();
        assertThat(mem.readInt(a)).isEqualTo(9);
    }

    @Test
    void msyncErrors() {
        long a = anon(2 * PAGE);
        assertThat(errno(() -> vm.msync(a, PAGE, 8))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.msync(a, PAGE, MS_SYNC | MS_ASYNC))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.msync(a + 1, PAGE, MS_SYNC))).isEqualTo(Errno.EINVAL);
        // the length is rounded up (Occlum: EINVAL)
        vm.msync(a, 100, MS_SYNC);
        vm.msync(a, PAGE, MS_INVALIDATE);
        vm.msync(a, 0, MS_SYNC);
        assertThat(errno(() -> vm.msync(a, 4 * PAGE, MS_SYNC))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.msync(1L << 30, PAGE, MS_ASYNC))).isEqualTo(Errno.ENOMEM);
    }

    @Test
    void madviseErrors() {
        long a = anon(2 * PAGE);
        assertThat(errno(() -> vm.madvise(a, PAGE, 5))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(a, PAGE, 99))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(a, PAGE, MADV_GUARD_INSTALL))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(a + 1, PAGE, MADV_NORMAL))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(a, -1L, MADV_NORMAL))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(a, PAGE, MADV_HWPOISON))).isEqualTo(Errno.EPERM);
        vm.madvise(a, 0, MADV_DONTNEED);
        for (int adv : new int[] {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTFORK, MADV_DOFORK,
                MADV_MERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_COLD, MADV_PAGEOUT}) {
            vm.madvise(a, 2 * PAGE, adv);
        }
        assertThat(errno(() -> vm.madvise(a, 4 * PAGE, MADV_NORMAL))).isEqualTo(Errno.ENOMEM);
        assertThat(errno(() -> vm.madvise(a, PAGE, MADV_REMOVE))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void brkNeverFails() {
        long start = vm.heapStart();
        assertThat(vm.brk(0)).isEqualTo(start);
        assertThat(vm.brk(start - PAGE)).isEqualTo(start);
        assertThat(vm.brk(-1L)).isEqualTo(start);
        assertThat(vm.brk(start + 5 * MB)).isEqualTo(start); // above the 4 MB heap
        assertThat(vm.brk(start + 100)).isEqualTo(start + 100);
    }
}
