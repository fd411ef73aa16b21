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
}
