package io.jocclum.cli;

import ch.qos.logback.classic.Level;
import io.jocclum.libos.config.ConfigException;
import io.jocclum.libos.config.ConfigProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * Entry point of {@code jocclum}. {@link #run} is the whole program minus {@code System.exit}, so
 * tests run commands in-process.
 *
 * <p>Exit codes: 0 success; 2 bad input: a usage error (one sentence in the user's terms, see
 * {@link UsageErrors}) or a configuration error (every problem listed, one per line); 1 a runtime
 * error (one sentence), and an internal error too, whose stack trace only {@code -v} shows. SIGINT
 * and SIGTERM end it with 130 and 143, an error that reaches the top of any thread (e.g. the JVM's
 * heap running out) with 1 and one sentence ({@link Lifecycle}).
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        Cli cli = Cli.system();
        Lifecycle.install(cli);
        System.exit(run(cli, args));
    }

    static int run(Cli cli, String... args) {
        return commandLine(cli).execute(args);
    }

    static CommandLine commandLine(Cli cli) {
        CommandLine cl = new CommandLine(new JocclumCommand(cli), new Factory(cli));
        cl.setOut(new PrintWriter(cli.out, true));
        cl.setErr(new PrintWriter(cli.err, true));
        cl.setParameterExceptionHandler((ex, args) -> {
            cli.err.println("jocclum: " + UsageErrors.describe(ex));
            return UsageErrors.EXIT;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> handle(cli, ex));
        // run PATH ARGS...: options after PATH belong to the program
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.getSubcommands().get("exec").setStopAtPositional(true);
        return cl;
    }

    static int handle(Cli cli, Exception ex) {
        switch (ex) {
            case UserError u -> {
                cli.err.println("jocclum: " + u.getMessage());
                return u.exitCode();
            }
            case ConfigException c -> {
                printWarnings(cli, c.warnings());
                cli.err.println("jocclum: " + c.getMessage());
                return UserError.CONFIG;
            }
            default -> {
                if (cli.heapExhausted != null && Lifecycle.heapRanOut(ex)) {
                    cli.heapExhausted.run(); // the same end as an OutOfMemoryError that reached the top of a thread
                }
                String limit = Lifecycle.limitReached(ex);
                if (limit != null) {
                    cli.err.println(limit);
                    if (cli.verbose) {
                        ex.printStackTrace(cli.err);
                    }
                    return UserError.FAILURE;
                }
                Throwable cause = ex instanceof UncheckedIOException u ? u.getCause() : ex;
                cli.err.println("jocclum: internal error: " + cause + (cli.verbose ? "" : " (run with -v for details)"));
                if (cli.verbose) {
                    ex.printStackTrace(cli.err);
                }
                LOG.debug("internal error", ex);
                return UserError.FAILURE;
            }
        }
    }

    static void printWarnings(Cli cli, java.util.List<ConfigProblem> warnings) {
        for (ConfigProblem w : warnings) {
            cli.err.println("warning: " + w);
        }
    }

    /** -v: debug logging on stderr (quiet, WARN, by default). */
    static void verbose(boolean on) {
        Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            l.setLevel(on ? Level.DEBUG : Level.WARN);
        }
    }

    /** Creates commands, handing each the {@link Cli} when it has such a constructor. */
    private record Factory(Cli cli) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                var ctor = cls.getDeclaredConstructor(Cli.class);
                ctor.setAccessible(true);
                return ctor.newInstance(cli);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
