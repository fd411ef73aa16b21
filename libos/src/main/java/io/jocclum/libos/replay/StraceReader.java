package io.jocclum.libos.replay;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the output of {@code strace -f [-tt|-ttt] [-T] [-e trace=…]}: one file with a pid per line, or
 * the per-process files of {@code -ff} (the pid given by the caller, from the file name). It joins
 * {@code <unfinished …>} / {@code <… NAME resumed>} pairs per thread, reads {@code +++ exited}/{@code killed}
 * lines, and skips signal lines ({@code --- SIG… ---}) and strace's own messages. A line that is none
 * of these is a {@link TraceFormatException} naming its line number; a last line cut short (the trace was
 * copied while strace still wrote it) is counted as truncated, not an error.
 */
public final class StraceReader {
    /** What {@link #nameParen} scans: a system call's name and its opening parenthesis. */
    static final Pattern NAME = Pattern.compile("^([a-z_][a-z0-9_]*)\\(");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. ([a-z_][a-z0-9_]*) resumed>\\s?");
    private static final Pattern EXITED = Pattern.compile("^\\+\\+\\+ exited with (-?\\d+) \\+\\+\\+$");
    private static final Pattern KILLED = Pattern.compile("^\\+\\+\\+ killed by (SIG[A-Z0-9]+)(?: \\(core dumped\\))? \\+\\+\\+$");
    static final Pattern RESULT = Pattern.compile(
            "^\\s*=\\s+(\\?|-?\\d+|0x[0-9a-fA-F]+)(?:\\s+(E[A-Z0-9]+|ERESTART[A-Z_]*)\\s+\\([^)]*\\))?(?:\\s+\\([^)]*\\))?"
                    + "(?:\\s+<\\d+\\.\\d+>)?\\s*$");
    private static final String UNFINISHED = "<unfinished ...>";

    private final List<TraceEvent> events = new ArrayList<>();
    private final Map<String, Integer> unknownLines = new TreeMap<>();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private int truncated;
    private int lines;
    /** The errno {@link #plainResult(String, int, String[])} found on the current line. */
    private final String[] errnoOf = new String[1];

    private record Pending(int line, String name, String head) {
    }

    /**
     * Reads {@code in}; {@code filePid} is the pid of a {@code -ff} file whose lines carry none
     * (0 for a single file, where each line names its pid or the trace has one process).
     */
    public StraceReader read(BufferedReader in, int filePid) throws IOException {
        // one line ahead, to tell the last line (which may be cut short) from the others
        String next = in.readLine();
        for (int no = 1; next != null; no++) {
            String line = next;
            next = in.readLine();
            lines++;
            line(line, no, filePid, next == null);
        }
        return this;
    }

    /** The events read so far, in trace order (the order of the lines that completed them). */
    public List<TraceEvent> events() {
        return List.copyOf(events);
    }

    /** Lines that were skipped as not system calls (signals, strace's messages), by kind. */
    public Map<String, Integer> skipped() {
        return Collections.unmodifiableMap(new TreeMap<>(unknownLines));
    }

    /** Calls left unfinished at the end, and a last line cut short. */
    public int truncated() {
        return truncated + pending.size();
    }

    /** Lines read. */
    public int lines() {
        return lines;
    }

    private void line(String raw, int no, int filePid, boolean last) {
        String s = raw.stripTrailing();
        if (s.isEmpty()) {
            return;
        }
        int tid = filePid;
        int start = 0;
        long pid = pidPrefix(s);
        if (pid >= 0) {
            int digits = (int) (pid >>> 32);
            tid = Integer.parseInt(s, digits, digitsEnd(s, digits), 10);
            start = (int) pid;
        }
        int timeEnd = timePrefix(s, start);
        if (timeEnd > 0) {
            start = timeEnd;
        }
        // the rest is read in place from start (no copy of the line): a call's name and arguments are cut from it
        Matcher m;
        if (s.startsWith("--- ", start)) {
            unknownLines.merge("signal", 1, Integer::sum);
            return;
        }
        if (s.startsWith("strace: ", start) || s.startsWith("Process ", start) || s.startsWith("????", start)) {
            unknownLines.merge("strace message", 1, Integer::sum);
            return;
        }
        if (s.startsWith("+++ ", start)) {
            String t = s.substring(start);
            if ((m = EXITED.matcher(t)).matches()) {
                events.add(new TraceEvent.Exited(no, tid, Integer.parseInt(m.group(1))));
            } else if ((m = KILLED.matcher(t)).matches()) {
                events.add(new TraceEvent.Killed(no, tid, m.group(1)));
            } else if (!last) {
                throw new TraceFormatException(no, "expected '+++ exited with N +++' or '+++ killed by SIG… +++'");
            } else {
                truncated++;
            }
            return;
        }
        if (s.startsWith("<... ", start) && (m = RESUMED.matcher(s).region(start, s.length())).find()) {
            Pending p = pending.remove(tid);
            if (p == null) {
                // strace attached in the middle of this call, or its start is in another file: nothing to join
                unknownLines.merge("resumed without its start", 1, Integer::sum);
                return;
            }
            if (!p.name().equals(m.group(1))) {
                throw new TraceFormatException(no, "'" + m.group(1) + " resumed' follows an unfinished " + p.name()
                        + " (line " + p.line() + ") of thread " + tid);
            }
            String joined = p.head() + s.substring(m.end());
            complete(joined, 0, nameParen(joined, 0), no, tid, last);
            return;
        }
        int paren = nameParen(s, start);
        if (paren < 0) {
            if (last) {
                truncated++;
                return;
            }
            throw new TraceFormatException(no, "not a line of strace output: expected NAME(ARGS) = RESULT, '<... NAME"
                    + " resumed>', '+++ exited with N +++' or '--- SIG… ---'");
        }
        if (s.endsWith(UNFINISHED)) {
            String name = s.substring(start, paren);
            if (pending.containsKey(tid)) {
                throw new TraceFormatException(no, "thread " + tid + " starts " + name + " while its "
                        + pending.get(tid).name() + " (line " + pending.get(tid).line() + ") is unfinished");
            }
            pending.put(tid, new Pending(no, name, s.substring(start, s.length() - UNFINISHED.length()).stripTrailing()
                    + " "));
            return;
        }
        complete(s, start, paren, no, tid, last);
    }

    /**
     * The call whose name is {@code s[start, paren)}, {@code paren} its opening parenthesis
     * ({@link #nameParen}; -1 when there is none), its arguments and result the rest of {@code s}.
     */
    private void complete(String s, int start, int paren, int no, int tid, boolean last) {
        if (paren < 0) {
            throw new TraceFormatException(no, "not a system call");
        }
        String name = s.substring(start, paren);
        int close = Syntax.closingParen(s, paren);
        if (close < 0) {
            if (last) {
                truncated++;
                return;
            }
            throw new TraceFormatException(no, name + "'s argument list does not end");
        }
        String value = s;
        int from;
        int to;
        String errno;
        long bounds = plainResult(s, close + 1, errnoOf);
        if (bounds >= 0) {
            from = (int) (bounds >>> 32);
            to = (int) bounds;
            errno = errnoOf[0];
        } else {
            Matcher full = RESULT.matcher(s.substring(close + 1));
            if (!full.matches()) {
                if (last) {
                    truncated++;
                    return;
                }
                throw new TraceFormatException(no, name + " has no result: expected ') = VALUE' after its arguments");
            }
            value = full.group(1);
            from = 0;
            to = value.length();
            errno = full.group(2);
        }
        Long result = null;
        if (!(to - from == 1 && value.charAt(from) == '?')) {
            try {
                result = Syntax.number(value, from, to);
            } catch (NumberFormatException e) {
                throw Syntax.notANumber(value.substring(from, to), no, name + "'s result");
            }
        }
        // split when the replay first reads them: most calls are counted and skipped by name
        events.add(new TraceEvent.Call(no, tid, name, new Syntax.Args(s, paren + 1, close), result, errno));
    }

    /**
     * The index of the parenthesis after the system call's name at the start of {@code s}, where
     * {@link #NAME} would find it, or -1: scanned by hand (every line of a trace has one).
     */
    static int nameParen(String s) {
        return nameParen(s, 0);
    }

    /** {@link #nameParen(String)} of {@code s} from {@code at} on: the index in {@code s}, or -1. */
    static int nameParen(String s, int at) {
        int n = s.length();
        if (n <= at || !(s.charAt(at) == '_' || s.charAt(at) >= 'a' && s.charAt(at) <= 'z')) {
            return -1;
        }
        int i = at + 1;
        while (i < n) {
            char c = s.charAt(i);
            if (c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
                i++;
            } else {
                break;
            }
        }
        return i < n && s.charAt(i) == '(' ? i : -1;
    }

    /**
     * The common shapes of {@link #RESULT}, scanned by hand: {@code = VALUE}, optionally
     * {@code ERRNO (text)} with an errno of capitals and digits, optionally {@code <seconds>}. Returns
     * the value and the errno (or null) as the regular expression's groups would, or null for any other
     * text (then the regular expression decides).
     */
    static String[] plainResult(String t) {
        String[] errno = new String[1];
        long b = plainResult(t, 0, errno);
        return b < 0 ? null : new String[] {t.substring((int) (b >>> 32), (int) b), errno[0]};
    }

    /**
     * {@link #plainResult(String)} of {@code t} from {@code from} on, without copying the value: its
     * start in the high half and its end in the low half, or -1; the errno (or null) in {@code errno[0]}.
     */
    private static long plainResult(String t, int from, String[] errno) {
        int n = t.length();
        int i = spacesEnd(t, from);
        if (i >= n || t.charAt(i) != '=') {
            return -1;
        }
        int v = spacesEnd(t, i + 1);
        if (v == i + 1 || v >= n) {
            return -1;
        }
        int ve;
        if (t.charAt(v) == '?') {
            ve = v + 1;
        } else if (t.startsWith("0x", v)) {
            ve = v + 2;
            while (ve < n && Character.digit(t.charAt(ve), 16) >= 0 && t.charAt(ve) < 128) {
                ve++;
            }
            if (ve == v + 2) {
                return -1;
            }
        } else {
            int d = t.charAt(v) == '-' ? v + 1 : v;
            ve = digitsEnd(t, d);
            if (ve == d) {
                return -1;
            }
        }
        errno[0] = null;
        int j = ve;
        int k = spacesEnd(t, j);
        if (k < n && k == j) {
            return -1; // the value runs on
        }
        if (k < n && t.charAt(k) == 'E') {
            int e = k + 1;
            while (e < n && (t.charAt(e) >= 'A' && t.charAt(e) <= 'Z' || isDigit(t, e))) {
                e++;
            }
            int open = spacesEnd(t, e);
            if (e == k + 1 || open == e || open >= n || t.charAt(open) != '(') {
                return -1;
            }
            int shut = t.indexOf(')', open + 1);
            if (shut < 0) {
                return -1;
            }
            errno[0] = t.substring(k, e);
            j = shut + 1;
            k = spacesEnd(t, j);
        }
        if (k < n && k > j && t.charAt(k) == '<') {
            int d = digitsEnd(t, k + 1);
            if (d == k + 1 || d >= n || t.charAt(d) != '.') {
                return -1;
            }
            int f = digitsEnd(t, d + 1);
            if (f == d + 1 || f >= n || t.charAt(f) != '>') {
                return -1;
            }
            j = f + 1;
            k = spacesEnd(t, j);
        }
        return k == n ? (long) v << 32 | ve : -1;
    }

    // ---- the line's prefixes, scanned by hand: a regular expression per line costs more than the rest of the line

    /**
     * The pid prefix {@code [pid N]} or {@code N}, then whitespace (the regular expression
     * {@code ^(?:\[pid\s+(\d+)\]|(\d+))\s+}): the start of the pid's digits in the high half and the
     * end of the prefix in the low half, or -1 when the line has none.
     */
    static long pidPrefix(String s) {
        int digits;
        int after;
        if (s.startsWith("[pid")) {
            digits = spacesEnd(s, 4);
            if (digits == 4) {
                return -1;
            }
            after = digitsEnd(s, digits);
            if (after == digits || after >= s.length() || s.charAt(after) != ']') {
                return -1;
            }
            after++;
        } else {
            digits = 0;
            after = digitsEnd(s, 0);
            if (after == 0) {
                return -1;
            }
        }
        int end = spacesEnd(s, after);
        return end == after ? -1 : (long) digits << 32 | end;
    }

    /**
     * The end of the timestamp prefix {@code HH:MM:SS[.frac]} or {@code SECONDS.frac} and the
     * whitespace after it (the regular expression
     * {@code ^(?:\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d+\.\d+)\s+}), or -1 when the line has none.
     */
    static int timePrefix(String s) {
        return timePrefix(s, 0);
    }

    /** {@link #timePrefix(String)} of {@code s} from {@code at} on: the index where the prefix ends, or -1. */
    static int timePrefix(String s, int at) {
        if (s.length() > at + 8 && isDigit(s, at) && isDigit(s, at + 1) && s.charAt(at + 2) == ':' && isDigit(s, at + 3)
                && isDigit(s, at + 4) && s.charAt(at + 5) == ':' && isDigit(s, at + 6) && isDigit(s, at + 7)) {
            int i = at + 8;
            if (s.charAt(i) == '.' && isDigit(s, i + 1)) {
                i = digitsEnd(s, i + 1);
            }
            int end = spacesEnd(s, i);
            if (end > i) {
                return end;
            }
        }
        int d = digitsEnd(s, at);
        if (d == at || d >= s.length() || s.charAt(d) != '.') {
            return -1;
        }
        int f = digitsEnd(s, d + 1);
        if (f == d + 1) {
            return -1;
        }
        int end = spacesEnd(s, f);
        return end == f ? -1 : end;
    }

    private static boolean isDigit(String s, int i) {
        if (i >= s.length()) {
            return false;
        }
        char c = s.charAt(i);
        return c >= '0' && c <= '9';
    }

    private static int digitsEnd(String s, int i) {
        while (isDigit(s, i)) {
            i++;
        }
        return i;
    }

    /** The end of the whitespace ({@code \s}: space, tab, newline, vertical tab, form feed, return) from {@code i}. */
    private static int spacesEnd(String s, int i) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != 0x0B && c != '\f' && c != '\r') {
                break;
            }
            i++;
        }
        return i;
    }
}
