package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.Pages;

/**
 * The memory system calls of one guest thread (Linux {@code mm/mmap.c}, {@code mm/mprotect.c},
 * {@code mm/mremap.c}, {@code mm/msync.c}, {@code mm/madvise.c}) on its process's
 * {@link ProcessVm}: mmap resolves a descriptor through the file layer ({@link MmapFiles}) after
 * the offset check; the calls that may give memory back (munmap, mremap, brk, madvise) first
 * sample the committed EPC, so that its peak is not missed. The calls that may add VMAs reserve
 * room for them in the kernel heap first ({@link ProcessVm#withVmaCharge}).
 *
 * @param vm              the process's address space
 * @param files           the descriptors mmap may map
 * @param sampleCommitted samples the committed EPC (peak tracking) before memory may be given back
 */
public record VmCalls(ProcessVm vm, MmapFiles files, Runnable sampleCommitted) {

    /** {@code mmap(2)}: EINVAL for an unaligned offset of a file mapping before the descriptor is looked up. */
    public long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        MappableFile file = null;
        if ((flags & Mman.MAP_ANONYMOUS) == 0) {
            if (!Pages.isAligned(offset)) {
                throw Errno.EINVAL.exception("offset " + offset + " is not page aligned");
            }
            file = files.mappable(fd, prot, flags);
            if (file == null) {
                // /dev/zero (mmap_zero): anonymous memory
                return vm.withVmaCharge(2, () -> vm.mmap(addr, length, prot, flags | Mman.MAP_ANONYMOUS, null, 0));
            }
        }
        MappableFile f = file;
        return vm.withVmaCharge(2, () -> vm.mmap(addr, length, prot, flags, f, offset));
    }

    /** {@code munmap(2)}. */
    public void munmap(long addr, long length) {
        sampleCommitted.run();
        vm.withVmaCharge(1, () -> {
            vm.munmap(addr, length);
            return null;
        });
    }

    /** {@code mprotect(2)}. */
    public void mprotect(long addr, long length, int prot) {
        vm.withVmaCharge(2, () -> {
            vm.mprotect(addr, length, prot);
            return null;
        });
    }

    /** {@code mremap(2)}. */
    public long mremap(long oldAddr, long oldSize, long newSize, int flags, long newAddr) {
        sampleCommitted.run();
        return vm.withVmaCharge(2, () -> vm.mremap(oldAddr, oldSize, newSize, flags, newAddr));
    }

    /** {@code brk(2)}. */
    public long brk(long addr) {
        sampleCommitted.run();
        return vm.withVmaCharge(1, () -> vm.brk(addr));
    }

    /** {@code msync(2)}. */
    public void msync(long addr, long length, int flags) {
        vm.msync(addr, length, flags);
    }

    /** {@code madvise(2)}. */
    public void madvise(long addr, long length, int advice) {
        sampleCommitted.run();
        vm.madvise(addr, length, advice);
    }
}
