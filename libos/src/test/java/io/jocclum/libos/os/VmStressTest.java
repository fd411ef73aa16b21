package io.jocclum.libos.os;

import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several spawned guest processes mapping, filling, checking, moving, protecting and unmapping
 * memory at the same time in the one shared user space, each checking that its own data is never
 * disturbed (and that everything it gets is zero); EDMM and non-EDMM. The invariant checker runs
 * afterwards (OsTestBase), and the platform's EPC in use is back where it started on EDMM.
 * Seed: {@code -Dos.vm.seed=N}.
 */
class VmStressTest extends OsTestBase {
    static final long PAGE = Mman.PAGE_SIZE;
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    private static final int CHILDREN = 5;
    private static final int STEPS = 120;

    /** One live mapping of a worker and the tag its pages hold. */
    record Mapping(long addr, long pages, long tag) {
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void processesAndThreadsMappingTouchingAndUnmappingConcurrentlyKeepTheirOwnData(Matrix m) throws Exception {
        // Occlum's template gives every process a 32MB heap and a 4MB stack out of a fixed 300MB user space; nine
        // processes of those plus the workers' mappings can fragment it into a legitimate ENOMEM. The workers use mmap
        // only, so their heaps are kept small.
        Booted os = boot("stress", m, PLATFORM, b -> b.set("process.default_heap_size", "1MB"));
        stress(os, m, m.toString(), 0x57E55L + m.ordinal());
    }

    /** The same in the EDMM user region only (1MB of reserved memory): commits, trims and EMODPR under concurrency. */
    @Test
    void theSameInTheEdmmUserRegion() throws Exception {
        Booted os = boot("user-region", Matrix.EDMM_ON_SGX2, PLATFORM, b -> b.set("resource_limits.user_space_size", "1MB"));
        long trimmed = os.os.count(io.jocclum.sgx.cost.CostEvent.EREMOVE);
        stress(os, Matrix.EDMM_ON_SGX2, "EDMM user region", 0x57E55L + 99);
        assertThat(os.os.count(io.jocclum.sgx.cost.CostEvent.EREMOVE)).as("large unmaps gave EPC back").isGreaterThan(trimmed);
    }

    private void stress(Booted os, Matrix m, String cell, long defaultSeed) throws Exception {
        long seed = Long.getLong("os.vm.seed", defaultSeed);
        String replay = "seed " + seed + " on " + cell + " (replay with -Dos.vm.seed=" + seed + ")";
        System.out.println("VmStressTest: " + replay);
        os.program("child", (sys, argv, envp) -> {
            long s = Long.parseLong(argv[1]);
            if (argv.length > 3) {
                // a second thread of the process works on its own mappings at the same time
                int tid = sys.threadCreate(t -> worker(t, s ^ 0x7EADL, argv[2]));
                int mine = worker(sys, s, argv[2]);
                return mine + (int) sys.threadJoin(tid);
            }
            return worker(sys, s, argv[2]);
        });
        long before = os.os.enclave().enclave().pageCount();
        Booted.Result r = os.run((sys, argv, envp) -> {
            List<Integer> pids = new ArrayList<>();
            // five single-threaded workers, then (the TCS limit is 8) three with two threads each
            for (int i = 0; i < CHILDREN; i++) {
                pids.add(sys.posixSpawn("/bin/child", List.of(), new String[]{"worker", Long.toString(seed * 31 + i), replay}, null));
            }
            int bad = await(sys, pids);
            pids.clear();
            for (int i = 0; i < 3; i++) {
                pids.add(sys.posixSpawn("/bin/child", List.of(), new String[]{"worker", Long.toString(seed * 37 + i), replay,
                        "threads"}, null));
            }
            return bad + await(sys, pids);
        });
        assertThat(r.status()).as("%s; out: %s; stderr: %s", replay, r.out(), r.err()).isZero();
        assertThat(r.out()).as(replay).contains("worker done").doesNotContain("ended with status");
        assertThat(r.out().lines().filter(l -> l.equals("worker done")).count()).as("workers and threads that finished")
                .isEqualTo(CHILDREN + 6);
        if (m.edmmBuild) {
            // large mappings were given back; only retained arena chunks' pages and small freed pages may stay
            assertThat(os.os.enclave().enclave().pageCount() - before).as("EPC pages kept after the stress, " + replay)
                    .isLessThan(4 * 8192);
        }
    }

    private static int await(Syscalls sys, List<Integer> pids) {
        int bad = 0;
        for (int pid : pids) {
            Wait.Result w = sys.wait4(pid, 0);
            if (w.status() != Wait.exited(0)) {
                Libc.puts(sys, "worker " + pid + " ended with status " + w.status());
                bad++;
            }
        }
        return bad;
    }

    private static int worker(Syscalls sys, long seed, String replay) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Mapping> live = new ArrayList<>();
        long tagBase = (long) sys.gettid() << 40;
        for (int step = 0; step < STEPS; step++) {
            int op = rnd.nextInt(10);
            String where = replay + " pid " + sys.getpid() + " tid " + sys.gettid() + " step " + step;
            long livePages = live.stream().mapToLong(Mapping::pages).sum();
            if (livePages > 1024 && op < 4) {
                op = 4; // stay within a few MB per process: the user space (300MB) is shared by every process
            }
            if (op < 4 || live.isEmpty()) {
                long pages = rnd.nextInt(8) == 0 ? 256 + rnd.nextInt(768) : 1 + rnd.nextInt(32);
                long a = sys.mmap(0, pages * PAGE, RW, ANON, -1, 0);
                long tag = tagBase | ((long) step << 20);
                for (long i = 0; i < pages; i += 1 + rnd.nextInt(4)) {
                    check(sys, a + i * PAGE, 0, 0, where + " fresh page");
                    sys.storeLong(a + i * PAGE, tag + i);
                    sys.storeLong(a + i * PAGE + PAGE - 8, ~(tag + i));
                }
                // pages not stored to read as zero; give them their tag now in one bulk write
                byte[] page = new byte[(int) PAGE];
                for (long i = 0; i < pages; i++) {
                    if (sys.loadLong(a + i * PAGE) == 0) {
                        check(sys, a + i * PAGE, 0, 0, where + " fresh page");
                        java.nio.ByteBuffer.wrap(page).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, tag + i)
                                .putLong((int) PAGE - 8, ~(tag + i));
                        sys.storeBytes(a + i * PAGE, page, 0, page.length);
                    }
                }
                live.add(new Mapping(a, pages, tag));
            } else if (op < 6) {
                Mapping mp = live.remove(rnd.nextInt(live.size()));
                verify(sys, mp, where + " before munmap");
                sys.munmap(mp.addr(), mp.pages() * PAGE);
            } else if (op < 8) {
                int k = rnd.nextInt(live.size());
                Mapping mp = live.get(k);
                verify(sys, mp, where + " before mremap");
                long newPages = mp.pages() + 1 + rnd.nextInt(64);
                long b = sys.mremap(mp.addr(), mp.pages() * PAGE, newPages * PAGE, Mman.MREMAP_MAYMOVE, 0);
                Mapping moved = new Mapping(b, mp.pages(), mp.tag());
                verify(sys, moved, where + " after mremap");
                for (long i = mp.pages(); i < newPages; i++) {
                    check(sys, b + i * PAGE, 0, 0, where + " grown part");
                }
                sys.munmap(b + mp.pages() * PAGE, (newPages - mp.pages()) * PAGE);
                live.set(k, moved);
            } else if (op < 9) {
                Mapping mp = live.get(rnd.nextInt(live.size()));
                sys.mprotect(mp.addr(), mp.pages() * PAGE, Mman.PROT_READ);
                verify(sys, mp, where + " read-only");
                sys.mprotect(mp.addr(), mp.pages() * PAGE, RW);
            } else {
                for (Mapping mp : live) {
                    verify(sys, mp, where + " full check");
                }
                sys.schedYield();
            }
        }
        for (Mapping mp : live) {
            verify(sys, mp, replay + " at the end");
            sys.munmap(mp.addr(), mp.pages() * PAGE);
        }
        Libc.puts(sys, "worker done");
        return 0;
    }

    private static void verify(Syscalls sys, Mapping mp, String where) {
        for (long i = 0; i < mp.pages(); i++) {
            check(sys, mp.addr() + i * PAGE, mp.tag() + i, ~(mp.tag() + i), where + " (0x" + Long.toHexString(mp.addr()) + ")");
        }
    }

    private static void check(Syscalls sys, long page, long first, long last, String where) {
        long a = sys.loadLong(page);
        long b = sys.loadLong(page + PAGE - 8);
        if (a != first || b != last) {
            throw new AssertionError(where + ": page 0x" + Long.toHexString(page) + " holds " + Long.toHexString(a) + "/"
                    + Long.toHexString(b) + ", expected " + Long.toHexString(first) + "/" + Long.toHexString(last));
        }
    }
}
