package io.jocclum.libos.vm;

import io.jocclum.api.ErrnoException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several processes, each with several guest threads (virtual threads), map, fill, verify,
 * protect, move and unmap memory at the same time in the one shared user space. Every thread
 * owns its mappings and checks after each step that they still hold exactly what it wrote, so
 * any cross-process or cross-thread corruption (a page given to two owners, a write landing in
 * freed memory, a lost commit) shows as a wrong byte. Seeded per thread; the seed is printed.
 * Run by {@link ConcurrentStressTest} and {@link OversubscribedStressTest}.
 */
abstract class ConcurrentStressWorkload extends VmTestBase {
    private static final int PROCESSES = 6;
    private static final int THREADS_PER_PROCESS = 3;
    /** Steps per guest thread. */
    int steps() {
        return 400;
    }
    private static final int RW = PROT_READ | PROT_WRITE;

    record UserMemoryKind(long addr, long len, byte fill) {
    }

    @Test
    void processesAndThreadsMapAndTouchMemoryConcurrently() throws InterruptedException {
        long seed = Long.getLong("vm.seed", 0xC0FFEEL);
        List<ProcessVm> procs = new ArrayList<>();
        for (int p = 0; p < PROCESSES; p++) {
            procs.add(space.createProcess(10 + p, new ProcessVmSpec(MB, 64 * 1024, List.of())));
        }
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < PROCESSES; p++) {
            ProcessVm vmP = procs.get(p);
            for (int t = 0; t < THREADS_PER_PROCESS; t++) {
                long threadSeed = seed + p * 100 + t;
                threads.add(Thread.ofVirtual().name("pid" + vmP.pid() + "-t" + t).start(() -> {
                    try {
                        start.await();
                        work(vmP, threadSeed);
                    } catch (Throwable e) {
                        failures.add(new AssertionError("thread seed " + threadSeed + " (replay with -Dvm.seed=" + seed + "): " + e, e));
                    }
                }));
            }
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        checkAll();
        // half the processes exit while the others' memory must stay intact
        for (int p = 0; p < PROCESSES; p += 2) {
            procs.get(p).exit();
        }
        checkAll();
    }

    private void work(ProcessVm vm, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        GuestMemory mem = vm.memory(AccessMode.USER);
        List<UserMemoryKind> mine = new ArrayList<>();
        for (int step = 0, steps = steps(); step < steps; step++) {
            int r = rnd.nextInt(100);
            if (r < 35 || mine.isEmpty()) {
                long len = (rnd.nextInt(10) == 0 ? 256 + rnd.nextInt(768) : 1 + rnd.nextInt(16)) * PAGE;
                long a;
                try {
                    a = vm.mmap(0, len, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
                } catch (ErrnoException e) {
                    continue; // the space may be full for a moment
                }
                byte fill = (byte) (1 + rnd.nextInt(250));
                assertZero(mem, a, len);
                mem.fill(a, len, fill);
                mine.add(new UserMemoryKind(a, len, fill));
            } else if (r < 60) {
                UserMemoryKind g = mine.remove(rnd.nextInt(mine.size()));
                verify(mem, g);
                vm.munmap(g.addr, g.len);
            } else if (r < 70) {
                int i = rnd.nextInt(mine.size());
                UserMemoryKind g = mine.get(i);
                long newLen = g.len + (1 + rnd.nextInt(8)) * PAGE;
                long b;
                try {
                    b = vm.mremap(g.addr, g.len, newLen, MREMAP_MAYMOVE, 0);
                } catch (ErrnoException e) {
                    continue;
                }
                verify(mem, new UserMemoryKind(b, g.len, g.fill));
                assertZero(mem, b + g.len, newLen - g.len);
                mem.fill(b + g.len, newLen - g.len, g.fill);
                mine.set(i, new UserMemoryKind(b, newLen, g.fill));
            } else if (r < 78) {
                UserMemoryKind g = mine.get(rnd.nextInt(mine.size()));
                vm.mprotect(g.addr, g.len, PROT_READ);
                verify(mem, g);
                vm.mprotect(g.addr, g.len, RW);
            } else {
                verify(mem, mine.get(rnd.nextInt(mine.size())));
            }
        }
        for (UserMemoryKind g : mine) {
            verify(mem, g);
        }
    }

    private static void verify(GuestMemory mem, UserMemoryKind g) {
        byte[] b = new byte[(int) g.len];
        mem.read(g.addr, b, 0, b.length);
        for (int i = 0; i < b.length; i++) {
            if (b[i] != g.fill) {
                throw new AssertionError("pid " + mem.pid() + " region 0x" + Long.toHexString(g.addr) + " byte " + i + " is " + b[i] + ", wrote " + g.fill);
            }
        }
    }

    private static void assertZero(GuestMemory mem, long a, long len) {
        byte[] b = new byte[(int) len];
        mem.read(a, b, 0, b.length);
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0) {
                throw new AssertionError("pid " + mem.pid() + ": fresh memory at 0x" + Long.toHexString(a + i) + " is " + b[i]);
            }
        }
    }
}
