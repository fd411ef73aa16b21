package io.jocclum.libos.vm;

import io.jocclum.api.Mman;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invariant checker: VMAs, chunks, free spaces, the commit tracker, the dirty map and
 * (given an {@link EpcmView}) the platform's EPCM and page contents must agree. Run after every
 * VM test. Takes every lock in the documented order.
 */
final class VmInvariants {
    private VmInvariants() {
    }

    static List<String> check(UserSpace space, List<ProcessVm> procs, EpcmView view) {
        List<String> p = heldLocks(space, procs);
        if (!p.isEmpty()) {
            return p; // a leaked lock: taking it could block forever (or succeed reentrantly and hide the leak)
        }
        long[] stamps = new long[procs.size()];
        for (int i = 0; i < procs.size(); i++) {
            stamps[i] = procs.get(i).lock.writeLock();
        }
        IdentityHashMap<SharedSegment, java.util.Set<Integer>> segmentUsers = new IdentityHashMap<>();
        for (SharedSegment seg : space.shared.segmentsLocked()) {
            segmentUsers.put(seg, java.util.Set.copyOf(seg.users));
        }
        for (Arena a : space.arenas) {
            a.lock.lock();
        }
        space.addressSpace.lock.lock();
        try {
            checkLocked(space, procs, view, segmentUsers, p);
        } finally {
            space.addressSpace.lock.unlock();
            for (int i = space.arenas.length - 1; i >= 0; i--) {
                space.arenas[i].lock.unlock();
            }
            for (int i = procs.size() - 1; i >= 0; i--) {
                procs.get(i).lock.unlockWrite(stamps[i]);
            }
        }
        return p;
    }

    /**
     * Lock hygiene: on a quiescent user space no VM lock is held, by any thread (a missing
     * unlock on some path would otherwise go unnoticed: the locks are reentrant or the next
     * taker just blocks).
     */
    static List<String> heldLocks(UserSpace space, List<ProcessVm> procs) {
        List<String> p = new ArrayList<>();
        for (ProcessVm vm : procs) {
            if (vm.lock.isWriteLocked()) {
                p.add("pid " + vm.pid + ": process VM lock still held for writing");
            }
            if (vm.lock.isReadLocked()) {
                p.add("pid " + vm.pid + ": process VM lock still held for reading (" + vm.lock.getReadLockCount() + ")");
            }
        }
        for (Arena a : space.arenas) {
            if (a.lock.isLocked()) {
                p.add("arena " + a.id + ": lock still held" + (a.lock.isHeldByCurrentThread() ? " by the checking thread" : ""));
            }
        }
        if (space.addressSpace.lock.isLocked()) {
            p.add("address space: lock still held" + (space.addressSpace.lock.isHeldByCurrentThread() ? " by the checking thread" : ""));
        }
        return p;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static void checkLocked(UserSpace space, List<ProcessVm> procs, EpcmView view,
                                    IdentityHashMap<SharedSegment, java.util.Set<Integer>> segmentUsers, List<String> p) {
        AddressSpace as = space.addressSpace;
        UserSpaceLayout layout = space.layout;
        p.addAll(as.checkLocked());
        List<Chunk> chunks = as.chunksLocked();
        Map<Long, Chunk> index = new HashMap<>();
        for (Chunk c : chunks) {
            index.put(c.start, c);
            UserMemoryKind r = layout.regionOf(c.start);
            if (r != c.region || layout.regionOf(c.end - 1) != r) {
                p.add(c + " is not inside its region " + c.region);
            }
            if (c.released) {
                p.add(c + " is indexed but marked released");
            }
        }
        // holes and chunks tile each region exactly
        for (UserMemoryKind r : UserMemoryKind.values()) {
            long lo = r == UserMemoryKind.RESERVED ? layout.reservedBase() : layout.userRegionBase();
            long hi = r == UserMemoryKind.RESERVED ? layout.reservedEnd() : layout.userRegionEnd();
            if (r == UserMemoryKind.USER_REGION && !layout.hasUserRegion() || r == UserMemoryKind.RESERVED && layout.reservedSize() == 0) {
                continue;
            }
            List<long[]> items = new ArrayList<>();
            for (FreeSpace.Hole h : as.holesLocked()) {
                if (h.start() >= lo && h.start() < hi) {
                    items.add(new long[] {h.start(), h.end()});
                }
            }
            for (Chunk c : chunks) {
                if (c.region == r) {
                    items.add(new long[] {c.start, c.end});
                }
            }
            for (long lp : space.lost.in(lo, hi)) {
                Map.Entry<Long, Chunk> in = chunkIndex(chunks, lp);
                if (in == null) {
                    items.add(new long[] {lp, lp + Pages.SIZE}); // retired outside every chunk
                }
            }
            items.sort(Comparator.comparingLong(x -> x[0]));
            long cursor = lo;
            for (long[] it : items) {
                if (it[0] != cursor) {
                    p.add(r + ": " + (it[0] < cursor ? "overlap" : "lost range") + " at " + hex(Math.min(it[0], cursor)) + " (next item " + hex(it[0]) + "-" + hex(it[1]) + ")");
                }
                cursor = Math.max(cursor, it[1]);
            }
            if (cursor != hi) {
                p.add(r + ": holes and chunks end at " + hex(cursor) + ", region ends at " + hex(hi));
            }
        }
        // arenas
        IdentityHashMap<Chunk, Boolean> inArenas = new IdentityHashMap<>();
        for (Arena a : space.arenas) {
            List<Chunk> own = new ArrayList<>();
            p.addAll(a.checkLocked(own));
            for (Chunk c : own) {
                inArenas.put(c, Boolean.TRUE);
                if (index.get(c.start) != c) {
                    p.add("arena " + a.id + " lists " + c + " which is not indexed");
                }
                if (c.arena != a || c.kind != Chunk.Kind.MULTI) {
                    p.add(c + " listed by arena " + a.id + " but belongs elsewhere");
                }
            }
        }
        IdentityHashMap<Chunk, Long> multiUse = new IdentityHashMap<>();
        IdentityHashMap<Chunk, Integer> singleRefs = new IdentityHashMap<>();
        List<Vma> all = new ArrayList<>();
        Map<Integer, ProcessVm> byPid = new HashMap<>();
        for (ProcessVm vm : procs) {
            byPid.put(vm.pid, vm);
            for (String problem : vm.vmas.checkAux()) {
                p.add("pid " + vm.pid + ": " + problem);
            }
            long prevEnd = Long.MIN_VALUE;
            for (Vma v : vm.vmasLocked()) {
                all.add(v);
                if (!v.alive) {
                    p.add("pid " + vm.pid + ": dead VMA in the map " + v);
                }
                if (v.start < prevEnd) {
                    p.add("pid " + vm.pid + ": VMAs overlap at " + hex(v.start));
                }
                prevEnd = v.end;
                if (vm.find(v.start) != v) {
                    p.add("pid " + vm.pid + ": VMA not found at its start " + v);
                }
                Chunk c = v.chunk;
                if (index.get(c.start) != c) {
                    p.add("pid " + vm.pid + ": " + v + " lives in a chunk that is not indexed");
                }
                if (!c.contains(v.start, v.end) || v.region != c.region) {
                    p.add("pid " + vm.pid + ": " + v + " sticks out of its chunk");
                }
                if (v.modified != null && v.modified.pages() != Pages.count(v.size())) {
                    p.add("pid " + vm.pid + ": modified bitmap of " + v + " has " + v.modified.pages() + " pages");
                }
                switch (c.kind) {
                    case SINGLE -> {
                        singleRefs.merge(c, 1, Integer::sum);
                        if (c.owner != vm.pid || c.start != v.start || c.end != v.end) {
                            p.add("pid " + vm.pid + ": " + v + " does not match its single-VMA chunk");
                        }
                    }
                    case HEAP -> {
                        if (c.owner != vm.pid || vm.heapLocked() != c) {
                            p.add("pid " + vm.pid + ": " + v + " in a heap chunk that is not its own");
                        }
                    }
                    case MULTI -> multiUse.merge(c, v.size(), Long::sum);
                    case SHARED -> {
                        if (c.segment == null || !segmentUsers.getOrDefault(c.segment, java.util.Set.of()).contains(vm.pid)) {
                            p.add("pid " + vm.pid + ": " + v + " maps a shared segment that does not list it as a user");
                        }
                        if (v.modified != null) {
                            p.add("pid " + vm.pid + ": " + v + " in a shared segment keeps its own modified bitmap");
                        }
                    }
                }
            }
        }
        // a shared segment's pages are the segment's: one pseudo-VMA (read-write EPCM) stands for all its sharers
        all.removeIf(Vma::inSegment);
        for (SharedSegment seg : segmentUsers.keySet()) {
            long at = seg.start;
            for (Chunk c : seg.chunks) {
                all.add(new Vma(c.start, c.end, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED, null, c, c.region, Vma.Kind.MMAP, null));
                if (index.get(c.start) != c || c.kind != Chunk.Kind.SHARED || c.segment != seg || c.start != at) {
                    p.add(seg + ": " + c + " is not an indexed shared chunk of it, following the previous one");
                }
                if ((seg.file == null) != (c.dirty == null) || c.dirty != null && c.dirty.pages() != Pages.count(c.size())) {
                    p.add(seg + ": " + c + " has a wrong modified bitmap");
                }
                at = c.end;
            }
            if (at != seg.end) {
                p.add(seg + " ends at 0x" + Long.toHexString(seg.end) + " but its chunks at 0x" + Long.toHexString(at));
            }
            if (segmentUsers.get(seg).isEmpty() && !seg.persistent) {
                p.add(seg + " has no users but was not released");
            }
            for (int u : segmentUsers.get(seg)) {
                ProcessVm user = byPid.get(u);
                if (user == null || user.vmas.in(seg.start, seg.end).isEmpty()) {
                    p.add(seg + " lists pid " + u + ", which does not map it");
                }
            }
        }
        all.sort(Comparator.comparingLong(v -> v.start));
        for (int i = 1; i < all.size(); i++) {
            if (all.get(i - 1).end > all.get(i).start) {
                p.add("VMAs of different processes overlap: " + all.get(i - 1) + " and " + all.get(i));
            }
        }
        for (Chunk c : chunks) {
            switch (c.kind) {
                case SINGLE -> {
                    if (singleRefs.getOrDefault(c, 0) != 1) {
                        p.add(c + " is referenced by " + singleRefs.getOrDefault(c, 0) + " VMAs");
                    }
                }
                case HEAP -> {
                    ProcessVm owner = byPid.get(c.owner);
                    if (owner == null || owner.heapLocked() != c) {
                        p.add(c + " belongs to no live process");
                    }
                }
                case SHARED -> {
                    if (c.segment == null || !segmentUsers.containsKey(c.segment)) {
                        p.add(c + " belongs to no live shared segment");
                    }
                }
                case MULTI -> {
                    if (!inArenas.containsKey(c)) {
                        p.add(c + " is in no arena");
                    }
                    long retired = 0; // lost pages outside VMAs stay used for good
                    for (long lp : space.lost.in(c.start, c.end)) {
                        if (vmaAt(all, lp) == null) {
                            retired += Pages.SIZE;
                        }
                    }
                    if (multiUse.getOrDefault(c, 0L) + retired != c.used) {
                        p.add(c + " counts " + c.used + " used bytes but its VMAs hold " + multiUse.getOrDefault(c, 0L)
                                + " and " + retired + " bytes are lost");
                    }
                }
            }
        }
        VmEpc epc = space.epc;
        if (epc.edmm) {
            p.addAll(epc.tracker.check());
        }
        if (view != null) {
            checkPlatform(space, all, view, p);
        }
    }

    /** The platform against the VM: commit state, permissions, clean-on-free, dirty-map soundness. */
    private static void checkPlatform(UserSpace space, List<Vma> all, EpcmView view, List<String> p) {
        VmEpc epc = space.epc;
        UserSpaceLayout layout = space.layout;
        int[] reported = {0};
        if (layout.hasUserRegion()) {
            long valid = view.countValid(layout.userRegionBase(), layout.userRegionEnd());
            if (valid != epc.tracker.committedPages()) {
                p.add("user region: the EPCM has " + valid + " valid pages, the commit tracker " + epc.tracker.committedPages());
            }
            int[] vi = {0};
            epc.tracker.forEachCommittedRun(layout.userRegionBase(), layout.userRegionEnd(), false, (s, e) -> {
                for (long a = s; a < e; a += Pages.SIZE) {
                    while (vi[0] < all.size() && all.get(vi[0]).end <= a) {
                        vi[0]++;
                    }
                    Vma v = vi[0] < all.size() && all.get(vi[0]).start <= a ? all.get(vi[0]) : null;
                    if (!space.lost.contains(a)) {
                        checkPage(view, a, v == null ? VmEpc.base(UserMemoryKind.USER_REGION) : VmEpc.epcm(UserMemoryKind.USER_REGION, v.prot), v == null, p, reported);
                    }
                }
            });
        }
        if (layout.reservedSize() > 0) {
            int vi = 0;
            for (long a = layout.reservedBase(); a < layout.reservedEnd(); a += Pages.SIZE) {
                while (vi < all.size() && all.get(vi).end <= a) {
                    vi++;
                }
                Vma v = vi < all.size() && all.get(vi).start <= a ? all.get(vi) : null;
                if (space.lost.contains(a)) {
                    continue; // its EPCM state and contents are whatever they were when it was lost
                }
                long expected = !epc.edmm ? VmEpc.RWX : v == null ? VmEpc.base(UserMemoryKind.RESERVED) : VmEpc.epcm(UserMemoryKind.RESERVED, v.prot);
                checkPage(view, a, expected, v == null, p, reported);
                if (!epc.dirty.isDirty(a) && !view.pageIsZero(a) && reported[0]++ < 20) {
                    p.add("reserved page " + hex(a) + " is not zero but not marked dirty");
                }
                if (v == null && epc.dirty.isDirty(a) && reported[0]++ < 20) {
                    p.add("free reserved page " + hex(a) + " is still marked dirty");
                }
            }
        }
    }

    private static Map.Entry<Long, Chunk> chunkIndex(List<Chunk> chunks, long address) {
        for (Chunk c : chunks) { // checker only: linear is fine
            if (c.start <= address && address < c.end) {
                return Map.entry(c.start, c);
            }
        }
        return null;
    }

    private static Vma vmaAt(List<Vma> sorted, long address) {
        int lo = 0;
        int hi = sorted.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Vma v = sorted.get(mid);
            if (address < v.start) {
                hi = mid - 1;
            } else if (address >= v.end) {
                lo = mid + 1;
            } else {
                return v;
            }
        }
        return null;
    }

    private static void checkPage(EpcmView view, long a, long perms, boolean free, List<String> p, int[] reported) {
        EpcmView.Entry e = view.entry(a);
        SecInfo f = e.flags();
        boolean ok = e.valid() && f.pageTypeEncoding() == PageType.REG.encoding() && !f.has(SecInfo.PENDING)
                && !f.has(SecInfo.MODIFIED) && !f.has(SecInfo.PR) && f.perms() == perms;
        if (!ok && reported[0]++ < 20) {
            p.add("page " + hex(a) + (free ? " (free)" : "") + ": EPCM " + (e.valid() ? f : "absent") + ", expected REG " + SecInfo.permString(perms));
        }
        if (free && e.valid() && !view.pageIsZero(a) && reported[0]++ < 20) {
            p.add("free page " + hex(a) + " is not zero (clean-on-free broken)");
        }
    }
}
