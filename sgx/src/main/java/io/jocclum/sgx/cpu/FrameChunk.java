package io.jocclum.sgx.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The state of 4096 consecutive EPC frames, kept in primitive arrays indexed by the frame's place in
 * the chunk: what the enclave access path reads for every page it touches.
 *
 * <p>Design. Per frame: the EPCM flag word ({@code epcm}, the layout of {@link EpcFrame}'s
 * {@code EPCM_*} bits), the pin counter with the BLOCKED, FENCED and EXCL bits, the WRITTEN
 * bit, which repeats that every line of the host page is marked dirty, and the accessed bit of the
 * page's mapping ({@code state}),
 * ENCLAVEADDRESS ({@code linaddr}), the owner's enclave ID ({@code owner}), the handle of the host
 * page that holds the contents ({@code host}, {@link HostPagePool#NONE} for an all-zero page), the
 * lines of that page that may be non-zero ({@code dirty}, so that zeroing it touches only those)
 * and the entry's generation ({@code gen}),
 * which every new EPCM entry and every invalidation advances: a translation records the frame
 * number with the generation it was made at (see {@link Epc#translation}), so one int compare
 * tells the access path that the frame still holds the entry the translation was made for (same
 * owner, same linear address), without loading the owner and the address. A run of pages held in consecutive
 * frames is then checked by walking these arrays in step (a few cache lines for sixteen frames)
 * instead of loading one object per frame. What only the leaves use (the SECS state, the VA slots,
 * the owner's {@link EnclaveControl}, the epochs) stays in the {@link EpcFrame} objects, which are
 * created on first use, as the chunk is.
 *
 * <p>Memory ordering: {@code gen}, {@code linaddr} and {@code owner} are written before the store of
 * {@code epcm} and read after its acquire load; {@code state} is updated atomically only; {@code
 * host} is published with a CAS or a release store. The leaves update a frame under its
 * {@link EpcFrame}'s monitor.
 */
final class FrameChunk {
    static final int SHIFT = 12;
    static final int SIZE = 1 << SHIFT;
    static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    final int[] epcm = new int[SIZE];
    final int[] state = new int[SIZE];
    final long[] linaddr = new long[SIZE];
    final long[] owner = new long[SIZE];
    /** The host pages' handles in 32 bits ({@link HostPagePool#compact}): 16 frames' on one cache line. */
    final int[] host = new int[SIZE];
    /**
     * The lines of the host page that may hold non-zero bytes ({@link HostPagePool#lines}): 0 while
     * {@code host} is {@link HostPagePool#NONE}; only grows while the frame holds that page (marked
     * before a store into it), and goes back to 0 when the page is given back.
     */
    final long[] dirty = new long[SIZE];
    final int[] gen = new int[SIZE];
    final AtomicReferenceArray<EpcFrame> frames = new AtomicReferenceArray<>(SIZE);
}
