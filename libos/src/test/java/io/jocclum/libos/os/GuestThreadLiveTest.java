package io.jocclum.libos.os;

import io.jocclum.libos.process.GuestThread;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The count of live guest threads ({@link GuestThread#live}) that a guest thread's cooperative
 * yield looks at: a thread counts from its start until it ends, and has stopped counting when a
 * join returns.
 */
class GuestThreadLiveTest extends OsTestBase {
    @Test
    void aGuestThreadCountsFromItsStartUntilItEnds() throws Exception {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        AtomicInteger before = new AtomicInteger();
        AtomicInteger during = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        os.run((sys, argv, envp) -> {
            before.set(GuestThread.live());
            int t = sys.threadCreate(s -> {
                during.set(GuestThread.live());
                return 0;
            });
            sys.threadJoin(t);
            after.set(GuestThread.live());
            return 0;
        }).assertOk();
        assertThat(before.get()).as("the main thread counts itself").isPositive();
        assertThat(during.get()).as("with the second thread").isEqualTo(before.get() + 1);
        assertThat(after.get()).as("after the join").isEqualTo(before.get());
    }
}
