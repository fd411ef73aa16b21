package io.jocclum.dcap.pki;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * A minimal DER reader (ITU-T X.690) for the SGX extension of PCK certificates: tag, definite
 * length, value. Every read is bounds-checked; malformed input raises {@link IllegalArgumentException}.
 */
final class Der {
    static final int BOOLEAN = 0x01;
    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int OID = 0x06;
    static final int ENUMERATED = 0x0A;
    static final int SEQUENCE = 0x30;

    private final byte[] b;
    private int pos;
    private final int end;

    Der(byte[] b) {
        this(b, 0, b.length);
    }

    private Der(byte[] b, int pos, int end) {
        this.b = b;
        this.pos = pos;
        this.end = end;
    }

    boolean more() {
        return pos < end;
    }

    /** One TLV: its tag and value bytes. */
    record Tlv(int tag, byte[] value) {
        Der contents() {
            return new Der(value);
        }

        BigInteger integer() {
            if (tag != INTEGER && tag != ENUMERATED) {
                throw new IllegalArgumentException("expected an INTEGER, found tag 0x" + Integer.toHexString(tag));
            }
            if (value.length == 0) {
                throw new IllegalArgumentException("empty INTEGER");
            }
            return new BigInteger(value);
        }

        byte[] octets() {
            if (tag != OCTET_STRING) {
                throw new IllegalArgumentException("expected an OCTET STRING, found tag 0x" + Integer.toHexString(tag));
            }
            return value.clone();
        }

        boolean bool() {
            if (tag != BOOLEAN || value.length != 1) {
                throw new IllegalArgumentException("expected a BOOLEAN");
            }
            return value[0] != 0;
        }

        String oid() {
            if (tag != OID || value.length == 0) {
                throw new IllegalArgumentException("expected an OBJECT IDENTIFIER");
            }
            StringBuilder s = new StringBuilder();
            long v = 0;
            boolean first = true;
            for (int i = 0; i < value.length; i++) {
                if (v > (Long.MAX_VALUE >> 7)) {
                    throw new IllegalArgumentException("OBJECT IDENTIFIER arc too large");
                }
                v = (v << 7) | (value[i] & 0x7F);
                if ((value[i] & 0x80) == 0) {
                    if (first) {
                        long a = Math.min(v / 40, 2);
                        s.append(a).append('.').append(v - 40 * a);
                        first = false;
                    } else {
                        s.append('.').append(v);
                    }
                    v = 0;
                } else if (i == value.length - 1) {
                    throw new IllegalArgumentException("truncated OBJECT IDENTIFIER");
                }
            }
            return s.toString();
        }
    }

    Tlv next() {
        if (pos + 2 > end) {
            throw new IllegalArgumentException("truncated DER at offset " + pos);
        }
        int tag = b[pos++] & 0xFF;
        if ((tag & 0x1F) == 0x1F) {
            throw new IllegalArgumentException("multi-byte DER tags are not expected");
        }
        int len = b[pos++] & 0xFF;
        if (len >= 0x80) {
            int n = len & 0x7F;
            if (n == 0 || n > 3 || pos + n > end) {
                throw new IllegalArgumentException("bad DER length at offset " + (pos - 1));
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = len << 8 | (b[pos++] & 0xFF);
            }
        }
        if (len > end - pos) {
            throw new IllegalArgumentException("DER value runs past its container at offset " + pos);
        }
        byte[] v = Arrays.copyOfRange(b, pos, pos + len);
        pos += len;
        return new Tlv(tag, v);
    }

    Tlv next(int tag) {
        Tlv t = next();
        if (t.tag != tag) {
            throw new IllegalArgumentException("expected tag 0x" + Integer.toHexString(tag) + ", found 0x"
                    + Integer.toHexString(t.tag));
        }
        return t;
    }
}
