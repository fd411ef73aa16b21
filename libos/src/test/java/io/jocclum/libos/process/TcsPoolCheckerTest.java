package io.jocclum.libos.process;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Both reports of {@link TcsPool#checkInvariants}: a TCS still in use at quiescence, and counters that do not add up. */
class TcsPoolCheckerTest {

    @Test
    void aTcsStillInUseAtQuiescenceIsFound() {
        TcsPool pool = new TcsPool(List.of(0x1000L, 0x2000L), 2, null);
        TcsPool.Slot s = pool.acquire();
        assertThatThrownBy(() -> pool.checkInvariants(true)).isInstanceOf(IllegalStateException.class)
                .hasMessage("TCS pool: 1 TCSs still in use while no thread runs");
        assertThatCode(() -> pool.checkInvariants(false)).as("a running thread holds it").doesNotThrowAnyException();
        pool.release(s);
        assertThatCode(() -> pool.checkInvariants(true)).doesNotThrowAnyException();
    }

    @Test
    void countersThatDoNotAddUpAreFound() throws ReflectiveOperationException {
        TcsPool pool = new TcsPool(List.of(0x1000L, 0x2000L), 4, index -> 0x1000L * (index + 1));
        var created = TcsPool.class.getDeclaredField("created");
        created.setAccessible(true);
        created.setInt(pool, 3);
        assertThatThrownBy(() -> pool.checkInvariants(false)).isInstanceOf(IllegalStateException.class)
                .hasMessage("TCS pool: 0 in use, 2 free, 0 to retry, 3 created of 4");
        created.setInt(pool, 2);
        var inUse = TcsPool.class.getDeclaredField("inUse");
        inUse.setAccessible(true);
        inUse.setInt(pool, -1);
        assertThatThrownBy(() -> pool.checkInvariants(false)).hasMessage("TCS pool: -1 in use, 2 free, 0 to retry, 2 created of 4");
        inUse.setInt(pool, 0);
        assertThatCode(() -> pool.checkInvariants(true)).doesNotThrowAnyException();
    }
}
