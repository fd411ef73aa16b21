package io.jocclum.libos.process;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.Errno;
import io.jocclum.api.Rlimit;
import io.jocclum.libos.fs.FdTable;

/**
 * A process's resource limits (Linux {@code signal_struct.rlim}, kernel/sys.c {@code do_prlimit}),
 * inherited by spawned children.
 *
 * <p>RLIMIT_NOFILE's soft limit lives in the {@link FdTable}, which enforces it (EMFILE for new
 * descriptors, EBADF for dup2 targets above it); its hard limit here. The other limits are kept
 * and reported: RLIMIT_STACK starts at {@code process.default_stack_size}, RLIMIT_DATA at
 * {@code process.default_heap_size} and RLIMIT_AS at the size of the enclave's user space (what a
 * process can map at most; Occlum's {@code misc/rlimit.rs} sums heap, stack and mmap sizes);
 * everything else starts unlimited, as on Linux. Locking: {@code this}.
 */
public final class Rlimits {
    /** INR_OPEN_MAX (include/uapi/linux/fs.h): Linux's default hard RLIMIT_NOFILE. */
    public static final long NOFILE_HARD_DEFAULT = 4096;

    private final FdTable files;
    @GuardedBy("this")
    private final long[] cur = new long[Rlimit.RLIM_NLIMITS];
    @GuardedBy("this")
    private final long[] max = new long[Rlimit.RLIM_NLIMITS];

    private Rlimits(FdTable files) {
        this.files = files;
    }

    /** The limits of an init process. */
    static Rlimits initial(FdTable files, long stackSize, long heapSize, long userSpaceSize) {
        Rlimits r = new Rlimits(files);
        java.util.Arrays.fill(r.cur, Rlimit.RLIM_INFINITY);
        java.util.Arrays.fill(r.max, Rlimit.RLIM_INFINITY);
        r.cur[Rlimit.RLIMIT_STACK] = stackSize;
        r.cur[Rlimit.RLIMIT_DATA] = heapSize;
        r.cur[Rlimit.RLIMIT_AS] = userSpaceSize;
        r.cur[Rlimit.RLIMIT_CORE] = 0;
        r.cur[Rlimit.RLIMIT_MEMLOCK] = 8L << 20;
        r.max[Rlimit.RLIMIT_MEMLOCK] = 8L << 20;
        r.max[Rlimit.RLIMIT_NOFILE] = Math.max(NOFILE_HARD_DEFAULT, files.limit());
        return r;
    }

    /** A spawned child's copy (its fd table already has the parent's soft RLIMIT_NOFILE). */
    synchronized Rlimits forChild(FdTable childFiles) {
        Rlimits r = new Rlimits(childFiles);
        System.arraycopy(cur, 0, r.cur, 0, cur.length);
        System.arraycopy(max, 0, r.max, 0, max.length);
        return r;
    }

    /** The current limit of {@code resource}; EINVAL when it is not one of RLIMIT_*. */
    public synchronized Rlimit get(int resource) {
        check(resource);
        if (resource == Rlimit.RLIMIT_NOFILE) {
            return new Rlimit(files.limit(), max[resource]);
        }
        return new Rlimit(cur[resource], max[resource]);
    }

    /**
     * Sets {@code resource} to {@code limit} as Linux's {@code do_prlimit} does, returning the old
     * value: EINVAL for an unknown resource or a soft limit above the hard one, EPERM for a hard
     * RLIMIT_NOFILE above nr_open or for raising a hard limit without privilege.
     */
    public synchronized Rlimit set(int resource, Rlimit limit, boolean privileged) {
        check(resource);
        if (limit.softAboveHard()) {
            throw Errno.EINVAL.exception("soft limit " + limit + " is above the hard limit");
        }
        if (resource == Rlimit.RLIMIT_NOFILE && Long.compareUnsigned(limit.max(), FdTable.NR_OPEN) > 0) {
            throw Errno.EPERM.exception("hard RLIMIT_NOFILE " + Long.toUnsignedString(limit.max()) + " above nr_open "
                    + FdTable.NR_OPEN);
        }
        Rlimit old = get(resource);
        if (Long.compareUnsigned(limit.max(), old.max()) > 0 && !privileged) {
            throw Errno.EPERM.exception("raising the hard limit needs CAP_SYS_RESOURCE");
        }
        if (resource == Rlimit.RLIMIT_NOFILE) {
            files.setLimit((int) limit.cur());
        }
        cur[resource] = limit.cur();
        max[resource] = limit.max();
        return old;
    }

    private static void check(int resource) {
        if (resource < 0 || resource >= Rlimit.RLIM_NLIMITS) {
            throw Errno.EINVAL.exception("resource " + resource + " is not one of RLIMIT_* (0.." + (Rlimit.RLIM_NLIMITS - 1) + ")");
        }
    }
}
