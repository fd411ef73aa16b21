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
}
