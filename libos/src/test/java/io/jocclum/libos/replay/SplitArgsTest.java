package io.jocclum.libos.replay;

import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Syntax#splitArgs} against the plain form of its rule (cut at top-level commas, then strip
 * each piece and take out its comments) on seeded random argument lists built from strace's pieces:
 * strings (with commas, brackets, escapes and comment marks inside), nested brackets, comments and
 * spaces. The seed is printed (replay a run with {@code -Dreplay.split.seed=N}).
 */
class SplitArgsTest {
    private static final String[] PIECES = {"0x7f00", "NULL", " ", "  ", "\t", ",", ", ", "[", "]", "{", "}", "(", ")",
        "\"a,b\"", "\"x/*y\"", "\"q\\\"w\"", "\"", "/* 3 vars */", "/*", "*/", "/", "*", "PROT_READ|PROT_WRITE", "st_mode=S_IFREG", "..."};

    private static List<String> model(String inner) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c == '"') {
                int e = end(inner, i);
                i = e < 0 ? inner.length() : e;
            } else if (c == '/' && i + 1 < inner.length() && inner.charAt(i + 1) == '*') {
                int e = inner.indexOf("*/", i + 2);
                i = e < 0 ? inner.length() : e + 1;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(clean(inner.substring(start, i)));
                start = i + 1;
            }
        }
        String tail = clean(inner.substring(start));
        if (!tail.isEmpty() || !out.isEmpty()) {
            out.add(tail);
        }
        return out;
    }

    private static int end(String s, int quote) {
        for (int i = quote + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
            } else if (s.charAt(i) == '"') {
                return i;
            }
        }
        return -1;
    }

    private static String clean(String a) {
        return a.contains("/*") ? a.replaceAll("/\\*.*?(?:\\*/|$)", "").strip() : a.strip();
    }

    @Test
    void splitsAsTheModelOnRandomArgumentLists() {
        long seed = Seeds.seed("SplitArgsTest");
        Random rnd = new Random(seed);
        int withComments = 0;
        for (int round = 0; round < 20000; round++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(12); k > 0; k--) {
                sb.append(PIECES[rnd.nextInt(PIECES.length)]);
            }
            String inner = sb.toString();
            assertThat(Syntax.splitArgs(inner)).as("seed %d, round %d: [%s]", seed, round, inner).isEqualTo(model(inner));
            if (inner.contains("/*")) {
                withComments++;
            }
        }
        assertThat(withComments).as("seed %d: lists with a comment mark", seed).isGreaterThan(1000);
    }

    /** Texts without commas or white space, as {@link Syntax#anyArgContains} takes them. */
    private static final String[] TEXTS = {"CLOEXEC", "PROT_READ", "a", "NULL", "/", "*", "\"", "x/", "3", "st_mode"};

    @Test
    void lazyArgumentsAndTheirTextSearchAgreeWithTheSplitArguments() {
        long seed = Seeds.seed("SplitArgsTest.lazy");
        Random rnd = new Random(seed);
        String[] pieces = java.util.Arrays.copyOf(PIECES, PIECES.length + 2);
        pieces[PIECES.length] = "O_RDONLY|O_CLOEXEC";
        pieces[PIECES.length + 1] = "\"/tmp/CLOEXEC\"";
        int found = 0;
        for (int round = 0; round < 20000; round++) {
            StringBuilder sb = new StringBuilder("openat(");
            for (int k = rnd.nextInt(12); k > 0; k--) {
                sb.append(pieces[rnd.nextInt(pieces.length)]);
            }
            int to = sb.length();
            String line = sb.append(") = 3").toString();
            List<String> split = Syntax.splitArgs(line.substring(7, to));
            String text = TEXTS[rnd.nextInt(TEXTS.length)];
            boolean expected = split.stream().anyMatch(a -> a.contains(text));
            Syntax.Args lazy = new Syntax.Args(line, 7, to);
            assertThat(Syntax.anyArgContains(lazy, text)).as("seed %d, round %d: %s in [%s]", seed, round, text, line)
                    .isEqualTo(expected);
            assertThat(lazy).as("seed %d, round %d: [%s]", seed, round, line).isEqualTo(split);
            // once split, the search reads the arguments
            assertThat(Syntax.anyArgContains(lazy, text)).isEqualTo(expected);
            if (expected) {
                found++;
            }
        }
        assertThat(found).as("seed %d: lists holding the text", seed).isGreaterThan(1000);
    }

    /** {@link Syntax#number} as it read a whole argument, strip and substrings. */
    private static long numberModel(String s) {
        String t = s.strip();
        if (t.equals("NULL")) {
            return 0;
        }
        if (t.startsWith("0x") || t.startsWith("0X")) {
            return Long.parseUnsignedLong(t.substring(2), 16);
        }
        if (t.length() > 1 && t.startsWith("0") && t.chars().allMatch(Character::isDigit)) {
            return Long.parseLong(t.substring(1), 8);
        }
        return Long.parseLong(t);
    }

    @Test
    void numbersInPlaceAsTheWholeArgument() {
        long seed = Seeds.seed("SplitArgsTest.number");
        Random rnd = new Random(seed);
        String[] parts = {"0", "1", "7", "9", "0x", "0X", "x", "f", "F", "-", "+", " ", "\t", "NULL", "N", "=", "12345678901234567890"};
        int numbers = 0;
        for (int round = 0; round < 50000; round++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(6); k > 0; k--) {
                sb.append(parts[rnd.nextInt(parts.length)]);
            }
            String arg = sb.toString();
            String around = "ab" + arg + "=0x1";
            Long want;
            try {
                want = numberModel(arg);
                numbers++;
            } catch (NumberFormatException e) {
                want = null;
            }
            Long got;
            try {
                got = Syntax.number(around, 2, 2 + arg.length());
            } catch (NumberFormatException e) {
                got = null;
            }
            assertThat(got).as("seed %d, round %d: [%s]", seed, round, arg).isEqualTo(want);
        }
        assertThat(numbers).as("seed %d: numbers among the texts", seed).isGreaterThan(2500);
    }
}
