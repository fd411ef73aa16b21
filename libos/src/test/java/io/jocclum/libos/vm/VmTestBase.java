package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.libos.vm.testing.FakeEnclave;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Common fixture of the VM tests: a fake enclave and a user space for the platform under test,
 * one process (pid 1) with user and kernel accessors, and the invariant checker after every
 * test, again after every process has exited, and once more after shutdown.
 */
abstract class VmTestBase {
    static final long PAGE = 4096;
    static final long MB = 1 << 20;

    @Parameter
    Platform platform;

    FakeEnclave fake;
    UserSpace space;
    ProcessVm vm;
    GuestMemory mem;
    GuestMemory kmem;

    VmConfig config() {
        return VmConfig.defaults();
    }

    ProcessVmSpec spec() {
        return new ProcessVmSpec(4 * MB, 256 * 1024, List.of());
    }

    @BeforeEach
    void createSpace() {
        fake = platform.enclave();
        space = UserSpace.create(fake, platform.layout(), config());
        vm = space.createProcess(1, spec());
        mem = vm.memory(AccessMode.USER);
        kmem = vm.memory(AccessMode.KERNEL);
    }

    @AfterEach
    void checkAndTearDown() {
        try {
            space.checkInvariants(fake);
            for (ProcessVm p : space.processes()) {
                p.exit();
            }
            space.checkInvariants(fake);
            space.shutdown();
            space.checkInvariants(fake);
            if (platform.edmm()) {
                // nothing of the user region stays committed beyond what small frees keep for reuse, and it is all zero
                assertThat(space.committedPages()).isEqualTo(fake.countValid(platform.layout().userRegionBase(), platform.layout().userRegionEnd()));
            }
        } finally {
            fake.close();
        }
    }

    static Errno errno(ThrowableAssert.ThrowingCallable call) {
        ErrnoException e = catchThrowableOfType(ErrnoException.class, call);
        assertThat(e).as("expected an errno").isNotNull();
        return e.errno();
    }

    static GuestSignal signal(ThrowableAssert.ThrowingCallable call) {
        GuestFault f = catchThrowableOfType(GuestFault.class, call);
        assertThat(f).as("expected a guest fault").isNotNull();
        return f.signal();
    }

    long anon(long len) {
        return vm.mmap(0, len, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, null, 0);
    }

    /** The mapping containing {@code addr} in this process, or null. */
    Mapping mappingAt(long addr) {
        for (Mapping m : vm.mappings()) {
            if (m.start() <= addr && addr < m.end()) {
                return m;
            }
        }
        return null;
    }

    /** True if every page of [addr, addr + len) is mapped in this process. */
    boolean mapped(long addr, long len) {
        for (long a = addr; a < addr + len; a += PAGE) {
            if (mappingAt(a) == null) {
                return false;
            }
        }
        return true;
    }

    /** Fills [addr, addr + len) with a pattern derived from {@code seed}. */
    void pattern(long addr, long len, int seed) {
        byte[] b = new byte[(int) len];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (seed + i * 31 + (i >>> 12));
        }
        mem.write(addr, b, 0, b.length);
    }

    boolean hasPattern(long addr, long len, int seed) {
        byte[] b = new byte[(int) len];
        mem.read(addr, b, 0, b.length);
        for (int i = 0; i < b.length; i++) {
            if (b[i] != (byte) (seed + i * 31 + (i >>> 12))) {
                return false;
            }
        }
        return true;
    }

    boolean isZero(long addr, long len) {
        byte[] b = new byte[(int) len];
        mem.read(addr, b, 0, b.length);
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }
}
