package io.jocclum.bench.os;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.layout.BuiltEnclave;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peak heap of a boot, run in its own JVM with {@link #JVM_ARGS}: a serial collector with a
 * small young generation collects every few megabytes of allocation, and after every collection
 * the live heap is recorded (GC notifications). The peak is the largest heap left after any
 * collection during the boot (the booted LibOS still referenced, collected once more at the end),
 * less the heap before the boot; the true peak lies at most one young generation above it.
 * Prints {@code peak-heap-mb P retained-mb R young-mb Y} for each of three boots after a warm-up boot.
 */
public final class BootHeapProbe {
    /** The collector settings of the probe's JVM. */
    static final String[] JVM_ARGS = {"-XX:+UseSerialGC", "-Xmn4m", "-Xmx2g"};

    private static final AtomicLong MAX_AFTER_GC = new AtomicLong();
    private static final AtomicLong SEEN = new AtomicLong();

    private BootHeapProbe() {
    }

    public static void main(String[] args) throws Exception {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener((n, h) -> {
                if (n.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                    long used = info.getGcInfo().getMemoryUsageAfterGc().values().stream().mapToLong(MemoryUsage::getUsed).sum();
                    MAX_AFTER_GC.accumulateAndGet(used, Math::max);
                    SEEN.incrementAndGet();
                }
            }, null, null);
        }
        Path dir = Files.createTempDirectory("jocclum-bench-boot-heap-");
        try {
            BuiltEnclave built = BootBench.build(dir);
            LibOs.boot(built, BootOptions.defaults()).close(); // loads and initialises the classes a boot needs
            long young = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getName().contains("Eden") || p.getName().contains("Survivor"))
                    .mapToLong(p -> Math.max(0, p.getUsage().getMax())).sum();
            for (int i = 0; i < 3; i++) {
                long before = settle();
                MAX_AFTER_GC.set(0);
                LibOs os = LibOs.boot(built, BootOptions.defaults());
                long retained = settle() - before;
                long peak = MAX_AFTER_GC.get() - before;
                os.close();
                System.out.printf(Locale.ROOT, "peak-heap-mb %.2f retained-mb %.2f young-mb %.2f%n", peak / 1e6, retained / 1e6, young / 1e6);
            }
        } finally {
            BootBench.delete(dir);
        }
    }

    /** Collects and waits until the notification of that collection was seen; returns the heap used after it. */
    private static long settle() {
        long collections = collections();
        System.gc();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (SEEN.get() < collections + 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long collections() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(GarbageCollectorMXBean::getCollectionCount).sum();
    }
}
