package io.jocclum.libos.syscall;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The cooperative yield of a guest thread: after its work units, and at most once per base time slice. */
class SyscallFacadeYieldTest {
    @Test
    void aThreadYieldsOnlyOnceABaseSliceHasPassedSinceItsLastYield() {
        assertThat(SyscallFacade.yieldDue(0)).isFalse();
        assertThat(SyscallFacade.yieldDue(SyscallFacade.YIELD_NANOS - 1)).isFalse();
        assertThat(SyscallFacade.yieldDue(SyscallFacade.YIELD_NANOS)).isTrue();
        assertThat(SyscallFacade.yieldDue(10 * SyscallFacade.YIELD_NANOS)).isTrue();
    }

    @Test
    void aThreadYieldsOnlyWhenAnotherGuestThreadMayWaitForACarrier() {
        // fewer guest threads than carriers: each has one, and one is left over
        assertThat(SyscallFacade.othersMayWait(false, 1, 2)).isFalse();
        assertThat(SyscallFacade.othersMayWait(false, 3, 4)).isFalse();
        // as many or more: another may be waiting
        assertThat(SyscallFacade.othersMayWait(false, 2, 2)).isTrue();
        assertThat(SyscallFacade.othersMayWait(false, 1, 1)).isTrue();
        assertThat(SyscallFacade.othersMayWait(false, 9, 2)).isTrue();
        // a scenario's gate orders the threads: always
        assertThat(SyscallFacade.othersMayWait(true, 1, 2)).isTrue();
    }

    @Test
    void theCarriersAreTheVirtualThreadSchedulersParallelism() {
        assertThat(SyscallFacade.carriers(null, null, 6)).as("unset: the CPUs").isEqualTo(6);
        assertThat(SyscallFacade.carriers("3", null, 6)).isEqualTo(3);
        assertThat(SyscallFacade.carriers("010", null, 6)).as("decimal, as the JDK reads it").isEqualTo(10);
        assertThat(SyscallFacade.carriers("8", "2", 6)).as("capped by maxPoolSize").isEqualTo(2);
        assertThat(SyscallFacade.carriers(null, "4", 6)).isEqualTo(4);
        assertThat(SyscallFacade.carriers("0", null, 6)).isEqualTo(1);
        assertThat(SyscallFacade.carriers("many", null, 6)).as("unreadable: the CPUs").isEqualTo(6);
    }
}
