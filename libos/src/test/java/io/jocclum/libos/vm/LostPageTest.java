package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page whose evicted contents the host tampered with can never be loaded again: every access is
 * SIGBUS (BUS_OBJERR) and the SGX2 ioctls that would give it back (EMODT, REMOVE_PAGES) fail with
 * EFAULT because the driver must load it first. The VM retires such a page ({@link LostPages}):
 * munmap, mprotect and exit still succeed, the page is never handed out again, and everything
 * else is cleaned as usual. On the real platform the page is really evicted and its blob
 * corrupted ({@link TestEnclave#corrupt}); the fake models the same platform behaviour. The
 * non-EDMM builds on the real platform are left out for time (evicting 192 MB of reserved memory
 * per test); REAL_EDMM covers both the reserved-memory and the user-region paths.
 */
@ParameterizedClass
@EnumSource(value = Platform.class, names = {"FAKE_EDMM", "FAKE_SGX1", "REAL_EDMM"})
class LostPageTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    /** A mapping of {@code pages} pages in reserved memory (small mappings go there first) or in the user region. */
    private long mapping(long pages, boolean userRegion) {
        if (!userRegion) {
            return anon(pages * PAGE);
        }
        long hint = platform.layout().userRegionBase() + 512 * MB;
        long a = vm.mmap(hint, pages * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, null, 0);
        assertThat(platform.layout().regionOf(a)).isEqualTo(UserMemoryKind.USER_REGION);
        return a;
    }

    private void lostPageIsRetiredOnUnmap(boolean userRegion, long pages) {
        long a = mapping(pages, userRegion);
        mem.fill(a, pages * PAGE, (byte) 7);
        long victim = a + 2 * PAGE;
        enclave.corrupt(victim);
        assertThat(signal(() -> mem.readByte(victim))).isEqualTo(new GuestSignal.Bus(victim, GuestSignal.BUS_OBJERR));
        assertThat(mem.readByte(a + 3 * PAGE)).as("the other pages are fine").isEqualTo((byte) 7);
        vm.munmap(a, pages * PAGE);
        assertThat(space.lostPages()).isEqualTo(1);
        checkAll();
        // the page is never handed out again: a MAP_FIXED_NOREPLACE over it fails, the pages around it map
        assertThat(errno(() -> vm.mmap(victim, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, null, 0))).isIn(Errno.ENOMEM, Errno.EEXIST);
        assertThat(errno(() -> vm.mmap(victim, PAGE, RW, ANON | MAP_FIXED, null, 0))).isEqualTo(Errno.ENOMEM);
        long before = vm.mmap(victim - PAGE, PAGE, RW, ANON | MAP_FIXED, null, 0);
        long after = vm.mmap(victim + PAGE, PAGE, RW, ANON | MAP_FIXED, null, 0);
        assertThat(isZero(before, PAGE) && isZero(after, PAGE)).as("clean on free around it").isTrue();
    }

    @Test
    void aLostReservedPageIsRetiredWhenItsMappingIsUnmapped() {
        lostPageIsRetiredOnUnmap(false, 4);
    }

    @Test
    void aLostUserRegionPageIsRetiredWhenItsLargeMappingIsGivenBack() {
        org.junit.jupiter.api.Assumptions.assumeTrue(platform.edmm());
        lostPageIsRetiredOnUnmap(true, 512); // 2 MB: above the trim threshold, so the unmap trims
    }

    @Test
    void aLostUserRegionPageIsRetiredWhenItsSmallMappingIsZeroed() {
        org.junit.jupiter.api.Assumptions.assumeTrue(platform.edmm());
        lostPageIsRetiredOnUnmap(true, 4);
    }

    @Test
    void mprotectOverALostPageChangesTheOthers() {
        long a = anon(4 * PAGE);
        mem.fill(a, 4 * PAGE, (byte) 3);
        enclave.corrupt(a + PAGE);
        vm.mprotect(a, 4 * PAGE, PROT_READ);
        assertThat(mem.readByte(a)).isEqualTo((byte) 3);
        assertThat(signal(() -> mem.writeByte(a + 2 * PAGE, (byte) 1)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        vm.mprotect(a, 4 * PAGE, PROT_NONE);
        vm.mprotect(a, 4 * PAGE, RW);
        mem.writeByte(a + 3 * PAGE, (byte) 4);
        assertThat(signal(() -> mem.readByte(a + PAGE)).code()).isEqualTo(GuestSignal.BUS_OBJERR);
        checkAll();
        vm.munmap(a, 4 * PAGE);
        assertThat(space.lostPages()).isEqualTo(1);
    }

    @Test
    void msyncOfALostSharedPageIsEioAndMremapOfOneIsEfault() {
        ByteArrayFile f = ByteArrayFile.of(new byte[(int) (4 * PAGE)]);
        long s = vm.mmap(0, 4 * PAGE, RW, MAP_SHARED, f, 0);
        mem.fill(s, 4 * PAGE, (byte) 9);
        long a = anon(4 * PAGE);
        mem.fill(a, 4 * PAGE, (byte) 5);
        enclave.corrupt(s + PAGE);
        enclave.corrupt(a + PAGE);
        assertThat(errno(() -> vm.msync(s, 4 * PAGE, MS_SYNC))).isEqualTo(Errno.EIO);
        long target = vm.mmap(0, 8 * PAGE, PROT_NONE, ANON, null, 0);
        vm.munmap(target, 8 * PAGE);
        assertThat(errno(() -> vm.mremap(a, 4 * PAGE, 8 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target))).isEqualTo(Errno.EFAULT);
        assertThat(mem.readByte(a + 2 * PAGE)).as("a failed move leaves the source mapped").isEqualTo((byte) 5);
        vm.munmap(s, 4 * PAGE); // write-back errors are not munmap's
        vm.munmap(a, 4 * PAGE);
        assertThat(space.lostPages()).isEqualTo(2);
    }
}
