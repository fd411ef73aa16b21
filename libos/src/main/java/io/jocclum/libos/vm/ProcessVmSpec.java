package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

import java.util.List;

/**
 * How to build a process's memory at spawn (Occlum {@code process_vm.rs} ProcessVMBuilder):
 * program images, a brk heap reservation and a stack, each in its own chunk.
 *
 * @param heapSize  bytes reserved for brk (Occlum: {@code process.default_heap_size}, or the
 *                  parent's RLIMIT_DATA); page multiple, may be 0 (then brk never grows)
 * @param stackSize bytes of the main stack, committed at creation; a non-zero page multiple
 * @param images    program image regions, committed at creation and filled from their content
 */
public record ProcessVmSpec(long heapSize, long stackSize, List<ImageSpec> images) {
    public ProcessVmSpec {
        if (heapSize < 0 || !Pages.isAligned(heapSize)) {
            throw new IllegalArgumentException("heap size " + heapSize + " must be a non-negative multiple of 4096");
        }
        if (stackSize <= 0 || !Pages.isAligned(stackSize)) {
            throw new IllegalArgumentException("stack size " + stackSize + " must be a positive multiple of 4096");
        }
        images = List.copyOf(images);
    }

    /** Occlum's defaults when the config has no keys: heap 16 MB, stack 8 MB (config.rs). */
    public static ProcessVmSpec defaults() {
        return new ProcessVmSpec(16L << 20, 8L << 20, List.of());
    }

    /**
     * One program image (an ELF image in Occlum: RWX, committed at creation, loadable segments
     * copied from the file, the rest zero).
     *
     * @param name       for reporting
     * @param size       bytes of the region (rounded up to pages)
     * @param prot       its protection (Occlum uses PROT_READ | PROT_WRITE | PROT_EXEC)
     * @param content    where its initial bytes come from, or null for an all-zero image
     * @param fileOffset offset of the content in {@code content}
     * @param fileSize   bytes of content copied to the start of the region (at most {@code size})
     */
    public record ImageSpec(String name, long size, int prot, MappableFile content, long fileOffset, long fileSize) {
        public ImageSpec {
            if (size <= 0) {
                throw new IllegalArgumentException("image " + name + ": size " + size + " must be positive");
            }
            if (fileSize < 0 || fileSize > size || content == null && fileSize != 0) {
                throw new IllegalArgumentException("image " + name + ": content size " + fileSize + " must be in 0.." + size
                        + (content == null ? " and 0 without content" : ""));
            }
        }
    }
}
