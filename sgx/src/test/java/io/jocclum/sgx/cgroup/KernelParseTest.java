package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static io.jocclum.sgx.cgroup.CgroupTestBase.errno;
import static org.assertj.core.api.Assertions.assertThat;

/** lib/kstrtox.c, lib/vsprintf.c simple_strtoull, lib/cmdline.c memparse, mm/page_counter.c. */
class KernelParseTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|0", "10|10", "+7|7", "0x10|16", "0X1f|31", "0xABCDEF|11259375", "010|8", "00|0", "0777|511",
        "18446744073709551615|18446744073709551615", "0xffffffffffffffff|18446744073709551615",
        "01777777777777777777777|18446744073709551615", "9223372036854775808|9223372036854775808"})
    void kstrtoullAcceptsKernelSyntax(String in, String expected) {
        assertThat(Long.toUnsignedString(KernelParse.kstrtoull(in))).isEqualTo(expected);
    }

    @Test
    void kstrtoullAllowsExactlyOneTrailingNewline() {
        assertThat(KernelParse.kstrtoull("42\n")).isEqualTo(42);
        assertThat(errno(() -> KernelParse.kstrtoull("42\n\n"))).isEqualTo(Errno.EINVAL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "+", "-1", "-0", "08", "0x", "0xg", "1 ", " 1", "abc", "1.5", "++1", "1a", "0b1"})
    void kstrtoullRejectsGarbageWithEinval(String in) {
        assertThat(errno(() -> KernelParse.kstrtoull(in))).isEqualTo(Errno.EINVAL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"18446744073709551616", "0x10000000000000000", "02000000000000000000000",
        "99999999999999999999", "99999999999999999999x"})
    void kstrtoullOverflowIsErangeEvenBeforeTrailingGarbage(String in) {
        assertThat(errno(() -> KernelParse.kstrtoull(in))).isEqualTo(Errno.ERANGE);
    }

    @Test
    void kstrtointHasSignAndIntRange() {
        assertThat(KernelParse.kstrtoint("-5")).isEqualTo(-5);
        assertThat(KernelParse.kstrtoint("0x7fffffff")).isEqualTo(Integer.MAX_VALUE);
        assertThat(KernelParse.kstrtoint("-2147483648")).isEqualTo(Integer.MIN_VALUE);
        assertThat(errno(() -> KernelParse.kstrtoint("2147483648"))).isEqualTo(Errno.ERANGE);
        assertThat(errno(() -> KernelParse.kstrtoint("--1"))).isEqualTo(Errno.EINVAL);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1k|1024|2", "1K|1024|2", "2M|2097152|2", "1g|1073741824|2", "1T|1099511627776|2",
        "1p|1125899906842624|2", "1E|1152921504606846976|2", "16E|0|3", "0x10k|16384|5", "010K|8192|4",
        "k|0|1", "|0|0", "1KB|1024|2", "-1|0|0", "12 |12|2"})
    void memparseTakesSuffixesAndStopsAtTheFirstUnparsedCharacter(String in, String value, int end) {
        int[] e = new int[1];
        long v = KernelParse.memparse(in == null ? "" : in, e);
        assertThat(Long.toUnsignedString(v)).isEqualTo(value);
        assertThat(e[0]).isEqualTo(end);
    }

    @Test
    void pageCounterMemparseRoundsDownToPagesAndCaps() {
        assertThat(KernelParse.pageCounterMemparse("max")).isEqualTo(PageCounter.PAGE_COUNTER_MAX);
        assertThat(KernelParse.pageCounterMemparse("4095")).isZero();
        assertThat(KernelParse.pageCounterMemparse("8191")).isEqualTo(1);
        assertThat(KernelParse.pageCounterMemparse("")).isZero();
        assertThat(KernelParse.pageCounterMemparse("9223372036854775807")).isEqualTo(PageCounter.PAGE_COUNTER_MAX);
        assertThat(KernelParse.pageCounterMemparse("18446744073709551615")).isEqualTo(PageCounter.PAGE_COUNTER_MAX);
        assertThat(errno(() -> KernelParse.pageCounterMemparse("1KB"))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> KernelParse.pageCounterMemparse("+4096"))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> KernelParse.pageCounterMemparse("MAX"))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void strstripRemovesKernelWhitespaceOnly() {
        assertThat(KernelParse.strstrip(" \t\n\u000b\f\r a b \n")).isEqualTo("a b");
        assertThat(KernelParse.strstrip("\u00a0x")).isEqualTo("\u00a0x");
    }
}
