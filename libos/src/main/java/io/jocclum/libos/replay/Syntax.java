package io.jocclum.libos.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The pieces of strace's argument syntax replay needs: nesting, strings, numbers and flag sets. */
final class Syntax {
    private Syntax() {
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
        return a.contains("/*") ? a.replaceAll("/\\*.*?(?:\\*/|$)", "").strip() : a.strip();
    }

    /** A number as strace prints it: decimal, 0x hex, 0 octal, NULL; {@link TraceFormatException} otherwise. */
    static long number(String s, int line, String what) {
        String t = s.strip();
        try {
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
        } catch (NumberFormatException e) {
            throw new TraceFormatException(line, what + " '" + s + "' is not a number");
        }
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
