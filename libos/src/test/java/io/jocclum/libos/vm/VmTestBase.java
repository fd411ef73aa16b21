package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cpu.EnclaveContext;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.Parameter;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Common fixture of the VM tests: an enclave (fake or on the simulated SGX platform) and a user
 * space for the platform under test, one process (pid 1) with user and kernel accessors, and the
 * invariant checker (VMAs, chunks, free space, commit tracker against the EPCM) after every test,
 * again after every process has exited, and once more after shutdown; on the real platform also
 * {@code SgxPlatform.checkInvariants()} (EPCM, free lists, LRUs, VA slots, backing store, charges).
 */
abstract class VmTestBase {
    static final long PAGE = Pages.SIZE;
    static final long MB = 1 << 20;

    @Parameter
    Platform platform;

    TestEnclave enclave;
    /** The enclave as the LibOS sees it (for tests that act behind the VM's back). */
    EnclaveContext ctx;
    EpcmView epcm;
    UserSpace space;
    ProcessVm vm;
    GuestMemory mem;
    GuestMemory kmem;

    VmConfig config() {
        return VmConfig.defaults();
    }

    /** The enclave of the test (subclasses may size the platform differently). */
    TestEnclave openEnclave() {
        return platform.open();
    }

    /** The context the user space runs against (tests may interpose a recorder). */
    EnclaveContext interpose(EnclaveContext c) {
        return c;
    }

    ProcessVmSpec spec() {
        return new ProcessVmSpec(4 * MB, 256 * 1024, List.of());
    }

    @BeforeEach
    void createSpace() {
        enclave = openEnclave();
        ctx = enclave.context();
        epcm = enclave.view();
        space = UserSpace.create(interpose(ctx), platform.layout(), config());
        vm = space.createProcess(1, spec());
        mem = vm.memory(AccessMode.USER);
        kmem = vm.memory(AccessMode.KERNEL);
    }

    @AfterEach
    void checkAndTearDown() {
        try {
            checkAll();
            for (ProcessVm p : space.processes()) {
                p.exit();
            }
            checkAll();
            space.shutdown();
            checkAll();
            if (platform.edmm()) {
                // nothing of the user region stays committed beyond what small frees keep for reuse, and it is all zero
                assertThat(space.committedPages()).isEqualTo(epcm.countValid(platform.layout().userRegionBase(), platform.layout().userRegionEnd()));
            }
        } finally {
            enclave.close();
        }
    }

    /** The VM's invariants against the EPCM, then the platform's own. */
    void checkAll() {
        space.checkInvariants(epcm);
        assertThat(enclave.platformProblems()).as("SGX platform invariants").isEmpty();
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
