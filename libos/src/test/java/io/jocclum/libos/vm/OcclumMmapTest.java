package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Occlum's {@code test/mmap/main.c}, rewritten against the syscall-level API under the original
 * case names. Where Occlum's expectation was one of its bugs (spec section 10) the Linux result
 * is asserted and the comment says so. The hint window is a 4 MB range known to be free in the
 * user space of the platform under test.
 */
@ParameterizedClass
@EnumSource(Platform.class)
class OcclumMmapTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;
    private static final long MAX_MMAP_USED_MEMORY = 4 * MB;

    private long hintBegin() {
        UserSpaceLayout l = platform.layout();
        return l.hasUserRegion() ? l.userRegionBase() + 1024 * MB : l.reservedBase() + 128 * MB;
    }

    private long hintEnd() {
        return hintBegin() + 4 * MB;
    }

    private static byte[] fileContent(int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        return b;
    }

    private boolean bytesEqual(long addr, byte[] expected, int from, int len) {
        byte[] b = new byte[len];
        mem.read(addr, b, 0, len);
        for (int i = 0; i < len; i++) {
            if (b[i] != expected[from + i]) {
                return false;
            }
        }
        return true;
    }

    @Test
    void test_anonymous_mmap() {
        for (long len = PAGE; len <= MAX_MMAP_USED_MEMORY; len *= 4) {
            long a = anon(len);
            assertThat(isZero(a, len)).as("fresh anonymous memory of %d bytes is zero", len).isTrue();
            pattern(a, len, (int) len);
            vm.munmap(a, len);
        }
    }

    @Test
    void test_anonymous_mmap_randomly() {
        SplittableRandom rnd = new SplittableRandom(1);
        List<long[]> maps = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            long len = (rnd.nextInt(16) + 1) * PAGE;
            long a = anon(len);
            assertThat(isZero(a, len)).isTrue();
            mem.writeLong(a + len - 8, i + 1);
            maps.add(new long[] {a, len, i + 1});
        }
        for (long[] m : maps) {
            assertThat(mem.readLong(m[0] + m[1] - 8)).isEqualTo(m[2]);
            vm.munmap(m[0], m[1]);
        }
    }

    @Test
    void test_anonymous_mmap_randomly_with_good_hints() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < 50; i++) {
            long hint = (hintBegin() + rnd.nextLong(hintEnd() - hintBegin() - 16 * PAGE)) & ~(PAGE - 1);
            long len = (rnd.nextInt(16) + 1) * PAGE;
            long a = vm.mmap(hint, len, RW, ANON, null, 0);
            assertThat(a).as("a free hint is honoured").isEqualTo(hint);
            vm.munmap(a, len);
        }
    }

    @Test
    void test_anonymous_mmap_with_bad_hints() {
        long occupied = anon(PAGE);
        long[] badHints = {PAGE /* too low */, 0xffff800000000000L /* too high */, occupied /* overlaps a mapping */,
                ProcessVm.TASK_SIZE - PAGE /* not user space */};
        for (long hint : badHints) {
            long a = vm.mmap(hint, PAGE, RW, ANON, null, 0);
            assertThat(a).isNotEqualTo(hint);
            assertThat(mappingAt(a)).isNotNull();
            vm.munmap(a, PAGE);
        }
        // an unaligned hint is rounded down to its page and honoured when free
        long h = hintBegin() + 123;
        assertThat(vm.mmap(h, PAGE, RW, ANON, null, 0)).isEqualTo(hintBegin());
    }

    @Test
    void test_anonymous_mmap_with_zero_len() {
        assertThat(errno(() -> vm.mmap(0, 0, RW, ANON, null, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void test_anonymous_mmap_with_non_page_aligned_len() {
        long len = 2 * PAGE + 123;
        long a = anon(len);
        // the whole last page is mapped and zero
        assertThat(isZero(a, 3 * PAGE)).isTrue();
        mem.writeByte(a + 3 * PAGE - 1, (byte) 1);
        assertThat(mappingAt(a).end() - a).isGreaterThanOrEqualTo(3 * PAGE);
        vm.munmap(a, len);
        assertThat(mapped(a, PAGE)).isFalse();
    }

    @Test
    void test_private_file_mmap() {
        byte[] content = fileContent(3 * (int) PAGE + 100);
        ByteArrayFile f = ByteArrayFile.of(content);
        long len = 4 * PAGE;
        long a = vm.mmap(0, len, RW, MAP_PRIVATE, f, 0);
        assertThat(bytesEqual(a, content, 0, content.length)).isTrue();
        assertThat(isZero(a + content.length, len - content.length)).as("past end of file").isTrue();
        mem.writeByte(a, (byte) 'Z');
        vm.munmap(a, len);
        assertThat(f.contents()).isEqualTo(content); // private: never written back
    }

    @Test
    void test_private_file_mmap_with_offset() {
        byte[] content = fileContent(5 * (int) PAGE);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, f, 2 * PAGE);
        assertThat(bytesEqual(a, content, 2 * (int) PAGE, 2 * (int) PAGE)).isTrue();
        assertThat(mappingAt(a).fileOffset()).isEqualTo(2 * PAGE);
    }

    @Test
    void test_private_file_mmap_with_invalid_fd() {
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_PRIVATE, null, 0))).isEqualTo(Errno.EBADF);
    }

    @Test
    void test_private_file_mmap_with_non_page_aligned_offset() {
        ByteArrayFile f = ByteArrayFile.of(fileContent(8192));
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_PRIVATE, f, 1))).isEqualTo(Errno.EINVAL);
    }

    private long sharedWrite(ByteArrayFile f, byte[] content) {
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, f, 0);
        assertThat(bytesEqual(a, content, 0, content.length)).isTrue();
        mem.write(a + 10, "Hello from Occlum".getBytes(), 0, 17);
        return a;
    }

    private static boolean fileHas(ByteArrayFile f, int off, String s) {
        return new String(f.contents(), off, s.length()).equals(s);
    }

    @Test
    void test_shared_file_mmap_flushing_with_msync() {
        byte[] content = fileContent((int) PAGE + 50);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = sharedWrite(f, content);
        assertThat(fileHas(f, 10, "Hello from Occlum")).isFalse();
        vm.msync(a, 2 * PAGE, MS_SYNC);
        assertThat(fileHas(f, 10, "Hello from Occlum")).isTrue();
        assertThat(f.size()).as("write-back never extends the file").isEqualTo(content.length);
    }

    @Test
    void test_shared_file_mmap_flushing_with_munmap() {
        byte[] content = fileContent((int) PAGE + 50);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = sharedWrite(f, content);
        vm.munmap(a, 2 * PAGE);
        assertThat(fileHas(f, 10, "Hello from Occlum")).isTrue();
    }

    @Test
    void test_shared_file_mmap_flushing_with_fdatasync() {
        byte[] content = fileContent((int) PAGE + 50);
        ByteArrayFile f = ByteArrayFile.of(content);
        sharedWrite(f, content);
        vm.syncFile(f.identity());
        assertThat(fileHas(f, 10, "Hello from Occlum")).isTrue();
    }

    @Test
    void test_shared_file_mmap_flushing_with_fsync() {
        byte[] content = fileContent((int) PAGE + 50);
        ByteArrayFile f = ByteArrayFile.of(content);
        sharedWrite(f, content);
        // fsync through another open file of the same file
        vm.syncFile(f.reopen(true, false).identity());
        assertThat(fileHas(f, 10, "Hello from Occlum")).isTrue();
    }

    @Test
    void test_fixed_mmap_that_does_not_override_any_mmaping() {
        long hint = hintBegin() + 16 * PAGE;
        long a = vm.mmap(hint, 4 * PAGE, RW, ANON | MAP_FIXED, null, 0);
        assertThat(a).isEqualTo(hint);
        assertThat(isZero(a, 4 * PAGE)).isTrue();
    }

    @Test
    void test_fixed_mmap_that_overrides_existing_mmaping() {
        long len = 8 * PAGE;
        long a = anon(len);
        pattern(a, len, 3);
        long b = vm.mmap(a + 2 * PAGE, 3 * PAGE, PROT_READ, ANON | MAP_FIXED, null, 0);
        assertThat(b).isEqualTo(a + 2 * PAGE);
        assertThat(isZero(b, 3 * PAGE)).as("the new mapping is fresh").isTrue();
        assertThat(mappingAt(b).prot()).isEqualTo(PROT_READ);
        byte[] before = new byte[(int) (2 * PAGE)];
        mem.read(a, before, 0, before.length);
        assertThat(hasPattern(a, 2 * PAGE, 3)).isTrue();
        assertThat(mappingAt(a + 5 * PAGE).prot()).isEqualTo(RW);
        assertThat(mem.readByte(a + 5 * PAGE)).isNotNull();
    }

    @Test
    void test_fixed_mmap_with_non_page_aligned_addr() {
        assertThat(errno(() -> vm.mmap(hintBegin() + 1, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void test_fixed_mmap_spans_over_two_chunks() {
        // a small mapping lives in a multi-VMA chunk; a fixed mapping starting inside that chunk and ending far
        // beyond it covers the chunk's tail, the free space after it and whatever else: all of it must be mapped
        long small = anon(PAGE);
        long start = small;
        long len = VmConfig.OCCLUM_CHUNK_SIZE + 8 * PAGE;
        long a = vm.mmap(start, len, RW, ANON | MAP_FIXED, null, 0);
        assertThat(a).isEqualTo(start);
        assertThat(mapped(a, len)).as("no leading or trailing part left unmapped (Occlum's bug)").isTrue();
        mem.writeLong(a, 1);
        mem.writeLong(a + len - 8, 2);
        mem.fill(a, len, (byte) 7);
        vm.munmap(a, len);
        assertThat(mapped(a, len)).isFalse();
    }

    @Test
    void test_munmap_whose_range_is_a_subset_of_a_mmap_region() {
        long a = anon(8 * PAGE);
        vm.munmap(a + 2 * PAGE, 3 * PAGE);
        assertThat(mapped(a, 2 * PAGE)).isTrue();
        assertThat(mapped(a + 2 * PAGE, PAGE)).isFalse();
        assertThat(mapped(a + 4 * PAGE, PAGE)).isFalse();
        assertThat(mapped(a + 5 * PAGE, 3 * PAGE)).isTrue();
    }

    @Test
    void test_munmap_whose_range_is_a_superset_of_a_mmap_region() {
        long a = anon(4 * PAGE);
        vm.munmap(a - 4 * PAGE, 12 * PAGE);
        assertThat(mapped(a, PAGE)).isFalse();
        assertThat(mappingAt(a + 3 * PAGE)).isNull();
    }

    @Test
    void test_munmap_whose_range_intersects_with_a_mmap_region() {
        long a = anon(4 * PAGE);
        long b = vm.mmap(a + 4 * PAGE, 4 * PAGE, PROT_READ, ANON | MAP_FIXED, null, 0);
        vm.munmap(a + 2 * PAGE, 4 * PAGE);
        assertThat(mapped(a, 2 * PAGE)).isTrue();
        assertThat(mappingAt(a + 2 * PAGE)).isNull();
        assertThat(mappingAt(b + PAGE)).isNull();
        assertThat(mapped(b + 2 * PAGE, 2 * PAGE)).isTrue();
    }

    @Test
    void test_munmap_whose_range_intersects_with_no_mmap_regions() {
        long a = anon(PAGE);
        vm.munmap(a, PAGE);
        vm.munmap(a, PAGE);
        vm.munmap(hintBegin(), 4 * MB);
    }

    @Test
    void test_munmap_whose_range_intersects_with_multiple_mmap_regions() {
        long base = hintBegin();
        for (int i = 0; i < 8; i += 2) {
            vm.mmap(base + i * PAGE, PAGE, i % 4 == 0 ? RW : PROT_READ, ANON | MAP_FIXED, null, 0);
        }
        vm.munmap(base, 8 * PAGE);
        for (int i = 0; i < 8; i++) {
            assertThat(mappingAt(base + i * PAGE)).isNull();
        }
    }

    @Test
    void test_munmap_with_null_addr() {
        vm.munmap(0, PAGE);
    }

    @Test
    void test_munmap_with_zero_len() {
        long a = anon(PAGE);
        assertThat(errno(() -> vm.munmap(a, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void test_munmap_with_non_page_aligned_len() {
        long a = anon(4 * PAGE);
        vm.munmap(a, PAGE + 1);
        assertThat(mapped(a, 2 * PAGE)).isFalse();
        assertThat(mapped(a + 2 * PAGE, 2 * PAGE)).isTrue();
    }

    @Test
    void test_mremap() {
        long len = PAGE;
        long a = anon(len);
        pattern(a, len, 9);
        for (long newLen = 2 * PAGE; newLen <= 64 * PAGE; newLen *= 2) {
            long b = vm.mremap(a, len, newLen, MREMAP_MAYMOVE, 0);
            assertThat(hasPattern(b, PAGE, 9)).isTrue();
            assertThat(isZero(b + len, newLen - len)).isTrue();
            a = b;
            len = newLen;
        }
        long c = vm.mremap(a, len, PAGE, 0, 0);
        assertThat(c).isEqualTo(a);
        assertThat(hasPattern(c, PAGE, 9)).isTrue();
        assertThat(mappingAt(c + PAGE)).isNull();
    }

    @Test
    void test_mremap_subrange() {
        long a = anon(8 * PAGE);
        pattern(a, 8 * PAGE, 4);
        long b = vm.mremap(a + 2 * PAGE, 2 * PAGE, 6 * PAGE, MREMAP_MAYMOVE, 0);
        byte[] expected = new byte[(int) (8 * PAGE)];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) (4 + i * 31 + (i >>> 12));
        }
        assertThat(bytesEqual(b, expected, 2 * (int) PAGE, 2 * (int) PAGE)).isTrue();
        assertThat(isZero(b + 2 * PAGE, 4 * PAGE)).isTrue();
        assertThat(mappingAt(a + 2 * PAGE)).isNull();
        assertThat(mapped(a, 2 * PAGE) && mapped(a + 4 * PAGE, 4 * PAGE)).isTrue();
    }

    @Test
    void test_mremap_with_fixed_addr() {
        long a = anon(4 * PAGE);
        pattern(a, 4 * PAGE, 5);
        long target = hintBegin();
        long b = vm.mremap(a, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target);
        assertThat(b).isEqualTo(target);
        assertThat(hasPattern(b, 4 * PAGE, 5)).isTrue();
        assertThat(isZero(b + 4 * PAGE, 4 * PAGE)).isTrue();
        assertThat(mappingAt(a)).isNull();
        assertThat(errno(() -> vm.mremap(b, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, b + PAGE))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void test_file_backed_mremap() {
        byte[] content = fileContent(8 * (int) PAGE);
        ByteArrayFile f = ByteArrayFile.of(content);
        long hint = hintBegin();
        long a = vm.mmap(hint, 2 * PAGE, RW, MAP_SHARED, f, 0);
        long b = vm.mremap(a, 2 * PAGE, 4 * PAGE, 0, 0);
        assertThat(b).isEqualTo(a);
        assertThat(bytesEqual(b, content, 0, 4 * (int) PAGE)).as("grown part shows the file").isTrue();
        mem.writeByte(b + 3 * PAGE, (byte) '!');
        vm.munmap(b, 4 * PAGE);
        assertThat(f.contents()[3 * (int) PAGE]).isEqualTo((byte) '!');
    }

    @Test
    void test_file_backed_mremap_mem_may_move() {
        byte[] content = fileContent(8 * (int) PAGE);
        ByteArrayFile f = ByteArrayFile.of(content);
        long hint = hintBegin();
        long a = vm.mmap(hint, 2 * PAGE, RW, MAP_SHARED, f, 0);
        vm.mmap(hint + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED, null, 0); // blocks growth in place
        mem.writeByte(a, (byte) '#');
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, 4 * PAGE, 0, 0))).isEqualTo(Errno.ENOMEM);
        long b = vm.mremap(a, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE, 0);
        assertThat(b).isNotEqualTo(a);
        assertThat(mem.readByte(b)).isEqualTo((byte) '#');
        assertThat(bytesEqual(b + 1, content, 1, 4 * (int) PAGE - 1)).isTrue();
        mem.writeByte(b + 3 * PAGE + 1, (byte) '?');
        vm.msync(b, 4 * PAGE, MS_SYNC);
        assertThat(f.contents()[0]).isEqualTo((byte) '#');
        assertThat(f.contents()[3 * (int) PAGE + 1]).isEqualTo((byte) '?');
    }

    @Test
    void test_mprotect_once() {
        long a = anon(4 * PAGE);
        vm.mprotect(a, 2 * PAGE, PROT_READ);
        assertThat(signal(() -> mem.writeInt(a, 1)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        mem.writeInt(a + 2 * PAGE, 1);
        assertThat(mappingAt(a).end()).isEqualTo(a + 2 * PAGE);
    }

    @Test
    void test_mprotect_twice() {
        long a = anon(4 * PAGE);
        vm.mprotect(a, 2 * PAGE, PROT_READ);
        vm.mprotect(a + 2 * PAGE, 2 * PAGE, PROT_NONE);
        assertThat(signal(() -> mem.readInt(a + 2 * PAGE)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        assertThat(mem.readInt(a)).isZero();
        vm.mprotect(a, 4 * PAGE, RW);
        assertThat(vm.mappings()).filteredOn(m -> m.start() <= a && a < m.end()).singleElement()
                .satisfies(m -> assertThat(m.end()).as("re-merged after mprotect (Occlum does not merge)").isGreaterThanOrEqualTo(a + 4 * PAGE));
    }

    @Test
    void test_mprotect_triple() {
        long a = anon(3 * PAGE);
        mem.writeInt(a + PAGE, 77);
        vm.mprotect(a + PAGE, PAGE, PROT_NONE);
        assertThat(mappingAt(a).prot()).isEqualTo(RW);
        assertThat(mappingAt(a + PAGE).prot()).isEqualTo(PROT_NONE);
        assertThat(mappingAt(a + 2 * PAGE).prot()).isEqualTo(RW);
        vm.mprotect(a + PAGE, PAGE, PROT_READ);
        assertThat(mem.readInt(a + PAGE)).isEqualTo(77);
    }

    @Test
    void test_mprotect_with_zero_len() {
        long a = anon(PAGE);
        vm.mprotect(a, 0, PROT_NONE);
        assertThat(mappingAt(a).prot()).isEqualTo(RW);
    }

    @Test
    void test_mprotect_with_invalid_addr() {
        assertThat(errno(() -> vm.mprotect(0, PAGE, PROT_NONE))).isEqualTo(Errno.ENOMEM);
        long a = anon(PAGE);
        assertThat(errno(() -> vm.mprotect(a + 1, PAGE, PROT_NONE))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void test_mprotect_with_invalid_prot() {
        long a = anon(PAGE);
        assertThat(errno(() -> vm.mprotect(a, PAGE, 0x1000))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void test_mprotect_with_non_page_aligned_size() {
        long a = anon(2 * PAGE);
        vm.mprotect(a, PAGE + 1, PROT_READ);
        assertThat(mappingAt(a + PAGE).prot()).isEqualTo(PROT_READ);
    }

    @Test
    void test_mprotect_multiple_vmas() {
        long base = hintBegin();
        vm.mmap(base, 2 * PAGE, RW, ANON | MAP_FIXED, null, 0);
        vm.mmap(base + 2 * PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED, null, 0);
        vm.mmap(base + 4 * PAGE, 2 * PAGE, PROT_NONE, ANON | MAP_FIXED, null, 0);
        vm.mprotect(base + PAGE, 4 * PAGE, PROT_READ | PROT_EXEC);
        assertThat(mappingAt(base).prot()).isEqualTo(RW);
        assertThat(mappingAt(base + PAGE).prot()).isEqualTo(PROT_READ | PROT_EXEC);
        assertThat(mappingAt(base + PAGE).end()).isEqualTo(base + 5 * PAGE);
        assertThat(mappingAt(base + 5 * PAGE).prot()).isEqualTo(PROT_NONE);
    }

    @Test
    void test_mprotect_grow_down() {
        long a = vm.mmap(0, 4 * PAGE, RW, ANON | MAP_GROWSDOWN, null, 0);
        vm.mprotect(a + 2 * PAGE, PAGE, PROT_READ | PROT_GROWSDOWN);
        // the change reaches down to the start of the growsdown mapping
        assertThat(mappingAt(a).prot()).isEqualTo(PROT_READ);
        assertThat(mappingAt(a + 2 * PAGE).prot()).isEqualTo(PROT_READ);
        assertThat(mappingAt(a + 3 * PAGE).prot()).isEqualTo(RW);
    }
}
