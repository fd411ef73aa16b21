package io.jocclum.sgx.arch;

/** Little-endian field access for the SDM structures of this package. */
final class Le {
    private Le() {
    }

    static void put(byte[] b, int at, long v, int len) {
        for (int i = 0; i < len; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    static long get(byte[] b, int at, int len) {
        long v = 0;
        for (int i = len - 1; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
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
        return new Attributes(get(b, at, 8), get(b, at + 8, 8));
    }

    static void putAttributes(byte[] b, int at, Attributes a) {
        put(b, at, a.flags(), 8);
        put(b, at + 8, a.xfrm(), 8);
    }
}
