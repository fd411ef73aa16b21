package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/** mremap grows, shrinks and moves, including the cases Occlum gets wrong. */
@ParameterizedClass
@EnumSource(Platform.class)
class MremapTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    private static byte[] letters(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('A' + i % 26);
        }
        return b;
    }

    private long free(long len) {
        long a = anon(len);
        vm.munmap(a, len);
        return a;
    }

    @Test
    void growsInPlaceInsideAMultiVmaChunk() {
        long a = free(16 * PAGE);
        vm.mmap(a, 4 * PAGE, RW, ANON | MAP_FIXED, null, 0);
        pattern(a, 4 * PAGE, 1);
        assertThat(vm.mremap(a, 4 * PAGE, 12 * PAGE, 0, 0)).isEqualTo(a);
        assertThat(hasPattern(a, 4 * PAGE, 1)).isTrue();
        assertThat(isZero(a + 4 * PAGE, 8 * PAGE)).isTrue();
        assertThat(mappingAt(a).end()).isEqualTo(a + 12 * PAGE);
    }

    @Test
    void growsInPlaceASingleVmaChunk() {
        long big = 40 * MB;
        long a = anon(big + 4 * PAGE);
        vm.munmap(a + big, 4 * PAGE);
        mem.writeInt(a + big - 4, 99);
        assertThat(vm.mremap(a, big, big + 2 * PAGE, 0, 0)).isEqualTo(a);
        assertThat(mem.readInt(a + big - 4)).isEqualTo(99);
        mem.writeInt(a + big + PAGE, 5);
        assertThat(mappingAt(a).end()).isEqualTo(a + big + 2 * PAGE);
    }

    @Test
    void shrinkUnmapsTheTailAndKeepsTheHead() {
        long a = anon(8 * PAGE);
        pattern(a, 8 * PAGE, 2);
        assertThat(vm.mremap(a, 8 * PAGE, 3 * PAGE, MREMAP_MAYMOVE, 0)).isEqualTo(a);
        assertThat(hasPattern(a, 3 * PAGE, 2)).isTrue();
        assertThat(signal(() -> mem.readByte(a + 3 * PAGE)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
    }

    @Test
    void sameSizeIsANoOp() {
        long a = anon(2 * PAGE);
        mem.writeInt(a, 4);
        assertThat(vm.mremap(a, 2 * PAGE, 2 * PAGE, 0, 0)).isEqualTo(a);
        assertThat(mem.readInt(a)).isEqualTo(4);
    }

    @Test
    void moveKeepsContentsAndProtectionAndFreesTheOldRange() {
        long a = anon(4 * PAGE);
        long blocker = vm.mmap(a + 4 * PAGE, PAGE, PROT_NONE, ANON | MAP_FIXED, null, 0);
        pattern(a, 4 * PAGE, 3);
        vm.mprotect(a, 4 * PAGE, PROT_READ);
        long b = vm.mremap(a, 4 * PAGE, 64 * PAGE, MREMAP_MAYMOVE, 0);
        assertThat(b).isNotEqualTo(a);
        assertThat(hasPattern(b, 4 * PAGE, 3)).isTrue();
        assertThat(isZero(b + 4 * PAGE, 60 * PAGE)).isTrue();
        assertThat(mappingAt(b).prot()).isEqualTo(PROT_READ);
        assertThat(mappingAt(a)).isNull();
        assertThat(mappingAt(blocker)).isNotNull();
    }

    @Test
    void moveOfAProtNoneMappingKeepsItsBytes() {
        long a = anon(2 * PAGE);
        vm.mmap(a + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, null, 0);
        pattern(a, 2 * PAGE, 8);
        vm.mprotect(a, 2 * PAGE, PROT_NONE);
        long b = vm.mremap(a, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, 0);
        assertThat(signal(() -> mem.readByte(b)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        vm.mprotect(b, 8 * PAGE, PROT_READ);
        assertThat(hasPattern(b, 2 * PAGE, 8)).isTrue();
    }

    @Test
    void fixedReplacesWhatWasThereAndFailsWithoutSideEffectsOnForeignMemory() {
        long a = anon(2 * PAGE);
        pattern(a, 2 * PAGE, 4);
        long t = anon(6 * PAGE);
        pattern(t, 6 * PAGE, 5);
        assertThat(vm.mremap(a, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t + PAGE)).isEqualTo(t + PAGE);
        assertThat(hasPattern(t + PAGE, 2 * PAGE, 4)).isTrue();
        assertThat(isZero(t + 3 * PAGE, PAGE)).isTrue();
        assertThat(hasPattern(t, PAGE, 5)).isTrue();
        ProcessVm other = space.createProcess(2, spec());
        long o = other.mmap(0, PAGE, RW, ANON, null, 0);
        long c = anon(PAGE);
        mem.writeInt(c, 6);
        assertThat(errno(() -> vm.mremap(c, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, o))).isEqualTo(Errno.ENOMEM);
        assertThat(mem.readInt(c)).as("the source is untouched").isEqualTo(6);
    }

    @Test
    void fixedWithShrinkingMovesOnlyTheNewLength() {
        long a = anon(4 * PAGE);
        pattern(a, 4 * PAGE, 6);
        long t = free(2 * PAGE);
        assertThat(vm.mremap(a, 4 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, t)).isEqualTo(t);
        assertThat(hasPattern(t, 2 * PAGE, 6)).isTrue();
        assertThat(mapped(a, PAGE) || mapped(a + 3 * PAGE, PAGE)).isFalse();
    }

    @Test
    void privateFileMappingGrownInPlaceOrByMovingShowsTheFile() {
        byte[] content = letters(8 * (int) PAGE);
        ByteArrayFile f = ByteArrayFile.of(content);
        long hole = free(8 * PAGE);
        long a = vm.mmap(hole, 2 * PAGE, RW, MAP_PRIVATE, f, PAGE);
        assertThat(vm.mremap(a, 2 * PAGE, 3 * PAGE, 0, 0)).isEqualTo(a);
        byte[] got = new byte[(int) PAGE];
        mem.read(a + 2 * PAGE, got, 0, got.length);
        assertThat(got).as("Occlum fills this with zeros").isEqualTo(java.util.Arrays.copyOfRange(content, 3 * (int) PAGE, 4 * (int) PAGE));
        vm.mmap(a + 3 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, null, 0);
        mem.writeByte(a, (byte) '*');
        long b = vm.mremap(a, 3 * PAGE, 5 * PAGE, MREMAP_MAYMOVE, 0);
        assertThat(mem.readByte(b)).isEqualTo((byte) '*');
        mem.read(b + 4 * PAGE, got, 0, got.length);
        assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(content, 5 * (int) PAGE, 6 * (int) PAGE));
        assertThat(f.contents()).isEqualTo(content);
    }

    @Test
    void aMappingMadeOfSeveralVmasAcrossChunksMovesAsOne() {
        long small = anon(PAGE);
        long len = VmConfig.OCCLUM_CHUNK_SIZE + 4 * PAGE;
        long a = vm.mmap(small, len, RW, ANON | MAP_FIXED, null, 0);
        mem.writeLong(a, 1);
        mem.writeLong(a + len - 8, 2);
        long b = vm.mremap(a, len, len + PAGE, MREMAP_MAYMOVE, 0);
        assertThat(mem.readLong(b)).isEqualTo(1);
        assertThat(mem.readLong(b + len - 8)).isEqualTo(2);
        assertThat(mapped(b, len + PAGE)).isTrue();
    }

    @Test
    void mremapOfTheHeapMovesItOut() {
        long start = vm.heapStart();
        vm.brk(start + 2 * PAGE);
        mem.writeInt(start, 31);
        long b = vm.mremap(start, 2 * PAGE, 16 * MB, MREMAP_MAYMOVE, 0);
        assertThat(mem.readInt(b)).isEqualTo(31);
        assertThat(mappingAt(b).kind()).isEqualTo("mmap");
    }

    // ---- tools/testing/selftests/mm/mremap_dontunmap.c ----------------------------------------

    private void fill(long a, long len, char c) {
        mem.fill(a, len, (byte) c);
    }

    private boolean all(long a, long len, char c) {
        byte[] b = new byte[(int) len];
        mem.read(a, b, 0, b.length);
        for (byte x : b) {
            if (x != (byte) c) {
                return false;
            }
        }
        return true;
    }

    @Test
    void mremap_dontunmap_simple() {
        long len = 5 * PAGE;
        long src = anon(len);
        fill(src, len, 'a');
        long dest = vm.mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(dest).isNotEqualTo(src);
        assertThat(all(dest, len, 'a')).isTrue();
        assertThat(all(src, len, '\0')).as("the source stays mapped and reads as zero").isTrue();
    }

    @Test
    void mremap_dontunmap_simple_fixed() {
        long len = 5 * PAGE;
        long src = anon(len);
        fill(src, len, 'a');
        long dest = anon(len);
        fill(dest, len, 'b');
        assertThat(vm.mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, dest)).isEqualTo(dest);
        assertThat(all(dest, len, 'a')).isTrue();
        assertThat(all(src, len, '\0')).isTrue();
    }

    @Test
    void mremap_dontunmap_partial_mapping() {
        long len = 10 * PAGE;
        long src = anon(len);
        fill(src, len, 'a');
        long dest = vm.mremap(src, 5 * PAGE, 5 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(all(dest, 5 * PAGE, 'a')).isTrue();
        assertThat(all(src, 5 * PAGE, '\0')).isTrue();
        assertThat(all(src + 5 * PAGE, 5 * PAGE, 'a')).isTrue();
    }

    @Test
    void mremap_dontunmap_partial_mapping_overwrite() {
        long src = anon(5 * PAGE);
        fill(src, 5 * PAGE, 'a');
        long dest = anon(10 * PAGE);
        fill(dest, 10 * PAGE, 'b');
        assertThat(vm.mremap(src, 5 * PAGE, 5 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, dest)).isEqualTo(dest);
        assertThat(all(src, 5 * PAGE, '\0')).isTrue();
        assertThat(all(dest, 5 * PAGE, 'a')).isTrue();
        assertThat(all(dest + 5 * PAGE, 5 * PAGE, 'b')).isTrue();
    }

    @Test
    void dontunmapOfAPrivateFileMappingRereadsTheFile() {
        byte[] content = letters(2 * (int) PAGE);
        ByteArrayFile f = ByteArrayFile.of(content);
        long src = vm.mmap(0, 2 * PAGE, RW, MAP_PRIVATE, f, 0);
        fill(src, 2 * PAGE, 'z');
        long dest = vm.mremap(src, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
        assertThat(all(dest, 2 * PAGE, 'z')).isTrue();
        byte[] got = new byte[(int) (2 * PAGE)];
        mem.read(src, got, 0, got.length);
        assertThat(got).isEqualTo(content);
    }
}
