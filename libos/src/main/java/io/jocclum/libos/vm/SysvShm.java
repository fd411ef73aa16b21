package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.Mman;
import io.jocclum.api.Shm;
import io.jocclum.api.ShmidDs;
import io.jocclum.sgx.arch.Pages;

import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * System V shared memory of one LibOS (Linux {@code ipc/shm.c} and {@code ipc/util.c}; Occlum
 * {@code src/libos/src/ipc/shm.rs}): shmget, shmat, shmdt and shmctl with IPC_STAT, IPC_SET
 * and IPC_RMID, Linux's errnos and permission checks ({@code ipcperms}: owner, group, other
 * bits; uid 0 passes as with CAP_IPC_OWNER). A segment is an anonymous {@link SharedSegment},
 * committed on demand, at one address that every attaching process shares; it lives until
 * IPC_RMID and its last detach (process exit detaches).
 *
 * <p>Ids are Linux's: {@code seq * 32768 + index} with index below SHMMNI (4096) and a sequence
 * number bumped per creation, so a stale id of a reused slot is EINVAL. Guarded by the
 * {@link SharedMemory}'s lock (the segments' attach counts live there).
 */
public final class SysvShm {
    /** IPCMNI_SEQ_SHIFT's multiplier (ipc/util.h): id = seq * 32768 + index. */
    static final int SEQ_MULTIPLIER = 32768;

    /** Who calls: the process and its effective ids. uid 0 has CAP_IPC_OWNER and CAP_SYS_ADMIN. */
    public record Cred(int pid, int uid, int gid) {
        boolean privileged() {
            return uid == 0;
        }
    }

    /** One segment's {@code struct shmid_kernel}. */
    private static final class Seg {
        int id;
        int key;
        int uid;
        int gid;
        int cuid;
        int cgid;
        int mode;
        boolean dest;
        long segsz;
        long atime;
        long dtime;
        long ctime;
        int cpid;
        int lpid;
        SharedSegment mem;
    }

    private final SharedMemory shared;
    @GuardedBy("shared.lock")
    private final Seg[] slots = new Seg[Shm.SHMMNI];
    @GuardedBy("shared.lock")
    private int seq;
    @GuardedBy("shared.lock")
    private int nextIndex;
    /** The LibOS sets its wall clock at boot ({@link #clock}); until then segment times are 0. */
    private volatile LongSupplier clock = () -> 0;

    SysvShm(SharedMemory shared) {
        this.shared = shared;
    }

    /** The wall clock (seconds since the epoch) for the segments' times. */
    public void clock(LongSupplier secondsSinceEpoch) {
        this.clock = secondsSinceEpoch;
    }

    /** shmget(2). */
    public int shmget(int key, long size, int flg, Cred c) {
        shared.lock.lock();
        try {
            if (key != Shm.IPC_PRIVATE) {
                Seg s = byKey(key);
                if (s != null) {
                    if ((flg & Shm.IPC_CREAT) != 0 && (flg & Shm.IPC_EXCL) != 0) {
                        throw Errno.EEXIST.exception("key " + key + " exists and IPC_CREAT|IPC_EXCL was given");
                    }
                    if (Long.compareUnsigned(s.segsz, size) < 0) {
                        throw Errno.EINVAL.exception("segment of key " + key + " has " + s.segsz + " bytes, fewer than " + Long.toUnsignedString(size));
                    }
                    if (!permits(s, c, flg)) {
                        throw Errno.EACCES.exception("mode 0" + Integer.toOctalString(s.mode) + " of key " + key + " denies 0" + Integer.toOctalString(flg & 0777));
                    }
                    return s.id;
                }
                if ((flg & Shm.IPC_CREAT) == 0) {
                    throw Errno.ENOENT.exception("no segment has key " + key + " and IPC_CREAT was not given");
                }
            }
            return create(key, size, flg, c);
        } finally {
            shared.lock.unlock();
        }
    }

    @GuardedBy("shared.lock")
    private int create(int key, long size, int flg, Cred c) {
        if (Long.compareUnsigned(size, Shm.SHMMIN) < 0 || Long.compareUnsigned(size, Shm.SHMMAX) > 0) {
            throw Errno.EINVAL.exception("size " + Long.toUnsignedString(size) + " is outside SHMMIN..SHMMAX (1.." + Long.toUnsignedString(Shm.SHMMAX) + ")");
        }
        int index = -1;
        for (int i = 0; i < Shm.SHMMNI; i++) {
            int k = (nextIndex + i) % Shm.SHMMNI;
            if (slots[k] == null) {
                index = k;
                break;
            }
        }
        if (index < 0) {
            throw Errno.ENOSPC.exception("all " + Shm.SHMMNI + " segment ids (SHMMNI) are in use");
        }
        if (Long.compareUnsigned(size, space().layout.totalSize()) > 0) {
            throw Errno.ENOMEM.exception("a segment of " + Long.toUnsignedString(size) + " bytes does not fit in the user space");
        }
        SharedSegment mem = shared.createAnonymous(Pages.up(size));
        Seg s = new Seg();
        seq = (seq + 1) % (Integer.MAX_VALUE / SEQ_MULTIPLIER);
        s.id = seq * SEQ_MULTIPLIER + index;
        s.key = key;
        s.uid = s.cuid = c.uid();
        s.gid = s.cgid = c.gid();
        s.mode = flg & 0777;
        s.segsz = size;
        s.ctime = clock.getAsLong();
        s.cpid = c.pid();
        s.mem = mem;
        int slot = index;
        mem.onRelease = () -> slots[slot] = null;
        mem.label = String.format("/SYSV%08x (deleted)", key);
        mem.onDetach = pid -> {
            s.dtime = clock.getAsLong();
            s.lpid = pid;
        };
        slots[index] = s;
        nextIndex = (index + 1) % Shm.SHMMNI;
        return s.id;
    }

    private UserSpace space() {
        return shared.space;
    }

    /** shmat(2): returns the address the segment is attached at. */
    public long shmat(ProcessVm vm, int shmid, long addr, int flg, Cred c) {
        if (shmid < 0) {
            throw Errno.EINVAL.exception("negative shmid " + shmid);
        }
        if (addr != 0) {
            if ((addr & (Shm.SHMLBA - 1)) != 0) {
                if ((flg & Shm.SHM_RND) == 0) {
                    throw Errno.EINVAL.exception("address 0x" + Long.toHexString(addr) + " is not a multiple of SHMLBA and SHM_RND was not given");
                }
                addr &= ~(Shm.SHMLBA - 1);
                if (addr == 0 && (flg & Shm.SHM_REMAP) != 0) {
                    throw Errno.EINVAL.exception("SHM_REMAP at an address that rounds down to 0");
                }
            }
        } else if ((flg & Shm.SHM_REMAP) != 0) {
            throw Errno.EINVAL.exception("SHM_REMAP without an address");
        }
        int prot = Mman.PROT_READ;
        int acc = 0444;
        if ((flg & Shm.SHM_RDONLY) == 0) {
            prot |= Mman.PROT_WRITE;
            acc |= 0222;
        }
        if ((flg & Shm.SHM_EXEC) != 0) {
            prot |= Mman.PROT_EXEC;
            acc |= 0111;
        }
        SharedSegment mem;
        shared.lock.lock();
        try {
            Seg s = byId(shmid);
            if (!permits(s, c, acc)) {
                throw Errno.EACCES.exception("mode 0" + Integer.toOctalString(s.mode) + " of segment " + shmid + " denies the attach");
            }
            mem = s.mem;
        } finally {
            shared.lock.unlock();
        }
        if (addr != 0 && addr != mem.start) {
            throw Errno.EINVAL.exception("segment " + shmid + " can only be attached at 0x" + Long.toHexString(mem.start)
                    + " (all processes share one address space)");
        }
        long at = vm.attachSegment(mem, prot);
        shared.lock.lock();
        try {
            Seg s = byIdOrNull(shmid);
            if (s != null) {
                s.atime = clock.getAsLong();
                s.lpid = c.pid();
            }
        } finally {
            shared.lock.unlock();
        }
        return at;
    }

    /** shmdt(2). */
    public void shmdt(ProcessVm vm, long addr) {
        if (!Pages.isAligned(addr)) {
            throw Errno.EINVAL.exception("address 0x" + Long.toHexString(addr) + " is not page aligned");
        }
        vm.detachSegment(addr, seg -> seg.onDetach != null);
    }

    /**
     * shmctl(2) with IPC_STAT (the structure is written at {@code buf}), IPC_SET (read from
     * {@code buf}) and IPC_RMID; other commands (IPC_INFO, SHM_INFO, SHM_STAT, SHM_LOCK, ...) are
     * EINVAL. Returns 0.
     */
    public int shmctl(int shmid, int cmd, long buf, Cred c, UserCopy copy) {
        if (cmd < 0 || shmid < 0) {
            throw Errno.EINVAL.exception("negative shmid or command");
        }
        cmd &= ~Shm.IPC_64;
        switch (cmd) {
            case Shm.IPC_STAT -> {
                ShmidDs ds = stat(shmid, c);
                copy.write(buf, ByteBuffer.wrap(ds.encode()));
            }
            case Shm.IPC_SET -> {
                byte[] b = new byte[ShmidDs.SIZE];
                copy.read(buf, b, 0, b.length);
                set(shmid, ShmidDs.decode(b), c);
            }
            case Shm.IPC_RMID -> remove(shmid, c);
            default -> throw Errno.EINVAL.exception("shmctl command " + cmd + " is not supported (IPC_STAT, IPC_SET, IPC_RMID are)");
        }
        return 0;
    }

    /** IPC_STAT: EINVAL for an unknown id, EACCES without read permission. */
    public ShmidDs stat(int shmid, Cred c) {
        shared.lock.lock();
        try {
            Seg s = byId(shmid);
            if (!permits(s, c, 0444)) {
                throw Errno.EACCES.exception("mode 0" + Integer.toOctalString(s.mode) + " of segment " + shmid + " denies reading");
            }
            long nattch = s.mem.users.size();
            int mode = s.mode | (s.dest ? Shm.SHM_DEST : 0);
            return new ShmidDs(s.dest ? Shm.IPC_PRIVATE : s.key, s.uid, s.gid, s.cuid, s.cgid, mode, s.id / SEQ_MULTIPLIER,
                    s.segsz, s.atime, s.dtime, s.ctime, s.cpid, s.lpid, nattch);
        } finally {
            shared.lock.unlock();
        }
    }

    private void set(int shmid, ShmidDs in, Cred c) {
        shared.lock.lock();
        try {
            Seg s = byId(shmid);
            owner(s, c, "IPC_SET");
            if (in.uid() == -1 || in.gid() == -1) {
                throw Errno.EINVAL.exception("uid or gid -1 is not a valid id");
            }
            s.uid = in.uid();
            s.gid = in.gid();
            s.mode = (s.mode & ~0777) | (in.mode() & 0777);
            s.ctime = clock.getAsLong();
        } finally {
            shared.lock.unlock();
        }
    }

    private void remove(int shmid, Cred c) {
        shared.lock.lock();
        try {
            Seg s = byId(shmid);
            owner(s, c, "IPC_RMID");
            s.dest = true;
            shared.unpersist(s.mem);
        } finally {
            shared.lock.unlock();
        }
    }

    /** LibOS shutdown: every segment goes. */
    void destroyAll() {
        shared.destroyAll();
    }

    /** ipcctl_obtain_check: the owner, the creator or CAP_SYS_ADMIN; else EPERM. */
    private static void owner(Seg s, Cred c, String what) {
        if (c.uid() != s.uid && c.uid() != s.cuid && !c.privileged()) {
            throw Errno.EPERM.exception(what + " needs the owner or creator of the segment (uid " + s.uid + "/" + s.cuid + "), not uid " + c.uid());
        }
    }

    /** ipcperms: the owner, group or other bits of the mode cover the requested ones (uid 0 always passes). */
    private static boolean permits(Seg s, Cred c, int flg) {
        int requested = ((flg >> 6) | (flg >> 3) | flg) & 7;
        int granted = s.mode;
        if (c.uid() == s.cuid || c.uid() == s.uid) {
            granted >>= 6;
        } else if (c.gid() == s.cgid || c.gid() == s.gid) {
            granted >>= 3;
        }
        return (granted & requested & 7) == requested || c.privileged();
    }

    @GuardedBy("shared.lock")
    private Seg byKey(int key) {
        for (Seg s : slots) {
            if (s != null && !s.dest && s.key == key) {
                return s;
            }
        }
        return null;
    }

    @GuardedBy("shared.lock")
    private Seg byIdOrNull(int shmid) {
        if (shmid < 0) {
            return null;
        }
        Seg s = slots[(shmid % SEQ_MULTIPLIER) < Shm.SHMMNI ? shmid % SEQ_MULTIPLIER : 0];
        return s != null && s.id == shmid ? s : null;
    }

    @GuardedBy("shared.lock")
    private Seg byId(int shmid) {
        Seg s = byIdOrNull(shmid);
        if (s == null) {
            throw Errno.EINVAL.exception("no segment has id " + shmid);
        }
        return s;
    }
}
