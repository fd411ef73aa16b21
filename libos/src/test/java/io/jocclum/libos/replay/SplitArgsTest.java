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
}
