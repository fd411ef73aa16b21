package io.jocclum.sgx.image;

import io.jocclum.sgx.arch.Pages;

import java.util.Arrays;

/** The content of each page of a segment (or a LibOS region) as the loader adds it. */
public sealed interface PageSource {

    /** Writes page {@code index} of the segment (4096 bytes) into {@code dst}. */
    void page(long index, byte[] dst);

    /** True when every page has the same content (a loader may fill its buffer once). */
    boolean uniform();

    /** All zero (heap, reserved memory, SSA, uncommitted regions). */
    record Zero() implements PageSource {
        @Override
        public void page(long index, byte[] dst) {
            Arrays.fill(dst, 0, Pages.SIZE, (byte) 0);
        }

        @Override
        public boolean uniform() {
            return true;
        }
    }

    /** Every byte {@code value} (stacks: 0xCC, the SDK's stack fill). */
    record Fill(byte value) implements PageSource {
        @Override
        public void page(long index, byte[] dst) {
            Arrays.fill(dst, 0, Pages.SIZE, value);
        }

        @Override
        public boolean uniform() {
            return true;
        }
    }

    /** {@code data} from the region's start, zero after its end. */
    record Bytes(byte[] data) implements PageSource {
        public Bytes {
            data = data.clone();
        }

        @Override
        public void page(long index, byte[] dst) {
            long from = index * Pages.SIZE;
            int n = (int) Math.max(0, Math.min(Pages.SIZE, data.length - from));
            if (n > 0) {
                System.arraycopy(data, (int) from, dst, 0, n);
            }
            Arrays.fill(dst, n, Pages.SIZE, (byte) 0);
        }

        @Override
        public boolean uniform() {
            return false;
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        /** Bytes of {@link #data()}. */
        public int length() {
            return data.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(data, b.data);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Bytes[" + data.length + "]";
        }
    }

    PageSource ZERO = new Zero();
}
