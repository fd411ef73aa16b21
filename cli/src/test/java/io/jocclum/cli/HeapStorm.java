package io.jocclum.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The main class of a child JVM in {@link RunLifecycleTest}: installs {@link Lifecycle} as
 * {@code Main.main} does, then exhausts the heap from many threads at once, released together:
 * platform threads named as the platform's own (ksgxd among them) whose error reaches the top,
 * virtual threads that, like guest threads, catch it and run the LibOS's action, and the main
 * thread. Whichever meets the exhausted heap first, the process must end with status 1 and the one
 * sentence.
 */
final class HeapStorm {
    private HeapStorm() {
    }

    public static void main(String[] args) {
        Cli cli = Cli.system();
        Lifecycle.install(cli);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (String name : List.of("ksgxd", "jocclum-host-poller", "exec-connection")) {
            threads.add(Thread.ofPlatform().name(name).unstarted(() -> exhaust(go)));
        }
        for (int i = 0; i < 4; i++) {
            threads.add(Thread.ofVirtual().name("guest-1-" + i).unstarted(() -> {
                try {
                    exhaust(go);
                } catch (OutOfMemoryError e) {
                    cli.heapExhausted.run(); // what Threads.run does on a guest thread
                }
            }));
        }
        threads.forEach(Thread::start);
        go.countDown();
        exhaust(go);
    }

    /** Allocates until the heap is gone; never returns. */
    private static void exhaust(CountDownLatch go) {
        try {
            go.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        List<long[]> held = new ArrayList<>();
        for (;;) {
            held.add(new long[512]);
        }
    }
}
