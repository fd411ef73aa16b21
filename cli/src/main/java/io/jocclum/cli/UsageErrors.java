package io.jocclum.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A command-line mistake in the user's terms: which word was wrong and what is allowed, without the
 * parser's own vocabulary ("Unmatched argument at index 0", "'abc' is not a long"). Exit code 2, as
 * picocli's invalid-input code.
 */
final class UsageErrors {
    /** Exit code of a usage error. */
    static final int EXIT = 2;

    /**
     * Occlum's verbs that jocclum does not offer, with the sentence that says why. A verb typed from
     * Occlum's documentation gets this instead of "not a command".
     */
    static final Map<String, String> NOT_OFFERED = Map.of(
            "mount", "'occlum mount' serves an instance's file system through FUSE on the host; jocclum does not offer it:"
                    + " its SEFS layers are read only by the LibOS.",
            "gdb", "'occlum gdb' debugs a hardware enclave with sgx-gdb; jocclum does not offer it: guests are Java code,"
                    + " debug them with a Java debugger (JOCCLUM_JAVA_OPTS).",
            "status", "'occlum status' is not offered by jocclum; an instance's state is its build/ and run/ directories.");

    private UsageErrors() {
    }

    /** The one sentence for {@code ex}, ending with where to find help. */
    static String describe(ParameterException ex) {
        CommandSpec spec = ex.getCommandLine().getCommandSpec();
        String cmd = spec.qualifiedName();
        String help = " (see '" + cmd + " --help').";
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            return unmatched(u, spec, cmd, help);
        }
        if (ex instanceof CommandLine.MissingParameterException m) {
            String what = m.getMissing().stream().map(UsageErrors::label).collect(Collectors.joining(", "));
            return "'" + cmd + "' needs " + what + help;
        }
        ArgSpec arg = ex.getArgSpec();
        if (arg != null && ex.getValue() != null && ex.getCause() instanceof CommandLine.TypeConversionException) {
            return label(arg) + " must be " + expected(arg) + ", not '" + ex.getValue() + "'" + help;
        }
        if (ex instanceof CommandLine.OverwrittenOptionException o && o.getOverwritten() != null) {
            return label(o.getOverwritten()) + " is given more than once; give it once" + help;
        }
        String msg = ex.getMessage() == null ? "invalid command line" : ex.getMessage();
        msg = Character.toLowerCase(msg.charAt(0)) + msg.substring(1);
        return (msg.endsWith(".") ? msg.substring(0, msg.length() - 1) : msg) + help;
    }

    private static String unmatched(CommandLine.UnmatchedArgumentException u, CommandSpec spec, String cmd, String help) {
        List<String> words = u.getUnmatched();
        String first = words.isEmpty() ? "" : words.getFirst();
        if (u.isUnknownOption()) {
            return "'" + first + "' is not an option of '" + cmd + "'" + suggestion(u) + help;
        }
        if (!spec.subcommands().isEmpty() && spec.parent() == null && !first.startsWith("-")) {
            String notOffered = NOT_OFFERED.get(first);
            if (notOffered != null) {
                return notOffered;
            }
            String typo = suggestion(u);
            return "'" + first + "' is not a jocclum command" + (typo.isEmpty() ? "; the commands are " + commands(spec) + "."
                    : typo);
        }
        return "'" + cmd + "' takes no argument '" + first + "'" + suggestion(u) + help;
    }

    /** The subcommands of {@code spec} that are not hidden, in their declared order. */
    static String commands(CommandSpec spec) {
        return String.join(", ", spec.subcommands().entrySet().stream()
                .filter(e -> !e.getValue().getCommandSpec().usageMessage().hidden()).map(java.util.Map.Entry::getKey).toList());
    }

    /** picocli's closest suggestion, when it is close: a typo, not a different word. */
    private static String suggestion(CommandLine.UnmatchedArgumentException u) {
        List<String> s = u.getSuggestions();
        List<String> words = u.getUnmatched();
        if (s == null || s.isEmpty() || words.isEmpty()) {
            return "";
        }
        String typed = words.getFirst();
        for (String candidate : s) {
            if (distance(typed, candidate) <= Math.max(1, candidate.length() / 3)) {
                return "; did you mean '" + candidate + "'?";
            }
        }
        return "";
    }

    /** Edit distance with transpositions (optimal string alignment), for telling a typo from another word. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String label(ArgSpec a) {
        return switch (a) {
            case OptionSpec o -> o.longestName();
            case PositionalParamSpec p -> p.paramLabel();
            default -> "an argument";
        };
    }

    private static String expected(ArgSpec a) {
        Class<?> t = a.type();
        if (t == long.class || t == Long.class || t == int.class || t == Integer.class) {
            return "a whole number";
        }
        if (t == double.class || t == Double.class) {
            return "a number";
        }
        if (t == Path.class) {
            return "a file path";
        }
        if (t.isEnum()) {
            return "one of " + java.util.Arrays.stream(t.getEnumConstants()).map(String::valueOf)
                    .collect(Collectors.joining(", "));
        }
        return a.paramLabel();
    }
}
