package io.jocclum.libos.vm;

import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Behaviour a mutation run showed untested: how many VMAs merging leaves, growing the brk heap in
 * place with mremap, what MREMAP_DONTUNMAP leaves in the source, and that a moved MAP_SHARED
 * mapping's changes reach the file.
 */
@ParameterizedClass
@EnumSource(Platform.class)
class VmGapsTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    @Test
    void adjacentEqualMappingsMergeIntoOneVma() {
        int before = vm.vmaCount();
        long a = anon(2 * PAGE);
        assertThat(vm.vmaCount()).isEqualTo(before + 1);
        long b = vm.mmap(a + 2 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, null, 0);
        assertThat(b).isEqualTo(a + 2 * PAGE);
        assertThat(vm.vmaCount()).as("merged with its left neighbour").isEqualTo(before + 1);
        assertThat(mappingAt(a).end()).isEqualTo(a + 4 * PAGE);
        vm.mprotect(a + PAGE, PAGE, PROT_READ);
        assertThat(vm.vmaCount()).as("split in three").isEqualTo(before + 3);
        vm.mprotect(a + PAGE, PAGE, RW);
        assertThat(vm.vmaCount()).as("merged again, as Linux does").isEqualTo(before + 1);
        assertThat(mappingAt(a + 3 * PAGE).start()).isEqualTo(a);
        vm.mmap(a + 4 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, null, 0);
        assertThat(vm.vmaCount()).as("other permissions: no merge").isEqualTo(before + 2);
        vm.munmap(a, 5 * PAGE);
        assertThat(vm.vmaCount()).isEqualTo(before);
    }

    @Test
    void mremapGrowsTheBrkHeapInPlaceUpToItsChunk() {
        long hs = vm.heapStart();
        assertThat(hs).isNotZero();
        assertThat(vm.brk(hs + 2 * PAGE)).isEqualTo(hs + 2 * PAGE);
        pattern(hs, 2 * PAGE, 5);
        long generation = vm.vmas.generation;
        assertThat(vm.mremap(hs, 2 * PAGE, 3 * PAGE, 0, 0)).as("grown in place").isEqualTo(hs);
        assertThat(vm.vmas.generation).as("moves on, so that no cached translation of an earlier state matches").isGreaterThan(generation);
        assertThat(mappingAt(hs).end()).isEqualTo(hs + 3 * PAGE);
        assertThat(hasPattern(hs, 2 * PAGE, 5)).isTrue();
        assertThat(isZero(hs + 2 * PAGE, PAGE)).isTrue();
        long heapEnd = hs + spec().heapSize();
        assertThat(vm.mremap(hs, 3 * PAGE, heapEnd - hs, 0, 0)).as("up to the end of the heap chunk").isEqualTo(hs);
        assertThat(mappingAt(hs).end()).isEqualTo(heapEnd);
        assertThat(errno(() -> vm.mremap(hs, heapEnd - hs, heapEnd - hs + PAGE, 0, 0)))
                .as("not past the heap chunk without MREMAP_MAYMOVE").isEqualTo(io.jocclum.api.Errno.ENOMEM);
        assertThat(mappingAt(hs).end()).isEqualTo(heapEnd);
    }

    @Test
    void growingInPlaceUpToAnEqualNeighbourMergesWithIt() {
        int before = vm.vmaCount();
        long a = anon(2 * PAGE);
        vm.mmap(a + 4 * PAGE, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, null, 0);
        assertThat(vm.vmaCount()).isEqualTo(before + 2);
        assertThat(vm.mremap(a, 2 * PAGE, 4 * PAGE, 0, 0)).as("grown in place").isEqualTo(a);
        assertThat(vm.vmaCount()).as("merged with the mapping it now touches").isEqualTo(before + 1);
        assertThat(mappingAt(a).end()).isEqualTo(a + 6 * PAGE);
        vm.munmap(a, 6 * PAGE);
    }

    @Test
    void aSharedFileMappingGrownInPlaceMapsTheFilesNextPages() {
        byte[] content = bytes(4 * (int) PAGE, 29);
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, ByteArrayFile.of(content), 0);
        assertThat(vm.mremap(a, 2 * PAGE, 3 * PAGE, 0, 0)).as("grown in place").isEqualTo(a);
        assertThat(mappingAt(a + 2 * PAGE).fileOffset()).as("the growth continues the file").isEqualTo(2 * PAGE);
        assertThat(mappingAt(a + 2 * PAGE).end()).isEqualTo(a + 3 * PAGE);
        byte[] got = new byte[3 * (int) PAGE];
        mem.read(a, got, 0, got.length);
        assertThat(got).isEqualTo(Arrays.copyOf(content, got.length));
        vm.munmap(a, 3 * PAGE);
    }

    @Test
    void mremapFixedChecksTheNewRangeAgainstTaskSizeAsLinuxDoes() {
        long a = anon(2 * PAGE);
        long task = ProcessVm.TASK_SIZE;
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, task - PAGE)))
                .as("new_addr > TASK_SIZE - new_len").isEqualTo(io.jocclum.api.Errno.EINVAL);
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, task - 2 * PAGE)))
                .as("ending exactly at TASK_SIZE passes that check; it is not user space").isEqualTo(io.jocclum.api.Errno.ENOMEM);
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, task + PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, 0)))
                .as("new_len > TASK_SIZE").isEqualTo(io.jocclum.api.Errno.EINVAL);
        assertThat(mappingAt(a).end()).isEqualTo(a + 2 * PAGE);
    }

    @Test
    void dontunmapMovesAnonymousContentsAndLeavesZeros() {
        long a = anon(2 * PAGE);
        pattern(a, 2 * PAGE, 9);
        long b = vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(b).isNotEqualTo(a);
        assertThat(hasPattern(b, 2 * PAGE, 9)).isTrue();
        assertThat(mapped(a, 2 * PAGE)).as("the source stays mapped").isTrue();
        assertThat(isZero(a, 2 * PAGE)).as("and reads as zeros").isTrue();
    }

    @Test
    void dontunmapOfAPrivateFileMappingRereadsTheFile() {
        byte[] content = bytes(2 * (int) PAGE, 3);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_PRIVATE, f, 0);
        mem.writeByte(a + 10, (byte) 0x77);
        long b = vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(mem.readByte(b + 10)).isEqualTo((byte) 0x77);
        byte[] src = new byte[2 * (int) PAGE];
        mem.read(a, src, 0, src.length);
        assertThat(src).as("the source shows the file again").isEqualTo(content);
        assertThat(f.contents()).isEqualTo(content);
    }

    @Test
    void dontunmapOfAProtNoneMappingLeavesItProtNoneAndZero() {
        long a = anon(PAGE);
        pattern(a, PAGE, 11);
        vm.mprotect(a, PAGE, PROT_NONE);
        long b = vm.mremap(a, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(mappingAt(a).prot()).isEqualTo(PROT_NONE);
        assertThat(mappingAt(b).prot()).isEqualTo(PROT_NONE);
        vm.mprotect(b, PAGE, PROT_READ);
        assertThat(hasPattern(b, PAGE, 11)).isTrue();
        vm.mprotect(a, PAGE, PROT_READ);
        assertThat(isZero(a, PAGE)).isTrue();
    }

    @Test
    void dontunmapOfAProtNoneMappingLeavesItsSourcePagesWithThePermissionsTheyHadBefore() {
        assumeTrue(platform.edmm(), "EPCM permissions follow a mapping's only with EDMM");
        long anon = anon(2 * PAGE);
        pattern(anon, 2 * PAGE, 13);
        long shared = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, ByteArrayFile.of(bytes(2 * (int) PAGE, 17)), 0);
        for (long a : new long[] {anon, shared}) {
            vm.mprotect(a, 2 * PAGE, PROT_NONE);
            Vma v = vm.vmas.find(a);
            // private PROT_NONE pages hold no EPCM permissions; a shared segment's pages stay read-write
            // for every process that maps it (the VM enforces PROT_NONE)
            long expected = VmEpc.epcm(v.region, v.inSegment() ? RW : PROT_NONE);
            assertThat(epcm.entry(a).flags().perms()).as("0x%x before", a).isEqualTo(expected);
            vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
            assertThat(vm.vmas.find(a).prot).isEqualTo(PROT_NONE);
            for (long p = a; p < a + 2 * PAGE; p += PAGE) {
                assertThat(epcm.entry(p).valid()).as("page 0x%x stays committed", p).isTrue();
                assertThat(epcm.entry(p).flags().perms()).as("page 0x%x after", p).isEqualTo(expected);
            }
        }
    }

    @Test
    void aFileMappingMovedToTheVeryEndOfTheUserRegionShowsTheFile() {
        assumeTrue(platform.edmm(), "only an EDMM build has a user region");
        byte[] content = bytes(2 * (int) PAGE, 21);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_PRIVATE, f, 0);
        long top = platform.layout().userRegionEnd() - 2 * PAGE;
        assertThat(vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, top)).isEqualTo(top);
        byte[] got = new byte[content.length];
        mem.read(top, got, 0, got.length);
        assertThat(got).isEqualTo(content);
        vm.munmap(top, 2 * PAGE);
    }

    @Test
    void aMovedSharedMappingWritesItsChangesBack() {
        byte[] content = bytes(2 * (int) PAGE, 1);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, f, 0);
        vm.mmap(a + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, null, 0); // no growth in place
        mem.writeByte(a + PAGE + 3, (byte) 0x5a);
        long b = vm.mremap(a, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE, 0);
        assertThat(b).isNotEqualTo(a);
        byte[] expected = content.clone();
        expected[(int) PAGE + 3] = 0x5a;
        assertThat(f.contents()).as("written back when the source went away").isEqualTo(expected);
        assertThat(mem.readByte(b + PAGE + 3)).isEqualTo((byte) 0x5a);
        mem.writeByte(b, (byte) 0x11);
        vm.munmap(b, 3 * PAGE);
        expected[0] = 0x11;
        assertThat(Arrays.copyOf(f.contents(), expected.length)).isEqualTo(expected);
    }

    @Test
    void aSharedMappingMovedWithDontunmapShowsItsChangesThroughBothMappingsAndInTheFileAfterUnmapping() {
        byte[] content = bytes(2 * (int) PAGE, 7);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, f, 0);
        mem.writeByte(a + PAGE + 9, (byte) 0x6b);
        long b = vm.mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(b).isNotEqualTo(a);
        byte[] expected = content.clone();
        expected[(int) PAGE + 9] = 0x6b;
        assertThat(mem.readByte(a + PAGE + 9)).as("the source still maps the file").isEqualTo((byte) 0x6b);
        assertThat(mem.readByte(b + PAGE + 9)).isEqualTo((byte) 0x6b);
        vm.munmap(a, 2 * PAGE);
        vm.munmap(b, 2 * PAGE);
        assertThat(f.contents()).isEqualTo(expected);
    }

    @Test
    void aHintAtAFreePlaceInsideAnotherMappingsChunkIsHonoured() {
        long a = anon(4 * PAGE);
        vm.munmap(a + PAGE, PAGE);
        long b = vm.mmap(a + PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        assertThat(b).as("the hole left inside the chunk is free, so the hint is taken").isEqualTo(a + PAGE);
        assertThat(vm.mmap(a + 2 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0))
                .as("an occupied hint is not").isNotEqualTo(a + 2 * PAGE);
    }

    @Test
    void aHintAtTheEarlierFreedOfTwoHolesInsideAChunkIsHonouredNotTheBestFit() {
        long a = anon(8 * PAGE);
        // best fit takes the most recently freed of equal holes: without the hint that is a + PAGE
        vm.munmap(a + 5 * PAGE, PAGE);
        vm.munmap(a + PAGE, PAGE);
        long b = vm.mmap(a + 5 * PAGE, PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        assertThat(b).as("the hinted hole, not the one best fit would take").isEqualTo(a + 5 * PAGE);
    }

    @Test
    void aHintForTheLastPagesOfTheUserSpaceIsHonoured() {
        UserSpaceLayout layout = platform.layout();
        long end = layout.hasUserRegion() ? layout.userRegionEnd() : layout.reservedEnd();
        long hint = end - 2 * PAGE;
        long a = vm.mmap(hint, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        assertThat(a).as("a free range ending exactly at the end of user space").isEqualTo(hint);
        mem.writeByte(end - 1, (byte) 3);
        assertThat(mem.readByte(end - 1)).isEqualTo((byte) 3);
        vm.munmap(a, 2 * PAGE);
    }
}
