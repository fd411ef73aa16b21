package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.TreeMap;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every kind of problem {@link VmInvariants} and {@link Arena#checkLocked} report that
 * {@link InvariantCheckerTest} does not already provoke: each test corrupts one structure on
 * purpose (package-private fields, or reflection for private ones), asserts the exact report
 * line, undoes the damage and leaves a clean state for the checks after the test.
 */
@ParameterizedClass
@EnumSource(value = Platform.class, names = {"FAKE_EDMM", "FAKE_SGX1"})
class VmCheckerReportsTest extends VmTestBase {

    @SuppressWarnings("unchecked")
    private static <T> T field(Object o, String name) {
        try {
            var f = o.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return (T) f.get(o);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static void setField(Object o, String name, Object value) {
        try {
            var f = o.getClass().getDeclaredField(name);
            f.setAccessible(true);
            f.set(o, value);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private TreeMap<Long, Chunk> indexOf() {
        return field(space.addressSpace, "chunks");
    }

    private static TreeMap<Long, Chunk> chunksOf(Arena a) {
        return field(a, "chunks");
    }

    private static LinkedHashSet<Chunk> emptyOf(Arena a) {
        return field(a, "empty");
    }

    private LongTreeMap<Vma> mapOf(ProcessVm p) {
        return field(p.vmas, "map");
    }

    /** Every line must be one of the reports. */
    private void reports(String... lines) {
        var thrown = assertThatThrownBy(() -> space.checkInvariants(epcm)).isInstanceOf(IllegalStateException.class);
        for (String l : lines) {
            thrown.hasMessageContaining("\n  " + l);
        }
    }

    private Vma small(long pages) {
        return vm.find(anon(pages * PAGE));
    }

    private static Vma copy(Vma v, long start, long end, PageBits modified) {
        return new Vma(start, end, v.prot, v.flags, v.file, v.chunk, v.region, v.kind, modified);
    }

    @Test
    void aChunkIndexedUnderAnotherRegionIsFound() {
        Vma v = small(1);
        Chunk c = v.chunk;
        UserMemoryKind other = c.region == UserMemoryKind.RESERVED ? UserMemoryKind.USER_REGION : UserMemoryKind.RESERVED;
        Chunk fake = new Chunk(c.start, c.end, c.kind, other, c.owner, c.arena);
        indexOf().put(c.start, fake);
        try {
            reports(fake + " is not inside its region " + other,
                    "arena " + c.arena.id + " lists " + c + " which is not indexed",
                    "pid 1: " + v + " lives in a chunk that is not indexed",
                    fake + " is in no arena");
        } finally {
            indexOf().put(c.start, c);
        }
        checkAll();
    }

    @Test
    void aChunkListedByTheWrongArenaIsFound() {
        Vma v = small(1);
        Chunk c = v.chunk;
        Arena b = space.arenas[0] == c.arena ? space.arenas[1] : space.arenas[0];
        chunksOf(b).put(c.start, c);
        try {
            reports(c + " listed by arena " + b.id + " but belongs elsewhere",
                    "arena " + b.id + ": " + c + " has 0 free bytes, " + c.used + " used, size " + c.size());
        } finally {
            chunksOf(b).remove(c.start);
        }
        checkAll();
    }

    @Test
    void aChunkInNoArenaAndItsHolesAreFound() {
        Chunk c = small(1).chunk;
        Arena a = c.arena;
        FreeSpace free = field(a, "free");
        FreeSpace.Hole h = free.holes().stream().filter(x -> c.contains(x.start(), x.end())).findFirst().orElseThrow();
        chunksOf(a).remove(c.start);
        try {
            reports(c + " is in no arena", "arena " + a.id + ": hole " + h + " is not inside one of its chunks");
        } finally {
            chunksOf(a).put(c.start, c);
        }
        checkAll();
    }

    @Test
    void anArenasEmptySetAndReleasedChunksAreFound() {
        Chunk c = small(1).chunk;
        Arena a = c.arena;
        emptyOf(a).add(c);
        try {
            reports("arena " + a.id + ": " + c + " empty-set membership is wrong");
        } finally {
            emptyOf(a).remove(c);
        }
        c.released = true;
        try {
            reports("arena " + a.id + ": " + c + " is released but still listed", c + " is indexed but marked released");
        } finally {
            c.released = false;
        }
        checkAll();
    }

    @Test
    void anArenaRetainingTooManyEmptyChunksIsFound() {
        Arena a = space.arenas[0];
        int limit = space.config.retainedEmptyChunks();
        LinkedHashSet<Chunk> empty = emptyOf(a);
        List<Chunk> before = List.copyOf(empty);
        long base = platform.layout().reservedBase();
        for (int i = 0; empty.size() <= limit; i++) {
            empty.add(new Chunk(base + i * PAGE, base + (i + 1) * PAGE, Chunk.Kind.MULTI, UserMemoryKind.RESERVED, 0, a));
        }
        try {
            reports("arena " + a.id + ": retains " + (limit + 1) + " empty chunks, limit " + limit);
        } finally {
            empty.clear();
            empty.addAll(before);
        }
        checkAll();
    }

    @Test
    void overlappingVmasOfOneProcessAreFound() {
        Vma v = small(2);
        Vma stray = copy(v, v.start + PAGE, v.end, null);
        vm.vmas.put(stray);
        try {
            reports("pid 1: VMAs overlap at " + hex(stray.start),
                    "VMAs of different processes overlap: " + v + " and " + stray);
        } finally {
            vm.vmas.retire(stray);
        }
        checkAll();
    }

    @Test
    void overlappingVmasOfTwoProcessesAreFound() {
        Vma v = small(1);
        ProcessVm other = space.createProcess(2, spec());
        Vma twin = copy(v, v.start, v.end, null);
        other.vmas.put(twin);
        try {
            reports("VMAs of different processes overlap: " + v + " and " + twin,
                    v.chunk + " counts " + v.chunk.used + " used bytes but its VMAs hold " + (v.chunk.used + PAGE) + " and 0 bytes are lost");
        } finally {
            other.vmas.retire(twin);
        }
        checkAll();
    }

    @Test
    void aVmaFiledUnderAnotherAddressIsFound() {
        Vma v = small(2);
        LongTreeMap<Vma> map = mapOf(vm);
        map.remove(v.start);
        map.insert(v.start + PAGE, v, VmaTree.aux(v));
        try {
            reports("pid 1: VMA not found at its start " + v);
        } finally {
            map.remove(v.start + PAGE);
            map.insert(v.start, v, VmaTree.aux(v));
        }
        checkAll();
    }

    @Test
    void aModifiedBitmapOfTheWrongSizeIsFound() {
        Vma v = small(2);
        PageBits own = v.modified; // only shared file mappings have one: plant one on purpose
        setField(v, "modified", new PageBits(1));
        try {
            reports("pid 1: modified bitmap of " + v + " has 1 pages");
        } finally {
            setField(v, "modified", own);
        }
        checkAll();
    }

    private Vma single() {
        long len = space.config.smallMappingMax() + PAGE;
        Vma v = vm.find(vm.mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0));
        assertThat(v.chunk.kind).isEqualTo(Chunk.Kind.SINGLE);
        return v;
    }

    @Test
    void aVmaThatDoesNotFillItsSingleChunkIsFound() {
        Vma v = single();
        Vma shorter = copy(v, v.start, v.end - PAGE, null);
        vm.vmas.retire(v);
        vm.vmas.put(shorter);
        try {
            reports("pid 1: " + shorter + " does not match its single-VMA chunk");
        } finally {
            vm.vmas.retire(shorter);
            v.alive = true;
            vm.vmas.put(v);
        }
        checkAll();
    }

    @Test
    void aSingleChunkWithoutItsVmaIsFound() {
        Vma v = single();
        vm.vmas.retire(v);
        try {
            reports(v.chunk + " is referenced by 0 VMAs");
        } finally {
            v.alive = true;
            vm.vmas.put(v);
        }
        checkAll();
    }

    @Test
    void aHeapChunkThatLostItsOwnerIsFound() {
        long top = vm.brk(0);
        assertThat(vm.brk(top + 2 * PAGE)).isEqualTo(top + 2 * PAGE);
        Chunk heap = vm.heapLocked();
        Vma hv = vm.find(top);
        assertThat(hv.chunk).isSameAs(heap);
        setField(vm, "heap", null);
        try {
            reports("pid 1: " + hv + " in a heap chunk that is not its own", heap + " belongs to no live process");
        } finally {
            setField(vm, "heap", heap);
        }
        checkAll();
    }

    @Test
    void aReservedPageWrittenBehindTheVmsBackIsFound() {
        long free = platform.layout().reservedEnd() - PAGE; // last reserved page: free in these tests
        ctx.writeByte(free, (byte) 1);
        try {
            reports("reserved page " + hex(free) + " is not zero but not marked dirty");
        } finally {
            ctx.writeByte(free, (byte) 0);
        }
        checkAll();
    }

    @Test
    void userRegionPagesCommittedBehindTheVmsBackAreFound() {
        assumeTrue(platform.edmm());
        long page = platform.layout().userRegionEnd() - PAGE;
        long tracked = space.epc.tracker.committedPages();
        long valid = epcm.countValid(platform.layout().userRegionBase(), platform.layout().userRegionEnd());
        ctx.eaccept(page, SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING));
        reports("user region: the EPCM has " + (valid + 1) + " valid pages, the commit tracker " + tracked);
        // the tracker learns of it: now a committed free page, which must be zero and RW
        space.epc.tracker.commit(page, page + PAGE, a -> { });
        ctx.writeByte(page, (byte) 7);
        reports("free page " + hex(page) + " is not zero (clean-on-free broken)");
        ctx.writeByte(page, (byte) 0);
        ctx.restrictPermissions(page, PAGE, SecInfo.R);
        ctx.eaccept(page, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR));
        reports("page " + hex(page) + " (free): EPCM " + epcm.entry(page).flags() + ", expected REG "
                + SecInfo.permString(VmEpc.base(UserMemoryKind.USER_REGION)));
        space.epc.tracker.forEachCommittedRun(page, page + PAGE, true, (s, e) -> { });
        ctx.modifyTypes(page, PAGE, PageType.TRIM);
        ctx.eaccept(page, SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED));
        ctx.removePages(page, PAGE);
        checkAll();
    }

    @Test
    void aCleanStateReportsNothing() {
        small(3);
        single();
        vm.brk(vm.brk(0) + PAGE);
        assertThat(VmInvariants.check(space, space.processes(), epcm)).isEmpty();
    }
}
