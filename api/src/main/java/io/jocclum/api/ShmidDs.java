package io.jocclum.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * x86_64 {@code struct shmid_ds} (the 64-bit {@code struct shmid64_ds} of
 * {@code include/uapi/asm-generic/shmbuf.h} with {@code struct ipc64_perm}), 112 bytes, as
 * {@code shmctl(IPC_STAT)} writes it and {@code shmctl(IPC_SET)} reads it. Times are seconds
 * since the epoch.
 *
 * <pre>
 * off size field            off size field
 *   0  4  shm_perm.key        48  8  shm_segsz
 *   4  4  shm_perm.uid        56  8  shm_atime
 *   8  4  shm_perm.gid        64  8  shm_dtime
 *  12  4  shm_perm.cuid       72  8  shm_ctime
 *  16  4  shm_perm.cgid       80  4  shm_cpid
 *  20  4  shm_perm.mode       84  4  shm_lpid
 *  24  2  shm_perm.seq        88  8  shm_nattch
 *  26..47 padding, unused     96..111 unused
 * </pre>
 */
public record ShmidDs(int key, int uid, int gid, int cuid, int cgid, int mode, int seq, long segsz,
                      long atime, long dtime, long ctime, int cpid, int lpid, long nattch) {
    /** {@code sizeof(struct shmid_ds)} on x86_64. */
    public static final int SIZE = 112;

    /** The 112 bytes of the structure. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, key).putInt(4, uid).putInt(8, gid).putInt(12, cuid).putInt(16, cgid).putInt(20, mode)
                .putShort(24, (short) seq).putLong(48, segsz).putLong(56, atime).putLong(64, dtime).putLong(72, ctime)
                .putInt(80, cpid).putInt(84, lpid).putLong(88, nattch);
        return b.array();
    }

    /** Decodes the structure from {@code bytes} (at least {@link #SIZE} long). */
    public static ShmidDs decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        return new ShmidDs(b.getInt(0), b.getInt(4), b.getInt(8), b.getInt(12), b.getInt(16), b.getInt(20),
                Short.toUnsignedInt(b.getShort(24)), b.getLong(48), b.getLong(56), b.getLong(64), b.getLong(72),
                b.getInt(80), b.getInt(84), b.getLong(88));
    }

    /** Reads the structure at guest address {@code addr}. */
    public static ShmidDs load(Syscalls sys, long addr) {
        byte[] b = new byte[SIZE];
        sys.loadBytes(addr, b, 0, SIZE);
        return decode(b);
    }

    /** Writes the structure at guest address {@code addr}. */
    public void store(Syscalls sys, long addr) {
        byte[] b = encode();
        sys.storeBytes(addr, b, 0, SIZE);
    }

    /** The permission bits of {@code shm_perm.mode} (0777). */
    public int permissions() {
        return mode & 0777;
    }
}
