package io.jocclum.libos.vm;

import io.jocclum.libos.vm.testing.ByteArrayFile;
import io.jocclum.sgx.arch.SecInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * EDMM commit-on-demand, permission changes and EPC give-back, observed through the EPCM and
 * the leaf counters of the fake and of the simulated SGX platform. Runs on EDMM platforms only.
 */
@ParameterizedClass
@EnumSource(value = Platform.class, names = {"FAKE_EDMM", "REAL_EDMM"})
class EdmmPolicyTest extends VmTestBase {
    private static final long GB = 1L << 30;
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    @Override
    ProcessVmSpec spec() {
        // a heap larger than reserved memory, so brk memory is committed on demand
        return new ProcessVmSpec(64 * MB, 256 * 1024, java.util.List.of());
    }

    private long userRegionPages() {
        UserSpaceLayout l = platform.layout();
        return epcm.countValid(l.userRegionBase(), l.userRegionEnd());
    }

    @Test
    void aGigabyteMappingTouchedInFourPlacesCommitsFourPages() {
        long a = anon(GB);
        assertThat(platform.layout().regionOf(a)).isEqualTo(UserMemoryKind.USER_REGION);
        long before = userRegionPages();
        TestEnclave.Counts c0 = enclave.counts();
        long epc0 = enclave.epcPagesInUse();
        for (long off : new long[] {0, 300 * MB, 600 * MB, GB - PAGE}) {
            mem.writeLong(a + off, off + 1);
        }
        for (long off : new long[] {0, 300 * MB, 600 * MB, GB - PAGE}) {
            assertThat(mem.readLong(a + off)).isEqualTo(off + 1);
        }
        assertThat(userRegionPages() - before).as("Occlum commits the whole GB on the 4th fault").isEqualTo(4);
        assertThat(space.stats().faults()).isEqualTo(4);
        TestEnclave.Counts d = enclave.counts().minus(c0);
        assertThat(d.eaug()).as("EAUG").isEqualTo(4);
        assertThat(d.eaccept()).as("EACCEPT").isEqualTo(4);
        assertThat(d.enclaveExceptions()).as("#PF delivered to the LibOS").isEqualTo(4);
        assertThat(enclave.epcPagesInUse() - epc0).as("EPC pages the platform allocated").isEqualTo(4);
    }

    @Test
    void aSequentialSweepGrowsTheCommitWindowUpToItsCap() {
        long len = 16 * MB;
        long a = anon(len);
        TestEnclave.Counts c0 = enclave.counts();
        for (long off = 0; off < len; off += PAGE) {
            mem.writeByte(a + off, (byte) 1);
        }
        long pages = len / PAGE;
        long faults = space.stats().faults();
        TestEnclave.Counts d = enclave.counts().minus(c0);
        assertThat(d.eaug()).isEqualTo(pages);
        assertThat(d.eaccept()).isEqualTo(pages);
        assertThat(d.kernelFaults()).as("Linux EAUGs one page per #PF").isEqualTo(pages);
        assertThat(d.enclaveExceptions()).as("but the LibOS takes one exception per window").isEqualTo(faults);
        // 1, 2, 4, ..., 64, 64, ...: about pages / 64 faults rather than one per page
        assertThat(faults).isLessThanOrEqualTo(pages / config().faultWindowMaxPages() + 8).isGreaterThan(pages / config().faultWindowMaxPages() - 1);
        // a downward sweep (a stack) is detected too
        long b = anon(len);
        long f0 = space.stats().faults();
        for (long off = len - PAGE; off >= 0; off -= PAGE) {
            mem.writeByte(b + off, (byte) 1);
        }
        assertThat(space.stats().faults() - f0).isLessThanOrEqualTo(pages / config().faultWindowMaxPages() + 8);
    }

    @Test
    void aBulkAccessCommitsExactlyItsPages() {
        long a = anon(64 * MB);
        long before = userRegionPages();
        byte[] buf = new byte[(int) (10 * PAGE + 10)];
        mem.write(a + 5 * PAGE + 100, buf, 0, buf.length);
        assertThat(userRegionPages() - before).isEqualTo(11);
    }

    @Test
    void pagesAreCommittedWithTheMappingsPermissions() {
        long r = vm.mmap(0, 4 * PAGE, PROT_READ, ANON, null, 0);
        assertThat(mem.readInt(r + PAGE)).isZero();
        assertThat(epcm.entry(r + PAGE).flags().perms()).isEqualTo(SecInfo.R);
        assertThat(epcm.entry(r).valid()).isFalse();
        long x = vm.mmap(0, 4 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, ANON, null, 0);
        mem.writeInt(x, 1);
        assertThat(epcm.entry(x).flags().perms()).isEqualTo(SecInfo.R | SecInfo.W | SecInfo.X);
        assertThat(enclave.counts().eacceptcopy()).isEqualTo(2);
    }

    @Test
    void mprotectRestrictsWithEmodprAndExtendsWithEmodpe() {
        long a = anon(4 * PAGE);
        mem.write(a, new byte[(int) (2 * PAGE)], 0, (int) (2 * PAGE)); // commit 2 of 4 pages
        TestEnclave.Counts c0 = enclave.counts();
        vm.mprotect(a, 4 * PAGE, PROT_READ);
        TestEnclave.Counts c1 = enclave.counts();
        assertThat(c1.emodpr() - c0.emodpr()).as("only committed pages change").isEqualTo(2);
        assertThat(c1.eaccept() - c0.eaccept()).isEqualTo(2);
        assertThat(epcm.entry(a).flags().perms()).isEqualTo(SecInfo.R);
        vm.mprotect(a, 4 * PAGE, RW);
        assertThat(enclave.counts().emodpe() - c1.emodpe()).isEqualTo(2);
        assertThat(epcm.entry(a + PAGE).flags().perms()).isEqualTo(SecInfo.R | SecInfo.W);
        // a page committed after the mprotect gets the new permissions directly
        vm.mprotect(a, 4 * PAGE, PROT_READ);
        assertThat(mem.readInt(a + 3 * PAGE)).isZero();
        assertThat(epcm.entry(a + 3 * PAGE).flags().perms()).isEqualTo(SecInfo.R);
    }

    @Test
    void plainReadWriteMmapAndMunmapNeverTouchTheEpcm() {
        TestEnclave.Counts c0 = enclave.counts();
        for (int i = 0; i < 100; i++) {
            long a = anon((i % 16 + 1) * PAGE);
            vm.munmap(a, (i % 16 + 1) * PAGE);
        }
        assertThat(enclave.counts()).isEqualTo(c0);
    }

    @Test
    void largeUnmapsGiveEpcBackAndSmallOnesKeepItZeroed() {
        long a = anon(8 * MB);
        mem.fill(a, 8 * MB, (byte) 1);
        long committed = userRegionPages();
        TestEnclave.Counts c0 = enclave.counts();
        long epc0 = enclave.epcPagesInUse();
        vm.munmap(a, 8 * MB);
        assertThat(userRegionPages()).as("8 MB >= the 1 MB trim threshold").isEqualTo(committed - 2048);
        TestEnclave.Counts d = enclave.counts().minus(c0);
        assertThat(d.emodt()).as("EMODT").isEqualTo(2048);
        assertThat(d.eaccept()).as("EACCEPT").isEqualTo(2048);
        assertThat(d.eremove()).as("EREMOVE").isEqualTo(2048);
        assertThat(d.ocalls()).as("one MODIFY_TYPES and one REMOVE_PAGES for the run").isEqualTo(2);
        assertThat(epc0 - enclave.epcPagesInUse()).as("EPC given back to the platform").isEqualTo(2048);
        long b = anon(16 * PAGE);
        mem.fill(b, 16 * PAGE, (byte) 1);
        long before = userRegionPages();
        vm.munmap(b, 16 * PAGE);
        assertThat(userRegionPages()).as("small frees keep their pages for reuse").isEqualTo(before);
        long c = vm.mmap(b, 16 * PAGE, RW, ANON | MAP_FIXED, null, 0);
        long eaug = enclave.counts().eaug();
        assertThat(isZero(c, 16 * PAGE)).isTrue();
        assertThat(enclave.counts().eaug()).as("reused pages need no EAUG").isEqualTo(eaug);
    }

    @Test
    void brkShrinkAndMadviseDontneedGiveEpcBackAboveTheThreshold() {
        long start = vm.heapStart();
        assertThat(platform.layout().regionOf(start)).isEqualTo(UserMemoryKind.USER_REGION);
        vm.brk(start + 3 * MB);
        mem.fill(start, 3 * MB, (byte) 2);
        long committed = userRegionPages();
        vm.brk(start + MB);
        assertThat(committed - userRegionPages()).isEqualTo(512);
        long a = anon(4 * MB);
        mem.fill(a, 4 * MB, (byte) 3);
        long c1 = userRegionPages();
        vm.madvise(a, 4 * MB, MADV_DONTNEED);
        assertThat(c1 - userRegionPages()).isEqualTo(1024);
        assertThat(isZero(a, 4 * MB)).isTrue();
    }

    @Test
    void anEmptiedMultiVmaChunkBeyondTheRetainedOneIsGivenBackWithItsEpc() {
        // fill two chunks of arena 1 with small mappings, touch them, free everything
        long[] maps = new long[2 * 8];
        for (int i = 0; i < maps.length; i++) {
            maps[i] = anon(4 * MB);
            mem.writeByte(maps[i], (byte) 1);
        }
        long created = space.stats().chunksCreated();
        assertThat(created).isGreaterThanOrEqualTo(2);
        for (long m : maps) {
            vm.munmap(m, 4 * MB);
        }
        VmStats s = space.stats();
        assertThat(s.chunksReleased()).isEqualTo(s.chunksCreated() - config().retainedEmptyChunks());
    }

    @Test
    void fileMappingsAndTheStackAreCommittedEagerly() {
        long stack = vm.stackStart();
        long stackPages = (vm.stackEnd() - stack) / PAGE;
        assertThat(space.stats().pagesCommittedEagerly()).isGreaterThanOrEqualTo(platform.layout().regionOf(stack) == UserMemoryKind.USER_REGION ? stackPages : 0);
        ByteArrayFile f = ByteArrayFile.of(new byte[(int) (3 * PAGE)]);
        long big = anon(40 * MB); // pushes the next mappings into the user region
        long a = vm.mmap(0, 64 * MB, PROT_READ, MAP_PRIVATE, f, 0);
        assertThat(platform.layout().regionOf(a)).isEqualTo(UserMemoryKind.USER_REGION);
        assertThat(epcm.countValid(a, a + 64 * MB)).isEqualTo(64 * MB / PAGE);
        assertThat(epcm.entry(a).flags().perms()).isEqualTo(SecInfo.R);
        vm.munmap(a, 64 * MB);
        vm.munmap(big, 40 * MB);
        assertThat(epcm.countValid(a, a + 64 * MB)).isZero();
    }

    @Test
    void runningOutOfEpcIsSigbusForTheGuestAndEnomemForSyscalls() {
        long a = anon(64 * MB);
        mem.writeByte(a, (byte) 1);
        enclave.starveEpc();
        GuestSignal s = signal(() -> mem.writeByte(a + 30 * MB, (byte) 1));
        assertThat(s.signo()).isEqualTo(GuestSignal.SIGBUS);
        assertThat(s.code()).isEqualTo(GuestSignal.BUS_ADRERR);
        assertThat(errno(() -> kmem.writeByte(a + 40 * MB, (byte) 1))).isEqualTo(io.jocclum.api.Errno.EFAULT);
        assertThat(errno(() -> vm.mmap(0, 64 * MB, RW, ANON | MAP_POPULATE, null, 0))).isEqualTo(io.jocclum.api.Errno.ENOMEM);
        enclave.feedEpc();
        mem.writeByte(a + 30 * MB, (byte) 2);
        assertThat(mem.readByte(a)).isEqualTo((byte) 1);
        assertThat(mem.readByte(a + 30 * MB)).isEqualTo((byte) 2);
    }

    @Test
    void anIntegrityFailureIsSigbusObjerr() {
        long a = anon(PAGE);
        mem.writeInt(a, 1);
        enclave.corrupt(a);
        GuestSignal s = signal(() -> mem.readInt(a));
        assertThat(s).isEqualTo(new GuestSignal.Bus(a, GuestSignal.BUS_OBJERR));
        enclave.repair(a);
        assertThat(mem.readInt(a)).as("restored backing bytes make the page loadable again").isEqualTo(1);
    }

    @Test
    void populateAndWillneedCommitAheadOfTime() {
        long a = vm.mmap(0, 4 * MB, RW, ANON | MAP_POPULATE, null, 0);
        assertThat(epcm.countValid(a, a + 4 * MB)).isEqualTo(1024);
        long b = anon(4 * MB);
        vm.madvise(b, MB, MADV_WILLNEED);
        assertThat(epcm.countValid(b, b + 4 * MB)).isEqualTo(256);
        long r = vm.mmap(0, PAGE, PROT_READ, ANON, null, 0);
        assertThat(errno(() -> vm.madvise(r, PAGE, MADV_POPULATE_WRITE))).isEqualTo(io.jocclum.api.Errno.EFAULT);
        vm.madvise(r, PAGE, MADV_POPULATE_READ);
        assertThat(epcm.entry(r).flags().perms()).isEqualTo(SecInfo.R);
    }
}
