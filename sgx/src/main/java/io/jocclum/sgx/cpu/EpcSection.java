package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Pages;

/**
 * One EPC section as CPUID leaf 0x12 reports it: a physically contiguous range of EPC frames.
 *
 * @param index    section number (the kernel keeps at most SGX_MAX_EPC_SECTIONS = 8)
 * @param firstPfn global index of the section's first frame
 * @param pages    number of 4 KiB frames
 * @param physBase simulated physical address of the first frame
 */
public record EpcSection(int index, long firstPfn, long pages, long physBase) {
    public long bytes() {
        return Pages.bytes(pages);
    }

    public boolean contains(long pfn) {
        return pfn >= firstPfn && pfn < firstPfn + pages;
    }
}
