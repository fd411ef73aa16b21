package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Linux {@code tools/testing/selftests/mm/map_fixed_noreplace.c}, rewritten; base is a free 5-page range. */
@ParameterizedClass
@EnumSource(Platform.class)
class KernelSelftestMmTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int FLAGS = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;

    private long map(long addr, long size) {
        return vm.mmap(addr, size, RW, FLAGS, null, 0);
    }

    @Test
    void map_fixed_noreplace() {
        long size = 5 * PAGE;
        long base = anon(size);
        vm.munmap(base, size);
        // check we can map all the areas we need below
        assertThat(map(base, size)).isEqualTo(base);
        vm.munmap(base, size);
        //   +3 pages in the middle
        assertThat(map(base + PAGE, 3 * PAGE)).isEqualTo(base + PAGE);
        // exact same mapping again
        assertThat(errno(() -> map(base + PAGE, 3 * PAGE))).isEqualTo(Errno.EEXIST);
        // overlap start
        assertThat(errno(() -> map(base, 2 * PAGE))).isEqualTo(Errno.EEXIST);
        // overlap end
        assertThat(errno(() -> map(base + 3 * PAGE, 2 * PAGE))).isEqualTo(Errno.EEXIST);
        // overlap entirely
        assertThat(errno(() -> map(base, 5 * PAGE))).isEqualTo(Errno.EEXIST);
        // overlap middle
        assertThat(errno(() -> map(base + 2 * PAGE, PAGE))).isEqualTo(Errno.EEXIST);
        // adjacent to start
        assertThat(map(base, PAGE)).isEqualTo(base);
        // adjacent to end
        assertThat(map(base + 4 * PAGE, PAGE)).isEqualTo(base + 4 * PAGE);
        vm.munmap(base, size);
        assertThat(mapped(base, PAGE)).isFalse();
    }
}
