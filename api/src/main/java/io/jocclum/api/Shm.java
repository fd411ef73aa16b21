package io.jocclum.api;

/**
 * System V shared memory constants, Linux x86_64 values ({@code include/uapi/linux/ipc.h},
 * {@code include/uapi/linux/shm.h}), and the limits the LibOS applies.
 */
public final class Shm {
    private Shm() {
    }

    /** The key that always creates a new segment. */
    public static final int IPC_PRIVATE = 0;
    public static final int IPC_CREAT = 01000;
    public static final int IPC_EXCL = 02000;
    public static final int IPC_NOWAIT = 04000;

    public static final int IPC_RMID = 0;
    public static final int IPC_SET = 1;
    public static final int IPC_STAT = 2;
    public static final int IPC_INFO = 3;
    /** Or-ed into the command by glibc ("new" 64-bit structures); accepted and ignored. */
    public static final int IPC_64 = 0x0100;

    public static final int SHM_LOCK = 11;
    public static final int SHM_UNLOCK = 12;
    public static final int SHM_STAT = 13;
    public static final int SHM_INFO = 14;
    public static final int SHM_STAT_ANY = 15;

    /** shmat: attach read-only. */
    public static final int SHM_RDONLY = 010000;
    /** shmat: round the address down to SHMLBA. */
    public static final int SHM_RND = 020000;
    /** shmat: take over an existing mapping at the address. */
    public static final int SHM_REMAP = 040000;
    /** shmat: allow execution. */
    public static final int SHM_EXEC = 0100000;

    /** shmget: huge pages (accepted, ignored). */
    public static final int SHM_HUGETLB = 04000;
    /** shmget: no swap reservation (accepted, ignored). */
    public static final int SHM_NORESERVE = 010000;

    /** In {@code shm_perm.mode}: the segment is marked for removal (IPC_RMID while attached). */
    public static final int SHM_DEST = 01000;
    /** In {@code shm_perm.mode}: the segment is locked (SHM_LOCK). */
    public static final int SHM_LOCKED = 02000;

    /** Smallest segment (SHMMIN). */
    public static final long SHMMIN = 1;
    /** Largest segment (SHMMAX default, ULONG_MAX - 2^24; as an unsigned value). */
    public static final long SHMMAX = -1L - (1L << 24);
    /** Most segments at once (SHMMNI). */
    public static final int SHMMNI = 4096;
    /** SHMLBA on x86: attach addresses are multiples of the page size. */
    public static final long SHMLBA = 4096;
}
