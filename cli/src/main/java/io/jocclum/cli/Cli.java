package io.jocclum.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * What a command may touch of the outside world: its input and output streams, the environment, the
 * working directory, the clock and the heap limit. {@code Main.main} uses the real ones; tests pass their own, so every
 * command runs in-process with captured output.
 *
 * <p>{@code verbose} is set by {@code -v} while the command line is parsed (single-threaded).
 */
final class Cli {
    final java.io.InputStream in;
    final PrintStream out;
    final PrintStream err;
    final Map<String, String> env;
    final Path cwd;
    final Clock clock;
    boolean verbose;
    /** The most heap this JVM may use ({@code -Xmx}); commands that need a lot check it first. Tests change it. */
    long maxHeapBytes = Runtime.getRuntime().maxMemory();
    /** The machine's physical memory; no advice suggests a heap larger than it. Tests change it. */
    long machineMemoryBytes = machineMemory();
    /** Whether the user watches a terminal: progress bars and boot phases are shown only then. Tests change it. */
    boolean terminal;
    /**
     * Run by a guest thread when the JVM's heap runs out under it ({@code Kernel.onHeapExhausted}):
     * {@code Main.main}'s ends the process with one sentence; null (tests) leaves the LibOS's default.
     */
    Runnable heapExhausted;

    Cli(PrintStream out, PrintStream err, Map<String, String> env, Path cwd, Clock clock) {
        this(java.io.InputStream.nullInputStream(), out, err, env, cwd, clock);
    }

    Cli(java.io.InputStream in, PrintStream out, PrintStream err, Map<String, String> env, Path cwd, Clock clock) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.env = Map.copyOf(env);
        this.cwd = cwd.toAbsolutePath().normalize();
        this.clock = clock;
    }

    private static long machineMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    static Cli system() {
        Cli cli = new Cli(System.in, System.out, System.err, System.getenv(), Path.of(""), Clock.systemUTC());
        java.io.Console c = System.console();
        cli.terminal = c != null && c.isTerminal();
        return cli;
    }

    /** {@code p} against the working directory. */
    Path resolve(Path p) {
        return cwd.resolve(p).normalize();
    }
}
