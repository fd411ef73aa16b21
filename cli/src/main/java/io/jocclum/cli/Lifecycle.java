package io.jocclum.cli;

import io.jocclum.sgx.cpu.HostPagePool;
import sun.misc.Signal;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How the {@code jocclum} process ends when something other than its command decides: a signal, or
 * an error no code caught. Installed by {@code Main.main} only (in-process tests never touch the
 * JVM's handlers).
 *
 * <ul>
 *   <li>SIGINT and SIGTERM end the command, and with {@code run} the guest, with status 130 or 143
 *       (128 + the signal, as a shell reports a process killed by it). The orderly exit runs the
 *       JVM's shutdown; a watchdog started at install time halts the JVM if that takes longer than
 *       {@link #GRACE_MILLIS}, so a signal always ends the process within two seconds.</li>
 *   <li>An {@link OutOfMemoryError} or any other error that reaches the top of a thread (a
 *       platform thread such as ksgxd, or the command's own) ends the process with status 1 and
 *       one sentence, never a Java stack trace ({@code -v} adds it for an internal error). A
 *       thread that died would otherwise leave the others waiting for it forever.</li>
 * </ul>
 *
 * <p>The messages are built at install time, so that printing one needs no heap.
 */
final class Lifecycle {
    /** How long the orderly exit after a signal may take before the watchdog halts the JVM. */
    static final long GRACE_MILLIS = 1500;

    private final Cli cli;
    private final String heapMessage;
    private final CountDownLatch fired = new CountDownLatch(1);
    private final AtomicInteger status = new AtomicInteger(-1);

    private Lifecycle(Cli cli) {
        this.cli = cli;
        this.heapMessage = heapMessage();
    }

    private static String heapMessage() {
        return "jocclum: the JVM ran out of heap (its limit is " + mb(Runtime.getRuntime().maxMemory())
                + "); give it more with JOCCLUM_JAVA_OPTS=-Xmx<size>, or give the program less memory.";
    }

    /** The sentence for guest processes the LibOS ended because the host ran out of memory. */
    static String victimsMessage(java.util.List<Integer> pids) {
        return "jocclum: the host ran out of memory for " + (pids.size() == 1 ? "process " + pids.getFirst()
                : pids.size() + " processes (" + pids.stream().map(String::valueOf).collect(java.util.stream.Collectors
                .joining(", ")) + ")") + ", which the LibOS killed as Linux's OOM killer would; give the JVM more heap"
                + " (JOCCLUM_JAVA_OPTS=-Xmx<size>, now " + mb(Runtime.getRuntime().maxMemory()) + ") or the program less"
                + " memory.";
    }

    /**
     * The sentence for a host limit found in {@code e}'s causes (the Java heap, or the host memory of
     * the EPC and backing pages), null if none is there: such an error is no internal error.
     */
    static String limitReached(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof OutOfMemoryError) {
                return heapMessage();
            }
            if (c instanceof HostPagePool.HostMemoryExhausted h) {
                return "jocclum: " + h.getMessage() + "; free space there or point java.io.tmpdir elsewhere"
                        + " (JOCCLUM_JAVA_OPTS=-Djava.io.tmpdir=DIR).";
            }
        }
        return null;
    }

    /** Installs the signal handlers, the watchdog and the handler of uncaught errors for the whole JVM. */
    static void install(Cli cli) {
        Lifecycle l = new Lifecycle(cli);
        Thread watchdog = new Thread(l::watch, "jocclum-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Thread.setDefaultUncaughtExceptionHandler(l::uncaught);
        l.onSignal("INT", 2);
        l.onSignal("TERM", 15);
    }

    private void onSignal(String name, int number) {
        try {
            Signal.handle(new Signal(name), s -> stop("jocclum: stopped by SIG" + name + ".", 128 + number));
        } catch (IllegalArgumentException e) {
            // the JVM keeps this signal for itself (-Xrs): its default action stays
        }
    }

    /** Ends the process with {@code code}: orderly if it can, by the watchdog's halt if that hangs. */
    private void stop(String message, int code) {
        if (!status.compareAndSet(-1, code)) {
            return; // already ending
        }
        fired.countDown();
        cli.err.println(message);
        cli.out.flush();
        cli.err.flush();
        System.exit(code);
    }

    private void watch() {
        try {
            fired.await();
            if (!Thread.currentThread().isInterrupted()) {
                TimeUnit.MILLISECONDS.sleep(GRACE_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(status.get());
    }

    private void uncaught(Thread t, Throwable e) {
        if (e instanceof OutOfMemoryError) {
            halt(heapMessage);
        }
        String msg;
        try {
            String limit = limitReached(e);
            msg = limit != null ? limit : "jocclum: internal error in " + t.getName() + " (" + e.getClass().getSimpleName() + ")"
                    + (cli.verbose ? "." : "; run with -v for details.");
            if (cli.verbose) {
                e.printStackTrace(cli.err);
            }
        } catch (OutOfMemoryError oom) {
            msg = heapMessage;
        }
        halt(msg);
    }

    /** Prints {@code message} and ends the process with status 1 at once (no shutdown: a thread is broken). */
    private void halt(String message) {
        if (status.compareAndSet(-1, 1)) {
            PrintStream err = cli.err;
            err.println(message);
            cli.out.flush();
            err.flush();
        }
        fired.countDown();
        Runtime.getRuntime().halt(status.get());
    }

    private static String mb(long bytes) {
        return bytes == Long.MAX_VALUE ? "unlimited" : (bytes >> 20) + "MB";
    }
}
