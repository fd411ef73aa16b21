package io.jocclum.sgx.arch;

/** Field helpers for the SDM structures of this package (byte order: {@link LittleEndian}). */
final class Fields {
    private Fields() {
    }

    static byte[] copy(byte[] b, int at, int len) {
        return java.util.Arrays.copyOfRange(b, at, at + len);
    }

    static boolean allZero(byte[] b, int at, int len) {
        for (int i = at; i < at + len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    static byte[] check(String field, byte[] v, int len) {
        if (v == null || v.length != len) {
            throw new IllegalArgumentException(field + " must have " + len + " bytes, got "
                    + (v == null ? "null" : v.length));
        }
        return v.clone();
    }

    static Attributes attributes(byte[] b, int at) {
        return new Attributes(LittleEndian.getLong(b, at), LittleEndian.getLong(b, at + 8));
    }

    static void putAttributes(byte[] b, int at, Attributes a) {
        LittleEndian.putLong(b, at, a.flags());
        LittleEndian.putLong(b, at + 8, a.xfrm());
    }
}
