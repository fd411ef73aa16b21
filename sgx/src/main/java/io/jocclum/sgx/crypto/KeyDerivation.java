package io.jocclum.sgx.crypto;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.LittleEndian;

/**
 * The key-derivation buffer EGETKEY (and EREPORT, for the target's REPORT key) feeds to AES-CMAC
 * (after SDM Vol. 3D, EGETKEY "Key derivation"). Fields the key policy or key name excludes are zero.
 * Encoding (little-endian): KEYNAME (2), ISVPRODID (2), ISVSVN (2), CONFIGSVN (2), OWNEREPOCH (16),
 * ATTRIBUTES (16), ATTRIBUTEMASK (16), MRENCLAVE (32), MRSIGNER (32), KEYID (32), CPUSVN (16),
 * MISCSELECT (4), MISCMASK (4), CONFIGID (64), ISVFAMILYID (16), ISVEXTPRODID (16).
 */
public record KeyDerivation(int keyName, int isvProdId, int isvSvn, int configSvn, byte[] ownerEpoch,
                            Attributes attributes, Attributes attributeMask, byte[] mrEnclave, byte[] mrSigner,
                            byte[] keyId, byte[] cpuSvn, int miscSelect, int miscMask, byte[] configId,
                            byte[] isvFamilyId, byte[] isvExtProdId) {

    public byte[] toBytes() {
        byte[] b = new byte[278];
        int p = 0;
        p = le(b, p, keyName, 2);
        p = le(b, p, isvProdId, 2);
        p = le(b, p, isvSvn, 2);
        p = le(b, p, configSvn, 2);
        p = put(b, p, ownerEpoch, 16);
        p = le(b, p, attributes.flags(), 8);
        p = le(b, p, attributes.xfrm(), 8);
        p = le(b, p, attributeMask.flags(), 8);
        p = le(b, p, attributeMask.xfrm(), 8);
        p = put(b, p, mrEnclave, 32);
        p = put(b, p, mrSigner, 32);
        p = put(b, p, keyId, 32);
        p = put(b, p, cpuSvn, 16);
        p = le(b, p, miscSelect, 4);
        p = le(b, p, miscMask, 4);
        p = put(b, p, configId, 64);
        p = put(b, p, isvFamilyId, 16);
        put(b, p, isvExtProdId, 16);
        return b;
    }

    private static int le(byte[] b, int p, long v, int len) {
        LittleEndian.put(b, p, v, len);
        return p + len;
    }

    private static int put(byte[] b, int p, byte[] v, int len) {
        if (v != null) {
            System.arraycopy(v, 0, b, p, Math.min(len, v.length));
        }
        return p + len;
    }
}
