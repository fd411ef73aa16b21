package io.jocclum.libos.replay;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hand-written scanners of {@link StraceReader} against the regular expressions they stand for:
 * wherever a scanner gives an answer, it is the expression's.
 */
class StraceScannerTest {
    private static final Pattern PID = Pattern.compile("^(?:\\[pid\\s+(\\d+)\\]|(\\d+))\\s+");
    private static final Pattern TIME = Pattern.compile("^(?:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?|\\d+\\.\\d+)\\s+");

    private static final List<String> PREFIXES = List.of("6040  03:21:04.269499 brk(NULL)", "[pid  6056] 03:21:04.2 mmap(",
            "[pid 7]x", "[pid7] a", "[pid 7] ", "[pid 7]", "12 ", "12", "12x", "1.5 read(", "1. read(", ".5 read(", "03:21:04 x",
            "03:21:04.x y", "03:21:04. y", "3:21:04.1 y", "03:21:04.123\tread(", "99999999999 x", "", " 1 ", "12:34:56",
            "12:34:56.7", "1.5", "\u0661\u0662 x", "0x12 y");
    private static final List<String> RESULTS = List.of(" = 0", " = 0 <0.000071>", "   = 0x55a24b801000 <0.000071>", " = -1",
            " = -1 ENOENT (No such file or directory) <0.000012>", " = -1 ENOENT (No such file or directory)", " = ?",
            " = ? <unavailable>", " = -1 ERESTART_RESTARTBLOCK (Interrupted by signal)", " = -1 ERESTARTSYS (To be restarted)",
            " = -1 E2BIG (x) <0.1>", " = 3 (flags O_RDONLY)", " = 0x", " = 0X1f", " = 0x1fz", " = 5abc", " =5", "= 5",
            " = 5 <1.>", " = 5 <.1>", " = 5 <1.2", " = 5 <1.2> x", " = -1 E (x)", " = -1 ENOENT(x)", " = -1 ENOENT (x",
            " = -1 ENOENT (x) (y)", " = -1 ENOENT (x)<0.1>", " = 4 <0.1>  ", " = 0x\u0661", " = -0x1", " = --1", " = 1 E_X (y)",
            " = 12 \t", "", " ", " x = 1");

    @Test
    void thePidAndTimePrefixesAreTheExpressions() {
        List<String> all = mutations(PREFIXES, "[pid 0123456789.:x\t]", 0x5eedL);
        for (String s : all) {
            Matcher m = PID.matcher(s);
            long pid = StraceReader.pidPrefix(s);
            if (m.find()) {
                assertThat(pid).as(s).isNotNegative();
                assertThat((int) pid).as(s).isEqualTo(m.end());
                assertThat(s.substring((int) (pid >>> 32)).startsWith(m.group(1) != null ? m.group(1) : m.group(2))).as(s).isTrue();
            } else {
                assertThat(pid).as(s).isEqualTo(-1);
            }
            Matcher t = TIME.matcher(s);
            int time = t.find() ? t.end() : -1;
            assertThat(StraceReader.timePrefix(s)).as(s).isEqualTo(time);
            // from an offset, as the reader scans it after the pid prefix
            assertThat(StraceReader.timePrefix("[pid 1] " + s, 8)).as(s).isEqualTo(time < 0 ? -1 : time + 8);
        }
    }

    @Test
    void splittingArgumentsInPlaceIsSplittingTheirCopy() {
        List<String> args = List.of("NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0",
                "3, \"a,b\\\"c\", 4 /* x, y */, [{a=1, b=2}], f(1, 2)", "\"unterminated, 1", "a /* open, 2", "x */ y, /*",
                " , ,", "", "{\"q\" /* \"in\" */}, 0x10");
        long seed = 0x51217L;
        SplittableRandom rnd = new SplittableRandom(seed);
        for (String a : mutations(args, "\"\\,()[]{}/* a1", seed)) {
            // the arguments inside a longer line, with text before and after that the bounds cut off
            String head = List.of("mmap(", "x(\"", "f(/*", "(").get(rnd.nextInt(4));
            String tail = List.of(") = 0", "\") = 1", "*/) = 2", ")").get(rnd.nextInt(4));
            String line = head + a + tail;
            assertThat(Syntax.splitArgs(line, head.length(), head.length() + a.length())).as(line)
                    .isEqualTo(Syntax.splitArgs(a));
        }
    }

    @Test
    void theNameScannerIsTheExpression() {
        List<String> names = List.of("brk(NULL)", "mmap(NULL, 8192", "_llseek(3", "exit_group(0)", "rt_sigaction(", "x(", "a1_b2(",
                "(", "", "Brk(", "brk (", "brk", "9brk(", "br-k(", "\u0661(", "mmap2(", "<... mmap resumed>", "+++ exited");
        for (String s : mutations(names, "abz_09(A -<", 0x4a3eL)) {
            Matcher m = StraceReader.NAME.matcher(s);
            int paren = m.find() ? m.end() - 1 : -1;
            assertThat(StraceReader.nameParen(s)).as(s).isEqualTo(paren);
            // in place, after a line's prefixes: the same parenthesis, as an index into the whole line
            assertThat(StraceReader.nameParen("[pid 7] 12:00:01 " + s, 17)).as(s).isEqualTo(paren < 0 ? -1 : paren + 17);
        }
    }

    @Test
    void theResultScannerAgreesWithTheExpressionWhereverItAnswers() {
        List<String> all = mutations(RESULTS, " =-?0x1fEONT_()<>.", 0xca11L);
        int answered = 0;
        for (String s : all) {
            String[] r = StraceReader.plainResult(s);
            Matcher m = StraceReader.RESULT.matcher(s);
            boolean matches = m.matches();
            if (r != null) {
                answered++;
                assertThat(matches).as(s).isTrue();
                assertThat(r).as(s).containsExactly(m.group(1), m.group(2));
            }
        }
        // the common shapes are answered without the expression
        assertThat(StraceReader.plainResult(" = -1 ENOENT (No such file or directory) <0.000012>")).containsExactly("-1", "ENOENT");
        assertThat(StraceReader.plainResult(" = 0x55a24b801000 <0.000071>")).containsExactly("0x55a24b801000", null);
        assertThat(answered).isGreaterThan(RESULTS.size() / 4);
    }

    /** The strings, and each with one character replaced, inserted or removed at random (seeded). */
    private static List<String> mutations(List<String> base, String alphabet, long seed) {
        System.out.println("StraceScannerTest seed: " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(base);
        for (String s : base) {
            for (int k = 0; k < 200; k++) {
                StringBuilder b = new StringBuilder(s);
                int edits = 1 + rnd.nextInt(3);
                for (int e = 0; e < edits; e++) {
                    int at = b.isEmpty() ? 0 : rnd.nextInt(b.length() + 1);
                    char c = alphabet.charAt(rnd.nextInt(alphabet.length()));
                    switch (rnd.nextInt(3)) {
                        case 0 -> b.insert(at, c);
                        case 1 -> {
                            if (at < b.length()) {
                                b.setCharAt(at, c);
                            }
                        }
                        default -> {
                            if (at < b.length()) {
                                b.deleteCharAt(at);
                            }
                        }
                    }
                }
                out.add(b.toString());
            }
        }
        return out;
    }
}
