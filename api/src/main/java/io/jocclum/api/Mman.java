package io.jocclum.api;

/**
 * Linux memory-mapping constants for {@code mmap}, {@code mprotect}, {@code mremap},
 * {@code msync} and {@code madvise}, with their x86_64 values. Sources:
 * {@code include/uapi/asm-generic/mman-common.h}, {@code include/uapi/linux/mman.h},
 * {@code arch/x86/include/uapi/asm/mman.h} (Linux 6.x).
 */
public final class Mman {
    private Mman() {
    }

    /**
     * Page size of x86_64 ({@code PAGE_SIZE}): the guest ABI's constant, for guest programs. This
     * module depends on no other, so the LibOS and the SGX model, which see the whole platform,
     * take the same value from {@code io.jocclum.sgx.arch.Pages} (with its masks and rounding).
     */
    public static final long PAGE_SIZE = 4096;

    /** {@code MAP_FAILED}: (void *) -1. */
    public static final long MAP_FAILED = -1L;

    // ---- prot (mman-common.h) ----------------------------------------------------------------
    public static final int PROT_NONE = 0x0;
    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int PROT_EXEC = 0x4;
    /** Page may be used for atomic ops (ignored by x86). */
    public static final int PROT_SEM = 0x8;
    /** mprotect only: extend the change to the start of a growsdown mapping. */
    public static final int PROT_GROWSDOWN = 0x01000000;
    /** mprotect only: extend the change to the end of a growsup mapping. */
    public static final int PROT_GROWSUP = 0x02000000;

    // ---- mmap flags (mman-common.h, linux/mman.h, x86 mman.h) --------------------------------
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    /** MAP_SHARED with validation of every flag (unknown flags give EOPNOTSUPP). */
    public static final int MAP_SHARED_VALIDATE = 0x03;
    /** Mask of the mapping type (SHARED, PRIVATE, SHARED_VALIDATE, DROPPABLE). */
    public static final int MAP_TYPE = 0x0f;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    /** x86_64: place the mapping in the first 2 GB. */
    public static final int MAP_32BIT = 0x40;
    /** x86_64: place the mapping above 4 GB (Linux 6.4). */
    public static final int MAP_ABOVE4G = 0x80;
    public static final int MAP_GROWSDOWN = 0x0100;
    public static final int MAP_DENYWRITE = 0x0800;
    public static final int MAP_EXECUTABLE = 0x1000;
    public static final int MAP_LOCKED = 0x2000;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_NONBLOCK = 0x10000;
    public static final int MAP_STACK = 0x20000;
    public static final int MAP_HUGETLB = 0x40000;
    public static final int MAP_SYNC = 0x80000;
    public static final int MAP_FIXED_NOREPLACE = 0x100000;
    public static final int MAP_UNINITIALIZED = 0x4000000;
    /** Shift of the huge page size encoded in the flags (MAP_HUGE_SHIFT). */
    public static final int MAP_HUGE_SHIFT = 26;
    /** Mask of that field, after shifting (MAP_HUGE_MASK). */
    public static final int MAP_HUGE_MASK = 0x3f;
    public static final int MAP_HUGE_2MB = 21 << MAP_HUGE_SHIFT;
    public static final int MAP_HUGE_1GB = 30 << MAP_HUGE_SHIFT;

    // ---- mremap (linux/mman.h) ---------------------------------------------------------------
    public static final int MREMAP_MAYMOVE = 1;
    public static final int MREMAP_FIXED = 2;
    public static final int MREMAP_DONTUNMAP = 4;

    // ---- msync (mman-common.h) ---------------------------------------------------------------
    public static final int MS_ASYNC = 1;
    public static final int MS_INVALIDATE = 2;
    public static final int MS_SYNC = 4;

    // ---- madvise (mman-common.h) -------------------------------------------------------------
    public static final int MADV_NORMAL = 0;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_WILLNEED = 3;
    public static final int MADV_DONTNEED = 4;
    public static final int MADV_FREE = 8;
    public static final int MADV_REMOVE = 9;
    public static final int MADV_DONTFORK = 10;
    public static final int MADV_DOFORK = 11;
    public static final int MADV_MERGEABLE = 12;
    public static final int MADV_UNMERGEABLE = 13;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MADV_NOHUGEPAGE = 15;
    public static final int MADV_DONTDUMP = 16;
    public static final int MADV_DODUMP = 17;
    public static final int MADV_WIPEONFORK = 18;
    public static final int MADV_KEEPONFORK = 19;
    public static final int MADV_COLD = 20;
    public static final int MADV_PAGEOUT = 21;
    public static final int MADV_POPULATE_READ = 22;
    public static final int MADV_POPULATE_WRITE = 23;
    public static final int MADV_DONTNEED_LOCKED = 24;
    public static final int MADV_COLLAPSE = 25;
    public static final int MADV_HWPOISON = 100;
    public static final int MADV_SOFT_OFFLINE = 101;
    public static final int MADV_GUARD_INSTALL = 102;
    public static final int MADV_GUARD_REMOVE = 103;
}
