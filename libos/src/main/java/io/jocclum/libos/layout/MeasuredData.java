package io.jocclum.libos.layout;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.image.SecsParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The LibOS's measured data pages (region {@code libos.data}): everything the LibOS needs to know
 * about itself at boot, covered by MRENCLAVE. Its only inputs are the LibOS version, the image
 * digest, the internal config's bytes and the layout itself, so a comment in Occlum.json changes
 * nothing while any configuration value or image byte changes MRENCLAVE.
 *
 * <p>Format (little-endian):
 * <pre>
 * offset size
 *   0     8   magic "JOCCLUM\0"
 *   8     4   format version (1)
 *  12     4   header size (176)
 *  16    32   LibOS version, ASCII, NUL-padded
 *  48    32   image digest (SHA-256, see ImageDigest)
 *  80     8   internal config offset in this blob
 *  88     8   internal config length
 *  96     8   layout table offset in this blob
 * 104     4   region count
 * 108     4   region entry size (40)
 * 112     8   SECS.SIZE
 * 120     4   SSAFRAMESIZE (pages)
 * 124     4   MISCSELECT
 * 128     8   ATTRIBUTES.FLAGS
 * 136     8   ATTRIBUTES.XFRM
 * 144     4   NSSA per TCS
 * 148     4   1 on the EDMM path, else 0
 * 152     8   thread context size (guard + stack + TCS + SSA + thread data)
 * 160     4   TCSNum (contexts added at load)
 * 164     4   TCSMaxNum
 * 168     8   reserved, zero
 * 176     .   internal config bytes, then the table (8-byte aligned)
 * table entry: offset 8, size 8, SECINFO.FLAGS 8, kind code 4, flags 4 (bit 0 measured,
 *              bit 1 added at load), thread index 4 (0xFFFFFFFF for none), reserved 4
 * </pre>
 */
public record MeasuredData(String libosVersion, byte[] imageDigest, byte[] internalConfig, SecsParams secs, int nssa,
                           boolean edmm, long threadContextSize, int tcsNum, int tcsMaxNum, List<Entry> regions) {

    static final byte[] MAGIC = "JOCCLUM\0".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT = 1;
    static final int HEADER = 176;
    static final int ENTRY = 40;

    /** One row of the layout table. */
    public record Entry(RegionKind kind, int thread, long offset, long size, SecInfo secInfo, boolean measured,
                        boolean committedAtLoad) {
    }

    public MeasuredData {
        imageDigest = imageDigest.clone();
        internalConfig = internalConfig.clone();
        regions = List.copyOf(regions);
        if (imageDigest.length != 32) {
            throw new IllegalArgumentException("the image digest is a SHA-256 (32 bytes), got " + imageDigest.length);
        }
    }

    /** The size of the encoding for a config of {@code configLength} bytes and {@code regionCount} regions. */
    static long encodedSize(int configLength, int regionCount) {
        return tableOffset(configLength) + (long) regionCount * ENTRY;
    }

    private static long tableOffset(int configLength) {
        return (HEADER + configLength + 7L) & ~7L;
    }

    public byte[] encode() {
        long size = encodedSize(internalConfig.length, regions.size());
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the measured data would need " + size + " bytes");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT).putInt(HEADER);
        byte[] v = Arrays.copyOf(libosVersion.getBytes(StandardCharsets.US_ASCII), 32);
        b.put(v).put(imageDigest);
        b.putLong(HEADER).putLong(internalConfig.length).putLong(tableOffset(internalConfig.length))
                .putInt(regions.size()).putInt(ENTRY);
        b.putLong(secs.size()).putInt(secs.ssaFrameSize()).putInt(secs.miscSelect())
                .putLong(secs.attributes().flags()).putLong(secs.attributes().xfrm());
        b.putInt(nssa).putInt(edmm ? 1 : 0).putLong(threadContextSize).putInt(tcsNum).putInt(tcsMaxNum).putLong(0);
        b.put(internalConfig);
        b.position((int) tableOffset(internalConfig.length));
        for (Entry e : regions) {
            b.putLong(e.offset()).putLong(e.size()).putLong(e.secInfo().flags()).putInt(e.kind().code())
                    .putInt((e.measured() ? 1 : 0) | (e.committedAtLoad() ? 2 : 0)).putInt(e.thread()).putInt(0);
        }
        return b.array();
    }

    /** Decodes {@link #encode()}'s output (trailing zero padding allowed); {@code IllegalArgumentException} if malformed. */
    public static MeasuredData decode(byte[] data) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException("the LibOS data does not start with JOCCLUM");
            }
            int format = b.getInt();
            if (format != FORMAT) {
                throw new IllegalArgumentException("LibOS data format " + format + ", this LibOS reads " + FORMAT);
            }
            b.getInt();
            byte[] v = new byte[32];
            b.get(v);
            int n = 0;
            while (n < 32 && v[n] != 0) {
                n++;
            }
            byte[] digest = new byte[32];
            b.get(digest);
            long cfgOff = b.getLong();
            long cfgLen = b.getLong();
            long tabOff = b.getLong();
            int count = b.getInt();
            int entrySize = b.getInt();
            if (entrySize != ENTRY) {
                throw new IllegalArgumentException("layout table entries of " + entrySize + " bytes, expected " + ENTRY);
            }
            long secsSize = b.getLong();
            int ssa = b.getInt();
            int misc = b.getInt();
            Attributes attrs = new Attributes(b.getLong(), b.getLong());
            int nssa = b.getInt();
            boolean edmm = b.getInt() != 0;
            long ctx = b.getLong();
            int tcsNum = b.getInt();
            int tcsMax = b.getInt();
            byte[] cfg = Arrays.copyOfRange(data, Math.toIntExact(cfgOff), Math.toIntExact(cfgOff + cfgLen));
            b.position(Math.toIntExact(tabOff));
            List<Entry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long off = b.getLong();
                long size = b.getLong();
                SecInfo si = new SecInfo(b.getLong());
                RegionKind kind = RegionKind.fromCode(b.getInt());
                int flags = b.getInt();
                int thread = b.getInt();
                b.getInt();
                entries.add(new Entry(kind, thread, off, size, si, (flags & 1) != 0, (flags & 2) != 0));
            }
            return new MeasuredData(new String(v, 0, n, StandardCharsets.US_ASCII), digest, cfg,
                    new SecsParams(secsSize, ssa, attrs, misc), nssa, edmm, ctx, tcsNum, tcsMax, entries);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException | ArithmeticException e) {
            throw new IllegalArgumentException("the LibOS data is truncated or inconsistent: " + e);
        }
    }

    @Override
    public byte[] imageDigest() {
        return imageDigest.clone();
    }

    @Override
    public byte[] internalConfig() {
        return internalConfig.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MeasuredData m && Arrays.equals(encode(), m.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }
}
