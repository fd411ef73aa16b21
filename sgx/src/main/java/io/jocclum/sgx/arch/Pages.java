package io.jocclum.sgx.arch;

/**
 * The 4 KiB page: the EPC page of SGX (SDM Vol. 3D, chapter 34: the EPC is made of 4 KiB pages)
 * and the x86-64 base page that the kernel's {@code PAGE_SIZE}, {@code PAGE_SHIFT} and
 * {@code PAGE_MASK} name (arch/x86/include/asm/page_types.h). Every module above sgx (libos,
 * bench, cli) takes page sizes, masks and rounding from here. The guest API keeps its own
 * {@code io.jocclum.api.Mman.PAGE_SIZE}: guest programs do not see this module.
 *
 * <p>All arithmetic is on 64-bit values read as addresses or lengths; {@link #up} wraps past
 * 2<sup>64</sup> to 0 as the kernel's {@code PAGE_ALIGN} does, {@link #upExact} refuses to.
 */
public final class Pages {
    /** Bytes in a page ({@code PAGE_SIZE}). */
    public static final int SIZE = 4096;
    /** log2 of {@link #SIZE} ({@code PAGE_SHIFT}). */
    public static final int SHIFT = 12;
    /** The offset bits of an address within its page: {@code SIZE - 1} (4095, 0xFFF). */
    public static final int OFFSET_MASK = SIZE - 1;
    /** The page bits of an address, as the kernel's {@code PAGE_MASK}: {@code ~(SIZE - 1)}. */
    public static final long MASK = ~(long) OFFSET_MASK;

    private Pages() {
    }

    /** True if {@code value} is a multiple of {@link #SIZE} (for a negative value: of its two's complement). */
    public static boolean isAligned(long value) {
        return (value & OFFSET_MASK) == 0;
    }

    /** The start of the page holding {@code address}. */
    public static long down(long address) {
        return address & MASK;
    }

    /** Rounds up to a page multiple ({@code PAGE_ALIGN}); a value within a page of 2<sup>64</sup> wraps to 0. */
    public static long up(long value) {
        return (value + OFFSET_MASK) & MASK;
    }

    /** Rounds up to a page multiple; {@code ArithmeticException} when that exceeds {@code Long.MAX_VALUE}. */
    public static long upExact(long value) {
        return Math.addExact(value, OFFSET_MASK) & MASK;
    }

    /** The offset of {@code address} within its page, 0 to {@link #OFFSET_MASK}. */
    public static int offset(long address) {
        return (int) (address & OFFSET_MASK);
    }

    /** The page index of a byte offset or address (unsigned: {@code value >>> SHIFT}). */
    public static long index(long value) {
        return value >>> SHIFT;
    }

    /** The whole pages in {@code bytes} (unsigned, rounding down: {@code bytes >>> SHIFT}). */
    public static long count(long bytes) {
        return bytes >>> SHIFT;
    }

    /** The pages needed to hold {@code bytes} (unsigned, rounding up). */
    public static long countUp(long bytes) {
        return (bytes >>> SHIFT) + ((bytes & OFFSET_MASK) == 0 ? 0 : 1);
    }

    /** The bytes in {@code pages} pages ({@code pages << SHIFT}, as {@code pages * SIZE} wrapping). */
    public static long bytes(long pages) {
        return pages << SHIFT;
    }
}
