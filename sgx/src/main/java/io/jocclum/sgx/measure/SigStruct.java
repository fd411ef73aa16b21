package io.jocclum.sgx.measure;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.LittleEndian;
import io.jocclum.sgx.arch.Sgx;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * SIGSTRUCT (SDM Vol. 3D, 34.14): the 1808-byte enclave signature structure checked by EINIT.
 *
 * <p>Layout (offset, size): HEADER (0, 16), VENDOR (16, 4), DATE (20, 4), HEADER2 (24, 16),
 * SWDEFINED (40, 4), reserved (44, 84), MODULUS (128, 384), EXPONENT (512, 4), SIGNATURE (516, 384),
 * MISCSELECT (900, 4), MISCMASK (904, 4), CET_ATTRIBUTES (908, 1), CET_ATTRIBUTES_MASK (909, 1),
 * reserved (910, 2), ISVFAMILYID (912, 16), ATTRIBUTES (928, 16), ATTRIBUTEMASK (944, 16),
 * ENCLAVEHASH (960, 32), reserved (992, 16), ISVEXTPRODID (1008, 16), ISVPRODID (1024, 2),
 * ISVSVN (1026, 2), reserved (1028, 12), Q1 (1040, 384), Q2 (1424, 384). Integers and the RSA
 * numbers are little-endian.
 *
 * <p>The signature is RSASSA-PKCS1-v1_5 with SHA-256 over bytes [0, 128) followed by [900, 1028);
 * the key is RSA-3072 with public exponent 3. Q1 = floor(S^2 / M) and Q2 = floor((S^3 - Q1*S*M) / M)
 * let EINIT verify without division. MRSIGNER is SHA-256 of the 384-byte little-endian modulus.
 */
public record SigStruct(
        int vendor,
        int date,
        int swDefined,
        int miscSelect,
        int miscMask,
        byte[] isvFamilyId,
        Attributes attributes,
        Attributes attributeMask,
        byte[] enclaveHash,
        byte[] isvExtProdId,
        int isvProdId,
        int isvSvn,
        byte[] modulus,
        byte[] signature) {

    static final byte[] HEADER = HexFormat.of().parseHex("06000000E10000000000010000000000");
    static final byte[] HEADER2 = HexFormat.of().parseHex("01010000600000006000000001000000");
    public static final int RSA_BYTES = 384;
    public static final int EXPONENT = 3;

    public SigStruct {
        isvFamilyId = check("ISVFAMILYID", isvFamilyId, 16);
        isvExtProdId = check("ISVEXTPRODID", isvExtProdId, 16);
        enclaveHash = check("ENCLAVEHASH", enclaveHash, 32);
        if (modulus != null) {
            modulus = check("MODULUS", modulus, RSA_BYTES);
        }
        if (signature != null) {
            signature = check("SIGNATURE", signature, RSA_BYTES);
        }
        if (isvProdId < 0 || isvProdId > 0xFFFF) {
            throw new IllegalArgumentException("ISVPRODID " + isvProdId + " does not fit 16 bits");
        }
        if (isvSvn < 0 || isvSvn > 0xFFFF) {
            throw new IllegalArgumentException("ISVSVN " + isvSvn + " does not fit 16 bits");
        }
    }

    /** An unsigned SIGSTRUCT body; {@link #sign} fills MODULUS, SIGNATURE, Q1 and Q2. */
    public static SigStruct unsigned(int date, int miscSelect, int miscMask, byte[] isvFamilyId,
                                     Attributes attributes, Attributes attributeMask, byte[] enclaveHash,
                                     byte[] isvExtProdId, int isvProdId, int isvSvn) {
        return new SigStruct(0, date, 0, miscSelect, miscMask, isvFamilyId, attributes, attributeMask,
                enclaveHash, isvExtProdId, isvProdId, isvSvn, null, null);
    }

    /** Signs with an RSA-3072 key whose public exponent is 3. */
    public SigStruct sign(RSAPrivateCrtKey key) {
        if (key.getModulus().bitLength() != 3072) {
            throw new IllegalArgumentException("SIGSTRUCT keys are RSA-3072, this key has "
                    + key.getModulus().bitLength() + " bits");
        }
        if (!key.getPublicExponent().equals(BigInteger.valueOf(EXPONENT))) {
            throw new IllegalArgumentException("SIGSTRUCT keys have public exponent 3, this key has "
                    + key.getPublicExponent());
        }
        byte[] mod = toLittleEndian(key.getModulus());
        SigStruct withKey = new SigStruct(vendor, date, swDefined, miscSelect, miscMask, isvFamilyId, attributes,
                attributeMask, enclaveHash, isvExtProdId, isvProdId, isvSvn, mod, new byte[RSA_BYTES]);
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(withKey.signedBytes());
            byte[] sigBe = s.sign();
            return new SigStruct(vendor, date, swDefined, miscSelect, miscMask, isvFamilyId, attributes,
                    attributeMask, enclaveHash, isvExtProdId, isvProdId, isvSvn, mod, reverse(sigBe));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA signing failed: " + e.getMessage(), e);
        }
    }

    public boolean isSigned() {
        return modulus != null && signature != null;
    }

    /** MRSIGNER: SHA-256 of the little-endian modulus. */
    public byte[] mrSigner() {
        requireSigned();
        return sha256(modulus);
    }

    /**
     * Verifies the signature the way EINIT does (RSA with exponent 3, PKCS#1 v1.5 SHA-256) and the
     * Q1/Q2 helpers of the encoded form.
     */
    public boolean verify() {
        if (!isSigned()) {
            return false;
        }
        try {
            BigInteger m = new BigInteger(1, reverse(modulus));
            RSAPublicKey pub = (RSAPublicKey) java.security.KeyFactory.getInstance("RSA")
                    .generatePublic(new RSAPublicKeySpec(m, BigInteger.valueOf(EXPONENT)));
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(pub);
            s.update(signedBytes());
            return s.verify(reverse(signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** The 256 bytes covered by the signature: [0, 128) and [900, 1028) of the encoding. */
    public byte[] signedBytes() {
        byte[] all = encode(false);
        byte[] out = new byte[256];
        System.arraycopy(all, 0, out, 0, 128);
        System.arraycopy(all, 900, out, 128, 128);
        return out;
    }

    /** The 1808-byte encoding. */
    public byte[] toBytes() {
        requireSigned();
        return encode(true);
    }

    private byte[] encode(boolean withQ) {
        byte[] b = new byte[Sgx.SIGSTRUCT_SIZE];
        System.arraycopy(HEADER, 0, b, 0, 16);
        LittleEndian.put(b, 16, vendor, 4);
        LittleEndian.put(b, 20, date, 4);
        System.arraycopy(HEADER2, 0, b, 24, 16);
        LittleEndian.put(b, 40, swDefined, 4);
        if (modulus != null) {
            System.arraycopy(modulus, 0, b, 128, RSA_BYTES);
        }
        LittleEndian.put(b, 512, EXPONENT, 4);
        if (signature != null) {
            System.arraycopy(signature, 0, b, 516, RSA_BYTES);
        }
        LittleEndian.put(b, 900, miscSelect, 4);
        LittleEndian.put(b, 904, miscMask, 4);
        System.arraycopy(isvFamilyId, 0, b, 912, 16);
        System.arraycopy(attributes.toBytes(), 0, b, 928, 16);
        System.arraycopy(attributeMask.toBytes(), 0, b, 944, 16);
        System.arraycopy(enclaveHash, 0, b, 960, 32);
        System.arraycopy(isvExtProdId, 0, b, 1008, 16);
        LittleEndian.put(b, 1024, isvProdId, 2);
        LittleEndian.put(b, 1026, isvSvn, 2);
        if (withQ && modulus != null && signature != null) {
            BigInteger m = new BigInteger(1, reverse(modulus));
            BigInteger s = new BigInteger(1, reverse(signature));
            BigInteger q1 = s.multiply(s).divide(m);
            BigInteger q2 = s.multiply(s).multiply(s).subtract(q1.multiply(s).multiply(m)).divide(m);
            System.arraycopy(toLittleEndian(q1), 0, b, 1040, RSA_BYTES);
            System.arraycopy(toLittleEndian(q2), 0, b, 1424, RSA_BYTES);
        }
        return b;
    }

    /** Parses an encoded SIGSTRUCT; {@code IllegalArgumentException} if the size or headers are wrong. */
    public static SigStruct parse(byte[] b) {
        if (b.length != Sgx.SIGSTRUCT_SIZE) {
            throw new IllegalArgumentException("a SIGSTRUCT has 1808 bytes, got " + b.length);
        }
        if (!Arrays.equals(b, 0, 16, HEADER, 0, 16) || !Arrays.equals(b, 24, 40, HEADER2, 0, 16)) {
            throw new IllegalArgumentException("SIGSTRUCT header fields do not have their architectural values");
        }
        if (LittleEndian.get(b, 512, 4) != EXPONENT) {
            throw new IllegalArgumentException("SIGSTRUCT exponent is " + LittleEndian.get(b, 512, 4) + ", must be 3");
        }
        return new SigStruct(LittleEndian.getInt(b, 16), LittleEndian.getInt(b, 20), LittleEndian.getInt(b, 40),
                LittleEndian.getInt(b, 900), LittleEndian.getInt(b, 904), Arrays.copyOfRange(b, 912, 928),
                new Attributes(LittleEndian.getLong(b, 928), LittleEndian.getLong(b, 936)),
                new Attributes(LittleEndian.getLong(b, 944), LittleEndian.getLong(b, 952)),
                Arrays.copyOfRange(b, 960, 992), Arrays.copyOfRange(b, 1008, 1024), LittleEndian.getUnsignedShort(b, 1024),
                LittleEndian.getUnsignedShort(b, 1026), Arrays.copyOfRange(b, 128, 512), Arrays.copyOfRange(b, 516, 900));
    }

    /** DATE as the SDM encodes it: BCD yyyymmdd, e.g. 2026-11-22 is 0x20261122. */
    public static int bcdDate(int year, int month, int day) {
        return Integer.parseInt(String.format("%04d%02d%02d", year, month, day), 16);
    }

    private void requireSigned() {
        if (!isSigned()) {
            throw new IllegalStateException("SIGSTRUCT is not signed yet");
        }
    }

    private static byte[] check(String field, byte[] v, int len) {
        if (v == null || v.length != len) {
            throw new IllegalArgumentException(field + " must have " + len + " bytes");
        }
        return v.clone();
    }

    static byte[] reverse(byte[] in) {
        byte[] out = new byte[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = in[in.length - 1 - i];
        }
        return out;
    }

    static byte[] toLittleEndian(BigInteger v) {
        byte[] be = v.toByteArray();
        byte[] le = new byte[RSA_BYTES];
        for (int i = 0; i < be.length && i < RSA_BYTES; i++) {
            le[i] = be[be.length - 1 - i];
        }
        return le;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SigStruct other && Arrays.equals(encode(true), other.encode(true));
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode(false));
    }

    @Override
    public String toString() {
        return "SigStruct[enclaveHash=" + HexFormat.of().formatHex(enclaveHash) + ", prodId=" + isvProdId
                + ", svn=" + isvSvn + ", signed=" + isSigned() + "]";
    }
}
