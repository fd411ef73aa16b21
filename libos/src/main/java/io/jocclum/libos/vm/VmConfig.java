package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

/**
 * The VM's policy knobs (all documented in {@code docs/vm.md}). {@link #defaults()} gives the
 * values the LibOS uses; tests and benchmarks vary them.
 *
 * @param multiChunkSize          size of a multi-VMA chunk shared by small mappings (Occlum
 *                                CHUNK_DEFAULT_SIZE = 32 MB)
 * @param smallMappingMax         mappings up to this size go into multi-VMA chunks, larger ones
 *                                get a single-VMA chunk (Occlum: the chunk size)
 * @param arenas                  number of independently locked groups of multi-VMA chunks
 *                                (lock striping; a process starts at arena {@code pid % arenas})
 * @param retainedEmptyChunks     empty multi-VMA chunks an arena keeps for reuse before it
 *                                returns further empty ones to the global free space
 * @param faultWindowInitialPages pages committed by an isolated page fault (Occlum: 1)
 * @param faultWindowMaxPages     cap of the commit window, which doubles on each fault that
 *                                continues a sequential run (up or down) in the same VMA
 * @param trimThresholdBytes      an unmap, brk shrink or MADV_DONTNEED spanning at least this
 *                                many bytes gives the EPC of its committed user-region pages back
 *                                (EMODT to TRIM, EACCEPT, EREMOVE); smaller ones keep the pages
 *                                committed, zeroed, for reuse
 */
public record VmConfig(long multiChunkSize, long smallMappingMax, int arenas, int retainedEmptyChunks,
                       int faultWindowInitialPages, int faultWindowMaxPages, long trimThresholdBytes) {

    /** Occlum's CHUNK_DEFAULT_SIZE (vm_manager.rs). */
    public static final long OCCLUM_CHUNK_SIZE = 32L << 20;

    public VmConfig {
        if (multiChunkSize <= 0 || !Pages.isAligned(multiChunkSize)) {
            throw new IllegalArgumentException("multiChunkSize " + multiChunkSize + " must be a positive multiple of 4096");
        }
        if (smallMappingMax <= 0 || smallMappingMax > multiChunkSize) {
            throw new IllegalArgumentException("smallMappingMax " + smallMappingMax + " must be in 1.." + multiChunkSize);
        }
        if (arenas < 1 || arenas > 256) {
            throw new IllegalArgumentException("arenas " + arenas + " must be in 1..256");
        }
        if (retainedEmptyChunks < 0) {
            throw new IllegalArgumentException("retainedEmptyChunks " + retainedEmptyChunks + " must not be negative");
        }
        if (faultWindowInitialPages < 1 || faultWindowMaxPages < faultWindowInitialPages) {
            throw new IllegalArgumentException("fault window " + faultWindowInitialPages + ".." + faultWindowMaxPages
                    + " must satisfy 1 <= initial <= max");
        }
        if (trimThresholdBytes < Pages.SIZE) {
            throw new IllegalArgumentException("trimThresholdBytes " + trimThresholdBytes + " must be at least one page (4096)");
        }
    }

    /** 32 MB chunks, 4 arenas, 1 retained empty chunk each, fault window 1..64 pages, trim at 1 MB. */
    public static VmConfig defaults() {
        return new VmConfig(OCCLUM_CHUNK_SIZE, OCCLUM_CHUNK_SIZE, 4, 1, 1, 64, 1L << 20);
    }

    public VmConfig withTrimThreshold(long bytes) {
        return new VmConfig(multiChunkSize, smallMappingMax, arenas, retainedEmptyChunks, faultWindowInitialPages, faultWindowMaxPages, bytes);
    }

    public VmConfig withFaultWindow(int initialPages, int maxPages) {
        return new VmConfig(multiChunkSize, smallMappingMax, arenas, retainedEmptyChunks, initialPages, maxPages, trimThresholdBytes);
    }

    public VmConfig withArenas(int n, int retained) {
        return new VmConfig(multiChunkSize, smallMappingMax, n, retained, faultWindowInitialPages, faultWindowMaxPages, trimThresholdBytes);
    }

    public VmConfig withChunks(long chunkSize, long smallMax) {
        return new VmConfig(chunkSize, smallMax, arenas, retainedEmptyChunks, faultWindowInitialPages, faultWindowMaxPages, trimThresholdBytes);
    }
}
