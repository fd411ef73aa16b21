package io.jocclum.libos.replay;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
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
    private static final Pattern PID = Pattern.compile("^(?:\\[pid\\s+(\\d+)\\]|(\\d+))\\s+");
    private static final Pattern TIME = Pattern.compile("^(?:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?|\\d+\\.\\d+)\\s+");
    private static final Pattern NAME = Pattern.compile("^([a-z_][a-z0-9_]*)\\(");
    private static final Pattern RESUMED = Pattern.compile("^<\\.\\.\\. ([a-z_][a-z0-9_]*) resumed>\\s?");
    private static final Pattern EXITED = Pattern.compile("^\\+\\+\\+ exited with (-?\\d+) \\+\\+\\+$");
    private static final Pattern KILLED = Pattern.compile("^\\+\\+\\+ killed by (SIG[A-Z0-9]+)(?: \\(core dumped\\))? \\+\\+\\+$");
    private static final Pattern RESULT = Pattern.compile(
            "^\\s*=\\s+(\\?|-?\\d+|0x[0-9a-fA-F]+)(?:\\s+(E[A-Z0-9]+|ERESTART[A-Z_]*)\\s+\\([^)]*\\))?(?:\\s+\\([^)]*\\))?"
                    + "(?:\\s+<\\d+\\.\\d+>)?\\s*$");
    private static final String UNFINISHED = "<unfinished ...>";

    private final List<TraceEvent> events = new ArrayList<>();
    private final Map<String, Integer> unknownLines = new TreeMap<>();
    private final Map<Integer, Pending> pending = new HashMap<>();
    private int truncated;
    private int lines;

    private record Pending(int line, String name, String head) {
    }

    /**
     * Reads {@code in}; {@code filePid} is the pid of a {@code -ff} file whose lines carry none
     * (0 for a single file, where each line names its pid or the trace has one process).
     */
    public StraceReader read(BufferedReader in, int filePid) throws IOException {
        List<String> all = in.lines().toList();
        for (int i = 0; i < all.size(); i++) {
            lines++;
            line(all.get(i), i + 1, filePid, i == all.size() - 1);
        }
        return this;
    }

    /** The events read so far, in trace order (the order of the lines that completed them). */
    public List<TraceEvent> events() {
        return List.copyOf(events);
    }

    /** Lines that were skipped as not system calls (signals, strace's messages), by kind. */
    public Map<String, Integer> skipped() {
        return Map.copyOf(unknownLines);
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
        Matcher m = PID.matcher(s);
        if (m.find()) {
            tid = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2));
            s = s.substring(m.end());
        }
        m = TIME.matcher(s);
        if (m.find()) {
            s = s.substring(m.end());
        }
        if (s.startsWith("--- ")) {
            unknownLines.merge("signal", 1, Integer::sum);
            return;
        }
        if (s.startsWith("strace: ") || s.startsWith("Process ") || s.startsWith("????")) {
            unknownLines.merge("strace message", 1, Integer::sum);
            return;
        }
        if (s.startsWith("+++ ")) {
            if ((m = EXITED.matcher(s)).matches()) {
                events.add(new TraceEvent.Exited(no, tid, Integer.parseInt(m.group(1))));
            } else if ((m = KILLED.matcher(s)).matches()) {
                events.add(new TraceEvent.Killed(no, tid, m.group(1)));
            } else if (!last) {
                throw new TraceFormatException(no, "expected '+++ exited with N +++' or '+++ killed by SIG… +++'");
            } else {
                truncated++;
            }
            return;
        }
        m = RESUMED.matcher(s);
        if (m.find()) {
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
            complete(p.head() + s.substring(m.end()), no, tid, last);
            return;
        }
        m = NAME.matcher(s);
        if (!m.find()) {
            if (last) {
                truncated++;
                return;
            }
            throw new TraceFormatException(no, "not a line of strace output: expected NAME(ARGS) = RESULT, '<... NAME"
                    + " resumed>', '+++ exited with N +++' or '--- SIG… ---'");
        }
        if (s.endsWith(UNFINISHED)) {
            if (pending.containsKey(tid)) {
                throw new TraceFormatException(no, "thread " + tid + " starts " + m.group(1) + " while its "
                        + pending.get(tid).name() + " (line " + pending.get(tid).line() + ") is unfinished");
            }
            pending.put(tid, new Pending(no, m.group(1), s.substring(0, s.length() - UNFINISHED.length()).stripTrailing()
                    + " "));
            return;
        }
        complete(s, no, tid, last);
    }

    private void complete(String s, int no, int tid, boolean last) {
        Matcher m = NAME.matcher(s);
        if (!m.find()) {
            throw new TraceFormatException(no, "not a system call");
        }
        String name = m.group(1);
        int close = Syntax.closingParen(s, m.end() - 1);
        if (close < 0) {
            if (last) {
                truncated++;
                return;
            }
            throw new TraceFormatException(no, name + "'s argument list does not end");
        }
        Matcher r = RESULT.matcher(s.substring(close + 1));
        if (!r.matches()) {
            if (last) {
                truncated++;
                return;
            }
            throw new TraceFormatException(no, name + " has no result: expected ') = VALUE' after its arguments");
        }
        List<String> args = Syntax.splitArgs(s.substring(m.end(), close));
        Long result = r.group(1).equals("?") ? null : Syntax.number(r.group(1), no, name + "'s result");
        events.add(new TraceEvent.Call(no, tid, name, args, result, r.group(2)));
    }
}
