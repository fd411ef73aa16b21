package io.jocclum.sgx.arch;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Little-endian loads and stores: the byte order of x86-64, of the SDM's structures (SECS, TCS,
 * SIGSTRUCT, REPORT, PCMD, KEYREQUEST: "all fields are little-endian", SDM Vol. 3D, chapter 34)
 * and of guest memory. Fixed widths go through byte-array and byte-buffer view {@link VarHandle}s
 * (one load or store each); {@link #get(byte[], int, int)} and {@link #put(byte[], int, long, int)}
 * take the field width as an argument, as the SDM's tables give it. Buffer accesses are absolute
 * and ignore the buffer's own byte order and position. For memory segments use {@link #INT} and
 * {@link #LONG}.
 */
public final class LittleEndian {
    /** An unaligned little-endian {@code short} for {@code MemorySegment} access. */
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** An unaligned little-endian {@code int} for {@code MemorySegment} access. */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** An unaligned little-endian {@code long} for {@code MemorySegment} access. */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final VarHandle ARRAY_SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BUFFER_INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BUFFER_LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    // ------------------------------------------------------------------ byte[]

    /** The unsigned 16-bit value at {@code at}. */
    public static int getUnsignedShort(byte[] b, int at) {
        return (short) ARRAY_SHORT.get(b, at) & 0xFFFF;
    }

    public static int getInt(byte[] b, int at) {
        return (int) ARRAY_INT.get(b, at);
    }

    /** The unsigned 32-bit value at {@code at}. */
    public static long getUnsignedInt(byte[] b, int at) {
        return getInt(b, at) & 0xFFFF_FFFFL;
    }

    public static long getLong(byte[] b, int at) {
        return (long) ARRAY_LONG.get(b, at);
    }

    /** Stores the low 16 bits of {@code v}. */
    public static void putShort(byte[] b, int at, int v) {
        ARRAY_SHORT.set(b, at, (short) v);
    }

    public static void putInt(byte[] b, int at, int v) {
        ARRAY_INT.set(b, at, v);
    }

    public static void putLong(byte[] b, int at, long v) {
        ARRAY_LONG.set(b, at, v);
    }

    /**
     * The unsigned value of the {@code len} bytes (1 to 8) at {@code at}: a structure field of
     * that width, zero-extended.
     */
    public static long get(byte[] b, int at, int len) {
        return switch (len) {
            case 2 -> getUnsignedShort(b, at);
            case 4 -> getUnsignedInt(b, at);
            case 8 -> getLong(b, at);
            default -> {
                checkWidth(len);
                long v = 0;
                for (int i = len - 1; i >= 0; i--) {
                    v = (v << 8) | (b[at + i] & 0xFF);
                }
                yield v;
            }
        };
    }

    /** Stores the low {@code len} bytes (1 to 8) of {@code v} at {@code at}: a structure field of that width. */
    public static void put(byte[] b, int at, long v, int len) {
        switch (len) {
            case 2 -> putShort(b, at, (int) v);
            case 4 -> putInt(b, at, (int) v);
            case 8 -> putLong(b, at, v);
            default -> {
                checkWidth(len);
                for (int i = 0; i < len; i++) {
                    b[at + i] = (byte) (v >>> (8 * i));
                }
            }
        }
    }

    /** The 8 bytes of {@code v}. */
    public static byte[] bytes(long v) {
        byte[] b = new byte[8];
        putLong(b, 0, v);
        return b;
    }

    /** The 16 bytes of {@code low} then {@code high} (a 128-bit field, low half first). */
    public static byte[] bytes(long low, long high) {
        byte[] b = new byte[16];
        putLong(b, 0, low);
        putLong(b, 8, high);
        return b;
    }

    private static void checkWidth(int len) {
        if (len < 1 || len > 8) {
            throw new IllegalArgumentException("a little-endian field has 1 to 8 bytes, got " + len);
        }
    }

    // ------------------------------------------------------------------ ByteBuffer

    public static int getInt(ByteBuffer b, int index) {
        return (int) BUFFER_INT.get(b, index);
    }

    public static void putInt(ByteBuffer b, int index, int v) {
        BUFFER_INT.set(b, index, v);
    }

    public static long getLong(ByteBuffer b, int index) {
        return (long) BUFFER_LONG.get(b, index);
    }

    public static void putLong(ByteBuffer b, int index, long v) {
        BUFFER_LONG.set(b, index, v);
    }
}
