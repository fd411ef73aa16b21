package io.jocclum.libos.replay;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.regex.Pattern;

/** The pieces of strace's argument syntax replay needs: nesting, strings, numbers and flag sets. */
final class Syntax {
    /** A comment, up to its end or the end of the argument. */
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?(?:\\*/|$)");

    private Syntax() {
    }

    /**
     * The arguments of a call, split as {@link #splitArgs(String, int, int)} splits {@code line[from, to)}
     * when they are first read: most calls of a trace are counted and skipped without a look at them.
     * Unmodifiable; safe to read from any thread.
     */
    static final class Args extends AbstractList<String> implements RandomAccess {
        private final String line;
        private final int from;
        private final int to;
        private volatile List<String> split;

        Args(String line, int from, int to) {
            this.line = line;
            this.from = from;
            this.to = to;
        }

        private List<String> split() {
            List<String> s = split;
            if (s == null) {
                s = Collections.unmodifiableList(splitArgs(line, from, to));
                split = s;
            }
            return s;
        }

        @Override
        public String get(int index) {
            return split().get(index);
        }

        @Override
        public int size() {
            return split().size();
        }
    }

    /** Index of the ')' closing the '(' at {@code open}, skipping strings and nested brackets; -1 when none. */
    static int closingParen(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                i = stringEnd(s, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return c == ')' ? i : -1;
                }
            }
        }
        return -1;
    }

    private static int stringEnd(String s, int quote) {
        return stringEnd(s, quote, s.length());
    }

    /** The index of the '"' closing the string opened at {@code quote}, before {@code to}; -1 when none. */
    private static int stringEnd(String s, int quote, int to) {
        for (int i = quote + 1; i < to; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    /** The arguments of {@code inner} split at top-level commas, each stripped ({@code /* … *}{@code /} comments removed). */
    static List<String> splitArgs(String inner) {
        return splitArgs(inner, 0, inner.length());
    }

    /** {@link #splitArgs(String)} of {@code line[from, to)}, without copying it first. */
    static List<String> splitArgs(String line, int from, int to) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = from;
        boolean comment = false;
        for (int i = from; i < to; i++) {
            char c = line.charAt(i);
            if (c == '"') {
                int e = stringEnd(line, i, to);
                int end = e < 0 ? to : e;
                // clean() takes out "/*" even inside a string: such an argument goes through it as before
                comment |= hasCommentStart(line, i, end);
                i = end;
            } else if (c == '/' && i + 1 < to && line.charAt(i + 1) == '*') {
                int e = line.indexOf("*/", i + 2);
                i = e < 0 || e + 2 > to ? to : e + 1;
                comment = true;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(arg(line, start, i, comment));
                start = i + 1;
                comment = false;
            }
        }
        String tail = arg(line, start, to, comment);
        if (!tail.isEmpty() || !out.isEmpty()) {
            out.add(tail);
        }
        return out;
    }

    private static boolean hasCommentStart(String s, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (s.charAt(i) == '/' && s.charAt(i + 1) == '*') {
                return true;
            }
        }
        return false;
    }

    /** {@code inner[from, to)} stripped, as one substring; with its comments removed if it has any. */
    private static String arg(String inner, int from, int to, boolean comment) {
        if (comment) {
            return clean(inner.substring(from, to));
        }
        while (from < to && Character.isWhitespace(inner.charAt(from))) {
            from++;
        }
        while (to > from && Character.isWhitespace(inner.charAt(to - 1))) {
            to--;
        }
        return inner.substring(from, to);
    }

    private static String clean(String a) {
        return a.contains("/*") ? COMMENT.matcher(a).replaceAll("").strip() : a.strip();
    }

    /** A number as strace prints it: decimal, 0x hex, 0 octal, NULL; {@link TraceFormatException} otherwise. */
    static long number(String s, int line, String what) {
        try {
            return number(s);
        } catch (NumberFormatException e) {
            throw notANumber(s, line, what);
        }
    }

    /** {@link #number(String, int, String)} that throws {@link NumberFormatException}, for callers that name the number only then. */
    static long number(String s) {
        return number(s, 0, s.length());
    }

    /** {@link #number(String)} of {@code s[from, to)}, without copying it. */
    static long number(String s, int from, int to) {
        while (from < to && Character.isWhitespace(s.charAt(from))) {
            from++;
        }
        while (to > from && Character.isWhitespace(s.charAt(to - 1))) {
            to--;
        }
        int n = to - from;
        if (n == 4 && s.startsWith("NULL", from)) {
            return 0;
        }
        if (n >= 2 && s.charAt(from) == '0' && (s.charAt(from + 1) == 'x' || s.charAt(from + 1) == 'X')) {
            return Long.parseUnsignedLong(s, from + 2, to, 16);
        }
        if (n > 1 && s.charAt(from) == '0' && digits(s, from, to)) {
            return Long.parseLong(s, from + 1, to, 8);
        }
        return Long.parseLong(s, from, to, 10);
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether an argument of {@code args} contains {@code text} (which has no comma): read from the
     * call's text without splitting it when it has no comment mark (a comment is not part of the
     * arguments, and no argument can hold such a text across a comma).
     */
    static boolean anyArgContains(List<String> args, String text) {
        if (args instanceof Args a && a.split == null) {
            int mark = a.line.indexOf("/*", a.from);
            if (mark < 0 || mark + 2 > a.to) {
                int at = a.line.indexOf(text, a.from);
                return at >= 0 && at + text.length() <= a.to;
            }
        }
        for (String arg : args) {
            if (arg.contains(text)) {
                return true;
            }
        }
        return false;
    }

    static TraceFormatException notANumber(String s, int line, String what) {
        return new TraceFormatException(line, what + " '" + s + "' is not a number");
    }

    /**
     * A flag set such as {@code PROT_READ|PROT_WRITE} or {@code MAP_PRIVATE|MAP_ANONYMOUS|0x40}: the OR of
     * the known names' values and of numbers; unknown names are ignored (they do not change what is replayed).
     */
    static int flags(String s, Map<String, Integer> names, int line, String what) {
        int v = 0;
        for (String part : s.split("\\|")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            Integer known = names.get(p);
            if (known != null) {
                v |= known;
            } else if (Character.isDigit(p.charAt(0))) {
                v |= (int) number(p, line, what);
            }
        }
        return v;
    }
}
