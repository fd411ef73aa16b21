package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1GB|1073741824",
            "' 64 MB '|67108864",
            "300MB|314572800",
            "4KB|4096",
            "5B|5",
            "0B|0",
            "1TB|1099511627776",
            "007MB|7340032",
            "8388607TB|9223370937343148032",
            "9223372036854775807B|9223372036854775807"})
    void parsesOcclumSizes(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"300mb", "1.5GB", "MB", "", "  ", "-1MB", "+1MB", "1 0MB", "1e3KB", "0x10MB", "10 PB", "1Kb"})
    void rejectsWhatIsNotASize(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("is not a size; write an unsigned integer followed by one of the units B, KB, MB, GB, TB"
                        + " (case-sensitive), e.g. \"300MB\"");
    }

    @Test
    void aNumberWithoutUnitSaysSo() {
        assertThatThrownBy(() -> Sizes.parse("300")).hasMessageStartingWith("has no unit; ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8388608TB", "9223372036854775808B", "99999999999999999999999GB", "9007199254740992KB"})
    void overflowIsAnErrorNotAWrap(String text) {
        assertThatThrownBy(() -> Sizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("is too large; sizes must stay below 8EB (9223372036854775807B)");
    }

    @Test
    void unitIsTheFirstOfKbMbGbTbBThatMatches() {
        // "KB" is tried before "B": "2KB" is 2 KB, not a number "2K" in bytes
        assertThat(Sizes.parse("2KB")).isEqualTo(2048);
        assertThat(Sizes.parse("2 B")).isEqualTo(2);
    }

    @Test
    void formatsWithTheLargestExactUnit() {
        assertThat(Sizes.format(33554432)).isEqualTo("32MB");
        assertThat(Sizes.format(18253611008L)).isEqualTo("17GB");
        assertThat(Sizes.format(1536L << 20)).isEqualTo("1536MB");
        assertThat(Sizes.format(5000)).isEqualTo("5000B");
        assertThat(Sizes.format(0)).isEqualTo("0B");
        assertThat(Sizes.canonical(4096)).isEqualTo("4096B");
        assertThat(Sizes.human(3L << 30 | 1L << 29)).isEqualTo("3.5GB");
        assertThat(Sizes.human(300L << 20)).isEqualTo("300MB");
        assertThat(Sizes.human(17L << 30)).isEqualTo("17GB");
        assertThat(Sizes.human(4096)).isEqualTo("4KB");
        assertThat(Sizes.human(100)).isEqualTo("100B");
        for (long v : new long[]{1, 4096, 1L << 20, 3L << 40, 12345678}) {
            assertThat(Sizes.parse(Sizes.format(v))).isEqualTo(v);
        }
    }
}
