package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.testing.LeakedLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checker run after every test must itself notice broken states. */
@ParameterizedClass
@EnumSource(Platform.class)
class InvariantCheckerTest extends VmTestBase {

    @Test
    void detectsAFreePageThatIsNotZero() {
        long a = anon(PAGE);
        vm.munmap(a, PAGE);
        long free = platform.layout().reservedEnd() - PAGE; // last reserved page: free in these tests
        ctx.writeByte(free, (byte) 1);
        assertThatThrownBy(() -> space.checkInvariants(epcm)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not marked dirty");
        ctx.writeByte(free, (byte) 0);
        checkAll();
    }

    @Test
    void detectsAPageCommittedBehindTheVmsBack() {
        org.junit.jupiter.api.Assumptions.assumeTrue(platform.edmm());
        long page = platform.layout().userRegionEnd() - PAGE;
        ctx.eaccept(page, SecInfo.of(io.jocclum.sgx.arch.PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING));
        assertThatThrownBy(() -> space.checkInvariants(epcm)).hasMessageContaining("commit tracker");
        ctx.modifyTypes(page, PAGE, io.jocclum.sgx.arch.PageType.TRIM);
        ctx.eaccept(page, SecInfo.of(io.jocclum.sgx.arch.PageType.TRIM, 0, SecInfo.MODIFIED));
        ctx.removePages(page, PAGE);
        checkAll();
    }

    @Test
    void detectsEpcmPermissionsThatDisagreeWithTheVma() {
        org.junit.jupiter.api.Assumptions.assumeTrue(platform.edmm());
        long a = vm.mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        mem.readByte(a);
        ctx.emodpe(a, SecInfo.reg(SecInfo.R | SecInfo.W));
        assertThatThrownBy(() -> space.checkInvariants(epcm)).hasMessageContaining("expected REG R--");
        ctx.restrictPermissions(a, PAGE, SecInfo.R);
        ctx.eaccept(a, SecInfo.of(io.jocclum.sgx.arch.PageType.REG, SecInfo.R, SecInfo.PR));
        checkAll();
    }

    private void fails(String expected) {
        assertThatThrownBy(() -> space.checkInvariants(epcm)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(expected);
    }

    @Test
    void aLeakedAddressSpaceLockFailsTheCheck() {
        anon(PAGE);
        space.addressSpace.lock.lock();
        try {
            fails("address space: lock still held by the checking thread");
        } finally {
            space.addressSpace.lock.unlock();
        }
        checkAll();
    }

    @Test
    void aLeakedArenaLockFailsTheCheck() {
        Arena a = space.arenas[space.arenas.length - 1];
        a.lock.lock();
        try {
            fails("arena " + a.id + ": lock still held by the checking thread");
        } finally {
            a.lock.unlock();
        }
        checkAll();
    }

    @Test
    void leakedProcessLocksFailTheCheck() {
        long w = vm.lock.writeLock();
        try {
            fails("pid 1: process VM lock still held for writing");
        } finally {
            vm.lock.unlockWrite(w);
        }
        long r = vm.lock.readLock();
        try {
            fails("pid 1: process VM lock still held for reading (1)");
        } finally {
            vm.lock.unlockRead(r);
        }
        checkAll();
    }

    @Test
    void aLockLeakedByAnotherThreadFailsTheCheckWithoutBlockingIt() throws InterruptedException {
        LeakedLock.whileHeldElsewhere(space.addressSpace.lock,
                () -> assertThatThrownBy(() -> space.checkInvariants(epcm)).hasMessageContaining("address space: lock still held")
                        .hasMessageNotContaining("checking thread"));
        checkAll();
    }

    @Test
    void anIndexedChunkMarkedReleasedIsFound() {
        long a = anon(PAGE);
        Chunk c = vm.find(a).chunk;
        c.released = true;
        try {
            fails(c + " is indexed but marked released");
        } finally {
            c.released = false;
        }
        checkAll();
    }

    @Test
    void aRangeNeitherFreeNorInAChunkIsFound() {
        long end = platform.layout().reservedEnd();
        long last = end - PAGE; // the last two reserved pages are free in these tests
        FreeSpace free = space.addressSpace.free(UserMemoryKind.RESERVED);
        assertThat(free.allocExact(last, end)).isTrue();
        try {
            fails("RESERVED: holes and chunks end at 0x" + Long.toHexString(last) + ", region ends at 0x" + Long.toHexString(end));
        } finally {
            free.free(last, end, platform.layout().reservedBase(), end);
        }
        assertThat(free.allocExact(last - PAGE, last)).isTrue();
        try {
            fails("RESERVED: lost range at 0x" + Long.toHexString(last - PAGE) + " (next item 0x" + Long.toHexString(last)
                    + "-0x" + Long.toHexString(end) + ")");
        } finally {
            free.free(last - PAGE, last, platform.layout().reservedBase(), end);
        }
        checkAll();
    }

    @Test
    void aChunkThatIsAlsoFreeIsFound() {
        long a = anon(PAGE);
        Chunk c = vm.find(a).chunk;
        FreeSpace free = space.addressSpace.free(c.region);
        free.free(c.start, c.end, c.start, c.end);
        try {
            fails(c.region + ": overlap at 0x" + Long.toHexString(c.start));
        } finally {
            assertThat(free.allocExact(c.start, c.end)).isTrue();
        }
        checkAll();
    }

    @Test
    void aDeadVmaInTheMapIsFound() {
        long a = anon(PAGE);
        Vma v = vm.find(a);
        v.alive = false;
        try {
            fails("pid 1: dead VMA in the map " + v);
        } finally {
            v.alive = true;
        }
        checkAll();
    }

    @Test
    void anEndOrAttributesInTheTreeThatAreNotTheVmasOwnAreFound() {
        long a = anon(PAGE);
        Vma v = vm.find(a);
        long own = VmaTree.aux(v);
        // a stale end (one page longer) and stale attributes (another prot)
        for (long wrong : new long[] {own + PAGE, own ^ 1L << VmaTree.END_BITS + 1}) {
            vm.vmas.corruptAux(v.start, wrong);
            try {
                fails("pid 1: the tree's end and attributes 0x" + Long.toHexString(wrong) + " of " + v
                        + " are not its own 0x" + Long.toHexString(own));
            } finally {
                vm.vmas.corruptAux(v.start, own);
            }
        }
        checkAll();
    }

    @Test
    void aMultiChunkWhoseUsedBytesDisagreeWithItsVmasIsFound() {
        long a = anon(PAGE);
        Chunk c = vm.find(a).chunk;
        assertThat(c.kind).isEqualTo(Chunk.Kind.MULTI);
        c.used += PAGE;
        try {
            fails(c + " counts " + c.used + " used bytes but its VMAs hold " + (c.used - PAGE) + " and 0 bytes are lost");
        } finally {
            c.used -= PAGE;
        }
        checkAll();
    }

    @Test
    void aVmaOutsideItsChunkIsFound() {
        long a = anon(PAGE);
        Vma v = vm.find(a);
        long last = platform.layout().reservedEnd() - PAGE; // free in these tests
        Vma stray = new Vma(last, last + PAGE, v.prot, v.flags, null, v.chunk, v.region, v.kind, null);
        vm.vmas.put(stray);
        try {
            fails("pid 1: " + stray + " sticks out of its chunk");
        } finally {
            vm.vmas.retire(stray);
        }
        checkAll();
    }

    @Test
    void aFreeReservedPageStillMarkedDirtyIsFound() {
        long last = platform.layout().reservedEnd() - PAGE;
        space.epc.dirty.mark(last, last + PAGE);
        try {
            fails("free reserved page 0x" + Long.toHexString(last) + " is still marked dirty");
        } finally {
            space.epc.dirty.clear(last, last + PAGE);
        }
        checkAll();
    }

    /** A System V segment attached by the test's process. */
    private SharedSegment attachedSegment() {
        SysvShm.Cred root = new SysvShm.Cred(vm.pid, 0, 0);
        int id = space.sysvShm().shmget(0, PAGE, 01000 | 0600, root);
        long a = space.sysvShm().shmat(vm, id, 0, 0, root);
        space.sysvShm().shmctl(id, 0, 0, root, null); // IPC_RMID: gone at the detach
        return vm.find(a).chunk.segment;
    }

    @Test
    void aSegmentMappedByAProcessItDoesNotListIsFound() {
        SharedSegment seg = attachedSegment();
        seg.users.remove(vm.pid);
        try {
            fails("maps a shared segment that does not list it as a user");
        } finally {
            seg.users.add(vm.pid);
        }
        checkAll();
        vm.munmap(seg.start, seg.size());
        checkAll();
    }

    @Test
    void aSegmentListingAProcessThatDoesNotMapItIsFound() {
        SharedSegment seg = attachedSegment();
        seg.users.add(4242);
        try {
            fails("lists pid 4242, which does not map it");
        } finally {
            seg.users.remove(4242);
        }
        vm.munmap(seg.start, seg.size());
        checkAll();
    }

    @Test
    void anUnusedSegmentThatWasNotReleasedIsFound() {
        SharedSegment seg = space.shared.createAnonymous(PAGE);
        seg.persistent = false;
        try {
            fails(seg + " has no users but was not released");
        } finally {
            seg.persistent = true;
        }
        space.shared.unpersist(seg);
        assertThat(seg.released).isTrue();
        checkAll();
    }
}
