package io.jocclum.bench.harness;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RoundsTest {
    @Test
    void medianOfOddAndEvenSamples() {
        assertThat(Rounds.median(new double[]{5, 1, 3})).isEqualTo(3);
        assertThat(Rounds.median(new double[]{4, 1, 3, 2})).isEqualTo(2.5);
        assertThatThrownBy(() -> Rounds.median(new double[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ratiosPairRoundsAndAreAboveOneWhenOursIsBetter() {
        // throughput: ours/anchor
        assertThat(Rounds.ratios(new double[]{2, 3}, new double[]{1, 6}, true)).containsExactly(2, 0.5);
        // time: anchor/ours
        assertThat(Rounds.ratios(new double[]{2, 3}, new double[]{1, 6}, false)).containsExactly(0.5, 2);
        assertThatThrownBy(() -> Rounds.ratios(new double[]{1}, new double[]{1, 2}, true)).hasMessageContaining("pair one to one");
    }

    @Test
    void speedupIsTheMedianOfPerRoundRatiosNotTheRatioOfMedians() {
        // The machine slows down 10x between rounds 1 and 2: both sides of a round see the same speed.
        Figure ours = Figure.ofRounds(new double[]{10, 1, 1}, "ops/s", true);
        Figure anchor = Figure.ofRounds(new double[]{5, 0.5, 2}, "ops/s", true);
        Comparison.Result r = Comparison.Result.of(ours, anchor);
        assertThat(r.ratios()).containsExactly(2, 2, 0.5);
        assertThat(r.speedup()).isEqualTo(2);
        Rounds.Spread s = r.speedupSpread();
        assertThat(s.min()).isEqualTo(0.5);
        assertThat(s.max()).isEqualTo(2);
        assertThat(s.n()).isEqualTo(3);
        // the ratio of the medians would say 1/2 = 0.5
        assertThat(ours.value() / anchor.value()).isEqualTo(0.5);
    }

    @Test
    void figuresWithoutRoundsFallBackToTheRatioOfValues() {
        Comparison.Result r = Comparison.Result.of(Figure.time(2, "us/op"), Figure.time(3, "us/op"));
        assertThat(r.ratios()).isNull();
        assertThat(r.speedupSpread()).isNull();
        assertThat(r.speedup()).isEqualTo(1.5);
    }

    @Test
    void mappingKeepsTheRoundsInStep() {
        Figure ms = Figure.ofRounds(new double[]{100, 200, 400}, "ms/op", false);
        Figure rate = ms.map(v -> 1000 / v, "ops/s", true);
        assertThat(rate.rounds()).containsExactly(10, 5, 2.5);
        assertThat(rate.value()).isEqualTo(5);
        assertThat(rate.higherIsBetter()).isTrue();
        assertThat(ms.scale(2, "x").rounds()).containsExactly(200, 400, 800);
    }

    @Test
    void resultRefusesDifferentUnits() {
        assertThatThrownBy(() -> Comparison.Result.of(Figure.time(1, "us/op"), Figure.time(1, "ns/op")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void kernelEntriesComeOffTheAnchorsTimePerUnitOfWork() {
        // 10 us per op with 2 entries of 1.5 us each: 7 us without them
        assertThat(KernelEntries.withoutEntries(10, "us/op", 2, 1500)).isCloseTo(7, within(1e-9));
        // 2 GiB/s = 0.5 s per GiB; 32768 entries of 5 us = 0.16384 s; 0.33616 s per GiB left
        assertThat(KernelEntries.withoutEntries(2, "GiB/s", 32768, 5000)).isCloseTo(1 / 0.33616, within(1e-9));
        // 1e6 ops/s = 1 us per op; one entry of 250 ns
        assertThat(KernelEntries.withoutEntries(1e6, "ops/s", 1, 250)).isCloseTo(1e6 / 0.75, within(1e-3));
        // entries costing more than the whole measured time: cannot be split
        assertThat(KernelEntries.withoutEntries(1, "us/op", 2, 1000)).isNaN();
        assertThatThrownBy(() -> KernelEntries.secondsPerWork(1, "cycles")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nativeReportSaysTheNullSyscallAndTheAnchorWithoutItsEntries() {
        Figure anchor = Figure.ofRounds(new double[]{10, 20}, "us/op", false);
        NativeReport rep = NativeReport.of("x", anchor, new double[]{1000, 3000}, 2);
        assertThat(rep.nullSyscallNs().median()).isEqualTo(2000);
        assertThat(rep.withoutEntries().rounds()).usingComparatorWithPrecision(1e-9).containsExactly(8, 14);
        Comparison.Result res = Comparison.Result.of(Figure.ofRounds(new double[]{4, 7}, "us/op", false), anchor);
        assertThat(res.speedup()).isCloseTo((10.0 / 4 + 20.0 / 7) / 2, within(1e-9));
        assertThat(String.join("\n", rep.notes(res)))
                .contains("median 2000 ns (min-max 1000-3000)")
                .contains("2 kernel entries per op")
                .contains("the anchor without them: 11 us/op")
                .contains("speedup against it 2 (min-max 2-2)");
        NativeReport none = NativeReport.of("y", anchor, new double[]{1, 1}, Double.NaN);
        assertThat(none.withoutEntries()).isNull();
        assertThat(none.notes(res)).hasSize(1);
    }
}
