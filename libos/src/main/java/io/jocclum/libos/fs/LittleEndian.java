package io.jocclum.libos.fs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Absolute little-endian loads and stores on any ByteBuffer (guest memory is x86_64
 * little-endian), without touching the buffer's own byte order or position.
 */
public final class LittleEndian {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    public static int getInt(ByteBuffer b, int index) {
        return (int) INT.get(b, index);
    }

    public static void putInt(ByteBuffer b, int index, int v) {
        INT.set(b, index, v);
    }

    public static long getLong(ByteBuffer b, int index) {
        return (long) LONG.get(b, index);
    }

    public static void putLong(ByteBuffer b, int index, long v) {
        LONG.set(b, index, v);
    }
}
