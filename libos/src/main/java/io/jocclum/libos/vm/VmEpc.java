package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The VM's use of the platform (Occlum {@code vm_epc.rs}): committing user-region pages,
 * changing EPCM permissions, giving EPC back, and zeroing, filling, copying and writing back
 * page contents, all through {@link EnclaveContext}.
 *
 * <p>EPCM permission invariant on an EDMM platform: a committed page inside a VMA has
 * {@link #epcm epcm(region, prot)}; a committed free page has {@link #base base(region)} and is
 * zero. base is RWX for reserved memory (EADDed so) and RW for the user region (EACCEPT after
 * EAUG gives RW); a RW mapping keeps the base, so plain RW mmap/munmap never touches the EPCM.
 * Without EDMM the EPCM stays RWX and permissions are bookkeeping only (SGX1).
 *
 * <p>Page-state knowledge: committed user-region pages are tracked by {@link CommitTracker};
 * possibly non-zero reserved pages by {@link DirtyMap}; pages the platform can no longer bring
 * back by {@link LostPages} (an operation that meets one retries page by page and retires it).
 * Stateless otherwise and thread-safe; callers guarantee that no one else changes the pages of
 * the ranges they pass.
 */
final class VmEpc {
    static final long R = SecInfo.R;
    static final long RW = SecInfo.R | SecInfo.W;
    static final long RWX = SecInfo.R | SecInfo.W | SecInfo.X;
    private static final byte[] ZERO_PAGE = new byte[Pages.SIZE];
    /** EACCEPT operand of a page EMODTed to PT_TRIM (the SDK's SGX_EMA_PAGE_TYPE_TRIM | SGX_EMA_STATE_MODIFIED). */
    private static final SecInfo TRIMMED = SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED);
    private static final int IO_CHUNK = 256 << 10;

    final EnclaveContext ctx;
    /** EDMM in use: the layout has a user region (then the platform must be SGX2). */
    final boolean edmm;
    /** User-region commit state, null without EDMM. */
    final CommitTracker tracker;
    /** Reserved memory dirty pages, null when there is no reserved memory. */
    final DirtyMap dirty;
    final VmCounters counters;
    /** Pages the platform can neither restore nor give back: skipped by every operation here. */
    final LostPages lost;

    VmEpc(EnclaveContext ctx, UserSpaceLayout layout, VmCounters counters, LostPages lost) {
        this.ctx = ctx;
        this.lost = lost;
        this.edmm = layout.hasUserRegion();
        this.tracker = edmm ? new CommitTracker(layout.userRegionBase(), layout.userRegionSize()) : null;
        this.dirty = layout.reservedSize() > 0 ? new DirtyMap(layout.reservedBase(), layout.reservedSize()) : null;
        this.counters = counters;
    }

    /** SGX permissions for a Linux prot: none stays none, anything else includes R (SGX has no W-only or X-only). */
    static long hw(int prot) {
        if ((prot & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) == 0) {
            return 0;
        }
        long p = R;
        if ((prot & Mman.PROT_WRITE) != 0) {
            p |= SecInfo.W;
        }
        if ((prot & Mman.PROT_EXEC) != 0) {
            p |= SecInfo.X;
        }
        return p;
    }

    static long base(UserMemoryKind r) {
        return r == UserMemoryKind.RESERVED ? RWX : RW;
    }

    /** EPCM permissions of a committed page of a VMA with {@code prot} in {@code r}. */
    static long epcm(UserMemoryKind r, int prot) {
        long h = hw(prot);
        return h == RW ? base(r) : h;
    }

    // ---- permissions -------------------------------------------------------------------------

    /** Changes the EPCM permissions of the committed pages of [s, e) from {@code from} to {@code to} (EDMM only). */
    void transition(UserMemoryKind r, long s, long e, long from, long to) {
        if (!edmm || from == to || s >= e) {
            return;
        }
        List<long[]> runs = r == UserMemoryKind.RESERVED ? List.of(new long[] {s, e}) : committedRuns(s, e);
        for (long[] run : withoutLost(runs)) {
            guarded(run[0], run[1], (a, b) -> changeRun(a, b, from, to));
        }
    }

    // ---- pages the platform cannot bring back -----------------------------------------------

    /**
     * True if {@code e} says a page cannot be brought back: an ELDU integrity failure seen by an
     * access or an ENCLU leaf, or EFAULT from an SGX2 ioctl (the driver could not load the page).
     */
    private static boolean isLoss(RuntimeException e) {
        return e instanceof EnclaveFault f && f.kind() == EnclaveFault.Kind.INTEGRITY
                || e instanceof ErrnoException x && x.errno() == Errno.EFAULT;
    }

    /**
     * Runs {@code op} on [a, b); if the platform reports a lost page, runs it again page by page
     * ({@code op} must be repeatable on pages it already handled) and retires the pages that fail.
     */
    private void guarded(long a, long b, PageRun op) {
        try {
            op.accept(a, b);
        } catch (RuntimeException ex) {
            if (!isLoss(ex)) {
                throw ex;
            }
            for (long x = a; x < b; x += Pages.SIZE) {
                try {
                    op.accept(x, x + Pages.SIZE);
                } catch (RuntimeException ey) {
                    if (!isLoss(ey)) {
                        throw ey;
                    }
                    lost.retire(x);
                }
            }
        }
    }

    /** {@code runs} split around lost pages (which no operation touches again). */
    private List<long[]> withoutLost(List<long[]> runs) {
        if (lost.count() == 0) {
            return runs;
        }
        List<long[]> out = new ArrayList<>(runs.size());
        for (long[] run : runs) {
            long cur = run[0];
            for (long p : lost.in(run[0], run[1])) {
                if (p > cur) {
                    out.add(new long[] {cur, p});
                }
                cur = p + Pages.SIZE;
            }
            if (cur < run[1]) {
                out.add(new long[] {cur, run[1]});
            }
        }
        return out;
    }

    /**
     * The maximal runs of committed user-region pages in [s, e), merged across the tracker's 4 MB
     * leaves, so that each run costs one OCALL however many leaves it spans. The caller owns the
     * pages (no one else commits or trims them meanwhile).
     */
    private List<long[]> committedRuns(long s, long e) {
        List<long[]> runs = new ArrayList<>();
        tracker.forEachCommittedRun(s, e, false, (a, b) -> {
            if (!runs.isEmpty() && runs.getLast()[1] == a) {
                runs.getLast()[1] = b;
            } else {
                runs.add(new long[] {a, b});
            }
        });
        return runs;
    }

    private void changeRun(long s, long e, long from, long to) {
        long cur = from;
        if ((from & ~to) != 0) {
            long restricted = from & to;
            ctx.restrictPermissions(s, e - s, restricted);
            acceptEach(s, e, SecInfo.of(PageType.REG, restricted, SecInfo.PR));
            cur = restricted;
        }
        if ((to & ~cur) != 0) {
            SecInfo ext = SecInfo.reg(to); // as the SDK: PT_REG | prot (EMODPE ignores the page type)
            ctx.emodpeRange(s, e - s, ext);
        }
        counters.permChangePages.add(Pages.count(e - s));
    }

    /** {@link #accept} of each page of [s, e), in one {@link EnclaveContext#eacceptRange} (whose charges come at its end). */
    private void acceptEach(long s, long e, SecInfo si) {
        long[] next = {s};
        int st = ctx.eacceptRange(s, e - s, si, x -> next[0] = x + Pages.SIZE);
        if (st != SgxStatus.SUCCESS.code()) {
            throw new IllegalStateException("EACCEPT of 0x" + Long.toHexString(next[0]) + " with " + si + " returned status " + st);
        }
    }

    private void accept(long a, SecInfo si) {
        int st = ctx.eaccept(a, si);
        if (st != SgxStatus.SUCCESS.code()) {
            throw new IllegalStateException("EACCEPT of 0x" + Long.toHexString(a) + " with " + si + " returned status " + st);
        }
    }

    // ---- commit ------------------------------------------------------------------------------

    /**
     * Commits the uncommitted pages of user-region range [s, e) with {@code perms} (not none):
     * EACCEPT (the driver EAUGs on the resulting fault) for RW, EACCEPTCOPY of a zero page for any
     * other permission. Returns the pages committed. EnclaveFault SIGBUS if the platform has no EPC.
     *
     * <p>SECINFO as the SGX SDK's EMM builds it ({@code sgx_mm_commit}, {@code sgx_mm_commit_data}):
     * EACCEPT expects the page's state, PT_REG | RW | PENDING; EACCEPTCOPY gives the page its final
     * attributes, PT_REG | permissions, with no state bit.
     */
    long commit(long s, long e, long perms) {
        if (perms == 0) {
            throw new IllegalArgumentException("cannot commit pages with no permissions");
        }
        SecInfo si = perms == RW ? SecInfo.of(PageType.REG, RW, SecInfo.PENDING) : SecInfo.reg(perms);
        return tracker.commitRuns(s, e, (a, b, committed) -> {
            long[] next = {a};
            LongConsumer mark = x -> {
                committed.accept(x);
                next[0] = x + Pages.SIZE;
            };
            int st = perms == RW ? ctx.eacceptRange(a, b - a, si, mark) : ctx.eacceptcopyRange(a, b - a, si, ZERO_PAGE, mark);
            if (st != SgxStatus.SUCCESS.code()) {
                throw new IllegalStateException("committing 0x" + Long.toHexString(next[0]) + " with " + si + " returned status " + st);
            }
        });
    }

    /**
     * Makes every page of a fresh mapping [s, e) committed (user region): uncommitted pages are
     * committed at the base permissions. The caller then writes contents and applies the VMA's
     * permissions with {@link #transition} from the base.
     */
    void commitEagerly(UserMemoryKind r, long s, long e) {
        if (r == UserMemoryKind.USER_REGION) {
            counters.pagesCommittedEagerly.add(commit(s, e, RW));
        }
    }

    /** True if every page of [s, e) is committed. */
    boolean allCommitted(UserMemoryKind r, long s, long e) {
        return r == UserMemoryKind.RESERVED || tracker.allCommitted(s, e);
    }

    // ---- freeing ------------------------------------------------------------------------------

    /**
     * Cleans [s, e) of a VMA with {@code prot} being unmapped (contents already written back):
     * user region with {@code giveBack}: the committed pages are trimmed; otherwise the committed
     * (user region) or dirty (reserved) pages get the base permissions back and are zeroed.
     */
    void scrub(UserMemoryKind r, long s, long e, int prot, boolean giveBack) {
        if (r == UserMemoryKind.USER_REGION && giveBack) {
            trim(s, e);
            return;
        }
        transition(r, s, e, epcm(r, prot), base(r));
        zero(r, s, e);
    }

    /**
     * Zeroes the possibly non-zero pages of [s, e) (they must be writable in the EPCM). A
     * user-region page the platform cannot bring back is given back instead; a reserved one (never
     * given back) that cannot be zeroed is retired.
     */
    void zero(UserMemoryKind r, long s, long e) {
        if (r == UserMemoryKind.RESERVED) {
            List<long[]> runs = new ArrayList<>();
            dirty.forEachDirtyRun(s, e, (a, b) -> runs.add(new long[] {a, b}));
            for (long[] run : withoutLost(runs)) {
                guarded(run[0], run[1], (a, b) -> {
                    ctx.fill(a, b - a, (byte) 0);
                    counters.bytesZeroed.add(b - a);
                });
            }
            dirty.clear(s, e);
        } else {
            List<long[]> giveBack = new ArrayList<>();
            for (long[] run : withoutLost(committedRuns(s, e))) {
                try {
                    ctx.fill(run[0], run[1] - run[0], (byte) 0);
                    counters.bytesZeroed.add(run[1] - run[0]);
                } catch (EnclaveFault f) {
                    if (f.kind() != EnclaveFault.Kind.INTEGRITY && f.kind() != EnclaveFault.Kind.SIGBUS) {
                        throw f;
                    }
                    // the platform cannot bring these pages back: give them back instead of zeroing them
                    giveBack.add(run);
                }
            }
            for (long[] run : giveBack) {
                trim(run[0], run[1]);
            }
        }
    }

    /**
     * Gives the EPC of the committed pages of user-region range [s, e) back: EMODT TRIM, EACCEPT,
     * EREMOVE, one MODIFY_TYPES and one REMOVE_PAGES OCALL per run. A page that cannot be loaded
     * for this (its backing failed the integrity check) is retired and stays committed.
     */
    void trim(long s, long e) {
        for (long[] run : withoutLost(committedRuns(s, e))) {
            long a = run[0];
            long b = run[1];
            try {
                trimRun(a, b);
                continue;
            } catch (RuntimeException ex) {
                if (!isLoss(ex)) {
                    throw ex;
                }
            }
            // page by page; pages the failed run already changed are recognised by EACCEPT
            for (long x = a; x < b; x += Pages.SIZE) {
                try {
                    if (ctx.eaccept(x, TRIMMED) != SgxStatus.SUCCESS.code()) {
                        ctx.modifyTypes(x, Pages.SIZE, PageType.TRIM);
                        accept(x, TRIMMED);
                    }
                    ctx.removePages(x, Pages.SIZE);
                    tracker.uncommit(x, x + Pages.SIZE);
                    counters.pagesTrimmed.increment();
                } catch (RuntimeException ey) {
                    if (!isLoss(ey)) {
                        throw ey;
                    }
                    lost.retire(x);
                }
            }
            counters.trimRuns.increment();
        }
    }

    private void trimRun(long a, long b) {
        ctx.modifyTypes(a, b - a, PageType.TRIM);
        acceptEach(a, b, TRIMMED);
        ctx.removePages(a, b - a);
        tracker.uncommit(a, b);
        counters.pagesTrimmed.add(Pages.count(b - a));
        counters.trimRuns.increment();
    }

    /** A free range leaving the VM's hands (chunk given back): its committed user-region pages are trimmed. */
    void giveBackFree(UserMemoryKind r, long s, long e) {
        if (r == UserMemoryKind.USER_REGION) {
            trim(s, e);
        }
    }

    // ---- contents -----------------------------------------------------------------------------

    /** Writes bytes into committed, writable memory, marking reserved pages dirty. */
    void write(UserMemoryKind r, long address, MemorySegment src, long offset, long length) {
        if (length == 0) {
            return;
        }
        if (r == UserMemoryKind.RESERVED) {
            dirty.mark(address, address + length);
        }
        ctx.write(address, src, offset, length);
    }

    /**
     * Reads {@code length} bytes of the file at {@code fileOffset} into fresh (zero) memory at
     * {@code address}; bytes past end of file stay zero. Read errors: ENOMEM stays, others become
     * EACCES (as Occlum's mmap reports them).
     */
    void fillFromFile(UserMemoryKind r, long address, long length, MappableFile f, long fileOffset) {
        byte[] buf = new byte[(int) Math.min(IO_CHUNK, length)];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        MemorySegment seg = MemorySegment.ofArray(buf);
        long done = 0;
        while (done < length) {
            int n = (int) Math.min(buf.length, length - done);
            bb.clear().limit(n);
            int total = 0;
            try {
                while (bb.hasRemaining()) {
                    int k = f.read(fileOffset + done + total, bb);
                    if (k <= 0) {
                        break;
                    }
                    total += k;
                }
            } catch (ErrnoException ex) {
                throw ex.errno() == Errno.ENOMEM ? ex : Errno.EACCES.exception("reading the mapped file failed: " + ex.getMessage());
            }
            write(r, address + done, seg, 0, total);
            counters.bytesFilledFromFiles.add(total);
            if (total < n) {
                return;
            }
            done += n;
        }
    }

    /**
     * Copies the possibly non-zero pages of [src, src + length) to the fresh (zero) range at
     * {@code dst}, committing destination user-region pages at base permissions as needed. The
     * source must be readable in the EPCM.
     */
    void copy(UserMemoryKind sr, long src, UserMemoryKind dr, long dst, long length) {
        byte[] buf = new byte[(int) Math.min(IO_CHUNK, length)];
        MemorySegment seg = MemorySegment.ofArray(buf);
        PageRun run = (a, b) -> {
            long d = dst + (a - src);
            if (dr == UserMemoryKind.USER_REGION) {
                counters.pagesCommittedEagerly.add(commit(d, d + (b - a), RW));
            }
            for (long x = a; x < b; x += buf.length) {
                int n = (int) Math.min(buf.length, b - x);
                ctx.read(x, seg, 0, n);
                write(dr, dst + (x - src), seg, 0, n);
            }
        };
        if (sr == UserMemoryKind.RESERVED) {
            dirty.forEachDirtyRun(src, src + length, run);
        } else {
            // collect first: the copy commits destination pages, which may share the source's tracker stripes
            java.util.List<long[]> runs = new java.util.ArrayList<>();
            tracker.forEachCommittedRun(src, src + length, false, (a, b) -> runs.add(new long[] {a, b}));
            for (long[] x : runs) {
                run.accept(x[0], x[1]);
            }
        }
    }

    /**
     * Writes the modified pages of [s, e) of shared file mapping {@code v} back to its file,
     * clipped to the file's current size (a mapping never extends its file), and clears their
     * modified bits. The pages must be readable in the EPCM. Write errors propagate.
     */
    void writeBack(Vma v, long s, long e) {
        if (v.modified == null) {
            return;
        }
        writeBack(v.file.file(), v.start, v.file.offset(), v.modified, s, e);
    }

    /**
     * Writes the pages of [s, e) marked in {@code modified} (indexed from {@code base}, whose
     * file offset is {@code fileOffset}) back to {@code f}, clipped to its length, and clears
     * their marks. Nothing for a file not open for writing.
     */
    void writeBack(MappableFile f, long base, long fileOffset, PageBits modified, long s, long e) {
        if (!f.writable()) {
            return;
        }
        long fileSize = f.size();
        byte[] buf = new byte[IO_CHUNK];
        MemorySegment seg = MemorySegment.ofArray(buf);
        long firstPage = Pages.index(s - base);
        long endPage = Pages.index(e - base);
        java.util.List<long[]> runs = new java.util.ArrayList<>();
        modified.forEachRun(firstPage, endPage, (a, b) -> runs.add(new long[] {a, b}));
        for (long[] run : runs) {
            long a = base + Pages.bytes(run[0]);
            long b = base + Pages.bytes(run[1]);
            long off = fileOffset + (a - base);
            long limit = Math.min(b - a, fileSize - off);
            for (long done = 0; done < limit; ) {
                int n = (int) Math.min(buf.length, limit - done);
                try {
                    ctx.read(a + done, seg, 0, n);
                } catch (EnclaveFault lostPage) {
                    if (lostPage.kind() != EnclaveFault.Kind.INTEGRITY && lostPage.kind() != EnclaveFault.Kind.SIGBUS) {
                        throw lostPage;
                    }
                    throw Errno.EIO.exception("a page of the shared mapping cannot be read back from the platform: "
                            + lostPage.getMessage());
                }
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    int k = f.write(off + done + bb.position(), bb);
                    if (k <= 0) {
                        throw Errno.EIO.exception("short write-back to a mapped file");
                    }
                }
                counters.bytesWrittenBack.add(n);
                done += n;
            }
            modified.clear(run[0], run[1]);
        }
    }
}
