package io.jocclum.sgx.arch;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;

class PcmdTest {
    @Test
    void writeZeroesTheWholeEntryAndClearOnlyItsOwn() {
        MemorySegment page = Arena.ofAuto().allocate(Pages.SIZE);
        page.fill((byte) 0x7F);
        Pcmd.write(page, 3 * Pcmd.SIZE, 0x203, 42);
        assertThat(Pcmd.secInfoFlags(page, 3 * Pcmd.SIZE)).isEqualTo(0x203);
        assertThat(Pcmd.enclaveId(page, 3 * Pcmd.SIZE)).isEqualTo(42);
        assertThat(Pcmd.reservedFieldsZero(page, 3 * Pcmd.SIZE)).as("stale bytes of the slot are gone").isTrue();
        assertThat(page.get(ValueLayout.JAVA_BYTE, 3 * Pcmd.SIZE + Pcmd.OFF_MAC)).isZero();

        Pcmd.clear(page, 3 * Pcmd.SIZE);
        assertThat(page.asSlice(3 * Pcmd.SIZE, Pcmd.SIZE).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0);
        assertThat(page.asSlice(0, 3 * Pcmd.SIZE).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 0x7F);
        assertThat(page.asSlice(4 * Pcmd.SIZE, Pages.SIZE - 4 * Pcmd.SIZE).toArray(ValueLayout.JAVA_BYTE))
                .containsOnly((byte) 0x7F);
    }

    @Test
    void aReservedByteMakesTheEntryInvalid() {
        MemorySegment page = Arena.ofAuto().allocate(Pages.SIZE);
        Pcmd.write(page, 0, 0x203, 1);
        page.set(ValueLayout.JAVA_BYTE, 72 + 39, (byte) 1);
        assertThat(Pcmd.reservedFieldsZero(page, 0)).isFalse();
    }
}
