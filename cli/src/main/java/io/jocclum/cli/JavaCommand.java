package io.jocclum.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line of another {@code jocclum} JVM, started the way {@code bin/jocclum} starts the
 * CLI: this JVM's java and class path, {@code JOCCLUM_JAVA_OPTS} (split at white space), then the
 * launcher's options.
 */
final class JavaCommand {
    private JavaCommand() {
    }

    static List<String> of(Cli cli, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String opts = cli.env.getOrDefault("JOCCLUM_JAVA_OPTS", "").strip();
        if (!opts.isEmpty()) {
            cmd.addAll(Arrays.asList(opts.split("\\s+")));
        }
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xss2m", "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /** {@link #of} in a session of its own ({@code setsid}, where the host has it), so that no terminal signal reaches it. */
    static List<String> detached(Cli cli, List<String> args) {
        List<String> cmd = of(cli, args);
        for (String dir : List.of("/usr/bin", "/bin")) {
            Path setsid = Path.of(dir, "setsid");
            if (Files.isExecutable(setsid)) {
                cmd.addFirst(setsid.toString());
                break;
            }
        }
        return cmd;
    }
}
