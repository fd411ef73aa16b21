package io.jocclum.cli;

import io.jocclum.sgx.cpu.HostPagePool;
import sun.misc.Signal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

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
 *   <li>The JVM's heap running out ({@link OutOfMemoryError}) anywhere, in a platform thread such
 *       as ksgxd, in a guest thread (the LibOS runs {@link #heapExhausted} there, see
 *       {@code Kernel.onHeapExhausted}) or in the command's own, is a failure of the host: the process
 *       ends with status 1 and one sentence. It is not a guest killed by the OOM killer (137): that
 *       status is left to what the LibOS itself decides (a memory cgroup's OOM kill). So the outcome
 *       does not depend on which thread meets the exhausted heap first.</li>
 *   <li>Any other error that reaches the top of a thread ends the process with status 1 and one
 *       sentence, never a Java stack trace ({@code -v} adds it). A thread that died would otherwise
 *       leave the others waiting for it forever.</li>
 * </ul>
 *
 * <p>Ending after an {@code OutOfMemoryError} allocates nothing: the sentences are encoded at
 * install time, written with one {@code write(2)} through a {@link FileOutputStream} on descriptor
 * 2 made then, and the JVM ends with {@link Runtime#halt} and a constant status. A reserve of heap
 * allocated at install time is dropped first, for whatever the JVM itself still needs. The first
 * thread to end the process wins; any later one (another thread meeting the exhausted heap, a
 * signal) parks for good, so one sentence is printed and the status is the first one. The
 * watchdog halts the JVM with that status even if the winner blocks (a full pipe on stdout).
 */
final class Lifecycle {
    /** How long the orderly exit after a signal may take before the watchdog halts the JVM. */
    static final long GRACE_MILLIS = 1500;
    /** Heap held from install time and dropped when the heap runs out. */
    static final int RESERVE_BYTES = 256 << 10;
    private static final int FAILURE = UserError.FAILURE;

    private final Cli cli;
    private final Runtime runtime = Runtime.getRuntime();
    private final FileOutputStream stderr = new FileOutputStream(FileDescriptor.err);
    private final byte[] heapMessage;
    private final CountDownLatch fired = new CountDownLatch(1);
    private final AtomicInteger status = new AtomicInteger(-1);
    @SuppressWarnings("unused") // held only to be dropped
    private volatile byte[] reserve = new byte[RESERVE_BYTES];

    private Lifecycle(Cli cli) {
        this.cli = cli;
        this.heapMessage = line(heapMessage());
    }

    private static byte[] line(String s) {
        return (s + "\n").getBytes(StandardCharsets.UTF_8);
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

    /** Whether an {@link OutOfMemoryError} is among {@code e}'s causes. */
    static boolean heapRanOut(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /**
     * The sentence for a host limit found in {@code e}'s causes (the Java heap, or the host memory of
     * the EPC and backing pages), null if none is there: such an error is no internal error.
     */
    static String limitReached(Throwable e) {
        if (heapRanOut(e)) {
            return heapMessage();
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof HostPagePool.HostMemoryExhausted h && h.isSetting()) {
                return "jocclum: " + h.getMessage() + ".";
            }
            if (c instanceof HostPagePool.HostMemoryExhausted h) {
                return "jocclum: " + h.getMessage() + "; free space there or point java.io.tmpdir elsewhere"
                        + " (JOCCLUM_JAVA_OPTS=-Djava.io.tmpdir=DIR).";
            }
        }
        return null;
    }

    /**
     * Installs the signal handlers, the watchdog and the handler of uncaught errors for the whole JVM,
     * and gives {@code cli} the action a guest thread runs when the heap runs out.
     */
    static void install(Cli cli) {
        Lifecycle l = new Lifecycle(cli);
        l.prepare();
        Thread watchdog = new Thread(l::watch, "jocclum-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Thread.setDefaultUncaughtExceptionHandler(l::uncaught);
        cli.heapExhausted = l::heapExhausted;
        l.onSignal("INT", 2);
        l.onSignal("TERM", 15);
    }

    /**
     * Runs the allocation-free path once with nothing to print, so that what it calls is resolved
     * and linked now, while there is heap, and not when the heap is gone.
     */
    private void prepare() {
        write(heapMessage, 0);
        LockSupport.unpark(Thread.currentThread());
        LockSupport.park(); // returns at once: the permit was just given
    }

    private void onSignal(String name, int number) {
        byte[] message = line("jocclum: stopped by SIG" + name + ".");
        try {
            Signal.handle(new Signal(name), s -> stop(message, 128 + number));
        } catch (IllegalArgumentException e) {
            // the JVM keeps this signal for itself (-Xrs): its default action stays
        }
    }

    /** Ends the process with {@code code}: orderly if it can, by the watchdog's halt if that hangs. */
    private void stop(byte[] message, int code) {
        if (!status.compareAndSet(-1, code)) {
            parkForGood(); // already ending
        }
        fired.countDown();
        try {
            cli.out.flush();
            cli.err.flush();
        } catch (Throwable e) {
            // nothing more to save: the sentence and the exit still come
        }
        write(message, message.length);
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
        runtime.halt(status.get());
    }

    /** The JVM's heap ran out on this thread: the sentence, status 1, at once. Never returns, allocates nothing. */
    void heapExhausted() {
        halt(heapMessage);
    }

    private void uncaught(Thread t, Throwable e) {
        if (e instanceof OutOfMemoryError) {
            halt(heapMessage);
        }
        try {
            String limit = limitReached(e);
            String msg = limit != null ? limit : "jocclum: internal error in " + t.getName() + " ("
                    + e.getClass().getSimpleName() + ")" + (cli.verbose ? "." : "; run with -v for details.");
            if (cli.verbose) {
                e.printStackTrace(cli.err);
            }
            halt(line(msg));
        } catch (Throwable again) {
            // no heap left to say more (or printing failed): the heap's sentence, which needs none
            halt(heapMessage);
        }
    }

    /**
     * Prints {@code message} and ends the process with status 1 at once (no shutdown: a thread is
     * broken). Allocates nothing; only the first of any number of threads gets here, the others park.
     */
    private void halt(byte[] message) {
        reserve = null;
        if (!status.compareAndSet(-1, FAILURE)) {
            parkForGood();
        }
        fired.countDown(); // from now on the watchdog halts the JVM even if the rest blocks
        write(message, message.length);
        try {
            cli.out.flush();
        } catch (Throwable e) {
            // the program's last output is lost; the sentence is out
        }
        runtime.halt(FAILURE);
    }

    /** One write(2) of {@code length} bytes of {@code message} to descriptor 2; nothing if it fails. */
    private void write(byte[] message, int length) {
        try {
            stderr.write(message, 0, length);
        } catch (Throwable e) {
            // stderr is gone: the status still tells
        }
    }

    /** Another thread is ending the process (or the watchdog will): wait for it without allocating. */
    private static void parkForGood() {
        for (;;) {
            LockSupport.park();
        }
    }

    private static String mb(long bytes) {
        return bytes == Long.MAX_VALUE ? "unlimited" : (bytes >> 20) + "MB";
    }
}
