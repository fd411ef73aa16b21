package io.jocclum.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Shows the phases of a boot on a terminal once the boot has taken longer than a second, so a long
 * boot (a large non-EDMM enclave loads every page before it starts) says what it is doing; a short
 * one prints nothing.
 */
final class BootPhases implements Consumer<String>, AutoCloseable {
    /** How long a boot runs silently before its phases are shown. */
    static final long QUIET_NANOS = 1_000_000_000L;

    private final PrintStream err;
    private final long start = System.nanoTime();
    private final Thread timer;
    private String current = "booting";
    private boolean shown;
    private boolean done;

    BootPhases(PrintStream err) {
        this(err, QUIET_NANOS);
    }

    BootPhases(PrintStream err, long quietNanos) {
        this.err = err;
        this.timer = Thread.ofVirtual().name("boot-phases").start(() -> showAfter(quietNanos));
    }

    /** Boots {@code built}, showing the phases on a terminal when it takes long. */
    static io.jocclum.libos.boot.LibOs boot(Cli cli, io.jocclum.libos.layout.BuiltEnclave built,
            io.jocclum.libos.boot.BootOptions options) {
        if (!cli.terminal) {
            return io.jocclum.libos.boot.LibOs.boot(built, options);
        }
        try (BootPhases phases = new BootPhases(cli.err)) {
            return io.jocclum.libos.boot.LibOs.boot(built, options, phases);
        }
    }

    private void showAfter(long quietNanos) {
        try {
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(quietNanos);
        } catch (InterruptedException e) {
            return;
        }
        show();
    }

    /** The quiet period is over: print the current phase, and every later one as it begins. */
    synchronized void show() {
        if (!done && !shown) {
            shown = true;
            print(current);
        }
    }

    @Override
    public synchronized void accept(String phase) {
        current = phase;
        if (shown) {
            print(phase);
        }
    }

    private void print(String phase) {
        err.println(String.format(Locale.ROOT, "jocclum: [%5.1f s] %s", (System.nanoTime() - start) / 1e9, phase));
        err.flush();
    }

    @Override
    public void close() {
        synchronized (this) {
            done = true;
            if (shown) {
                print("booted");
            }
        }
        timer.interrupt();
    }
}
