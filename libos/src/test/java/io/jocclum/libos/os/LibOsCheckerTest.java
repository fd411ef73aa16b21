package io.jocclum.libos.os;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The whole-stack checker run after every LibOS test reports what it is given to check. */
class LibOsCheckerTest extends OsTestBase {

    @Test
    void anInternalErrorAGuestSawAsEioFailsTheCheck() {
        try (Booted b = Booted.boot(instance("standard", false, x -> { }), Matrix.PLAIN_ON_SGX2, PLATFORM)) {
            b.os.checkInvariants();
            b.os.kernel().internalError(new IllegalStateException("planted"));
            assertThatThrownBy(b.os::checkInvariants).isInstanceOf(IllegalStateException.class)
                    .hasMessage("invariants violated:\n  internal LibOS error seen by a guest as EIO:"
                            + " java.lang.IllegalStateException: planted");
            assertThat(b.os.kernel().internalErrors()).hasSize(1);
        }
    }

    @Test
    void aTcsLeftInUseFailsTheCheck() {
        try (Booted b = Booted.boot(instance("standard", false, x -> { }), Matrix.PLAIN_ON_SGX2, PLATFORM)) {
            b.os.checkInvariants();
            var slot = b.os.kernel().tcs().acquire();
            assertThatThrownBy(b.os::checkInvariants).isInstanceOf(IllegalStateException.class)
                    .hasMessage("invariants violated:\n  TCS pool: 1 TCSs still in use while no thread runs");
            b.os.kernel().tcs().release(slot);
            b.os.checkInvariants();
        }
    }

    @Test
    void aPlatformProblemFailsTheCheck() {
        try (Booted b = Booted.boot(instance("standard", false, x -> { }), Matrix.PLAIN_ON_SGX2, PLATFORM)) {
            var allocator = b.os.platform().epcManager().allocator();
            long used = allocator.capacityPages() - allocator.freePages();
            var stray = allocator.allocate("stray", io.jocclum.sgx.epc.Reclaim.SGX_NO_RECLAIM, b.os.platform().newTask("stray"));
            assertThatThrownBy(b.os::checkInvariants).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("invariants violated:\n  ")
                    .hasMessageContaining("\n  " + (used + 1) + " EPC pages allocated but enclaves and vEPCs account for " + used);
            allocator.free(stray);
            b.os.checkInvariants();
        }
    }
}
