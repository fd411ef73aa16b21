package io.jocclum.libos.replay;

import java.util.List;

/** One event of a recorded strace: a system call, the exit of a process, or its death by a signal. */
public sealed interface TraceEvent {
    /** The 1-based line of the trace file where the event ended. */
    int line();

    /** The traced thread (a process's main thread has its pid). */
    int tid();

    /**
     * A completed system call: its name, its arguments as strace printed them (split at the top-level
     * commas), and its result: {@code result} the returned value (−1 on failure, with {@code errno}
     * set), or {@code null} when strace printed {@code ?} (a call that does not return).
     */
    record Call(int line, int tid, String name, List<String> args, Long result, String errno) implements TraceEvent {
        public Call {
            args = args instanceof Syntax.Args ? args : List.copyOf(args);
        }

        /** Whether the call succeeded in the trace. */
        public boolean succeeded() {
            return errno == null && result != null;
        }

        /** Argument {@code i} as a number (decimal, hex, octal, {@code NULL}); {@link TraceFormatException} otherwise. */
        public long number(int i) {
            String a = arg(i);
            try {
                return Syntax.number(a);
            } catch (NumberFormatException e) {
                throw Syntax.notANumber(a, line, name + " argument " + (i + 1));
            }
        }

        /** Argument {@code i} as text. */
        public String arg(int i) {
            if (i >= args.size()) {
                throw new TraceFormatException(line, name + " has " + args.size() + " arguments; argument " + (i + 1)
                        + " is missing");
            }
            return args.get(i);
        }
    }

    /** {@code +++ exited with STATUS +++}: the process of {@code tid} ended. */
    record Exited(int line, int tid, int status) implements TraceEvent {
    }

    /** {@code +++ killed by SIG +++}: the process of {@code tid} was killed. */
    record Killed(int line, int tid, String signal) implements TraceEvent {
    }
}
