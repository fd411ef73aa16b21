package io.jocclum.libos.layout;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.image.PageSource;

/**
 * A page-aligned range of the enclave (offsets relative to SECS.BASEADDR).
 *
 * @param thread          the thread context index for per-thread regions, else -1
 * @param secInfo         the SECINFO pages are added with (EADD at load, or the permissions an EDMM
 *                        commit gives them later)
 * @param measured        EEXTENDed after EADD (TCS, SSA, stacks, thread data, LibOS image);
 *                        heap and reserved memory are EADD-only, as in the SGX SDK
 * @param committedAtLoad EADDed by the loader; false for guard pages and the EDMM regions
 * @param content         what each page holds when added
 */
public record Region(RegionKind kind, int thread, long offset, long size, SecInfo secInfo, boolean measured,
                     boolean committedAtLoad, PageSource content) {

    public Region {
        if (!Pages.isAligned(offset) || !Pages.isAligned(size) || size <= 0) {
            throw new IllegalArgumentException("region " + kind + " at 0x" + Long.toHexString(offset) + " of 0x"
                    + Long.toHexString(size) + " bytes is not a positive run of whole pages");
        }
        if (measured && !committedAtLoad) {
            throw new IllegalArgumentException("region " + kind + " is measured but not added at load");
        }
    }

    public long end() {
        return offset + size;
    }

    public long pages() {
        return size / Pages.SIZE;
    }

    /** "thread[3].stack", "kernel-heap", ... */
    public String name() {
        String base = switch (kind) {
            case LIBOS_TEXT -> "libos.text";
            case LIBOS_DATA -> "libos.data";
            case KERNEL_HEAP -> "kernel-heap";
            case KERNEL_HEAP_DYNAMIC -> "kernel-heap.dynamic";
            case GUARD -> "guard";
            case STACK -> "stack";
            case TCS -> "tcs";
            case SSA -> "ssa";
            case THREAD_DATA -> "thread-data";
            case TCS_POOL -> "tcs-pool";
            case RESERVED_USER -> "reserved-user-memory";
            case USER_REGION -> "user-region";
        };
        return thread >= 0 ? "thread[" + thread + "]." + base : base;
    }

    @Override
    public String toString() {
        return String.format("%-28s 0x%012x-0x%012x %s%s%s", name(), offset, end(), SecInfo.permString(secInfo.perms()),
                measured ? " measured" : "", committedAtLoad ? " at-load" : kind.dynamic() ? " on-demand" : "");
    }
}
