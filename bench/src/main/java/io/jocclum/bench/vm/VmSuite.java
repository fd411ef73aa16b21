package io.jocclum.bench.vm;

import io.jocclum.bench.harness.BenchContext;
import io.jocclum.bench.harness.BenchSuite;
import io.jocclum.bench.harness.Comparison;
import io.jocclum.bench.harness.Figure;
import io.jocclum.sgx.arch.Pages;

import java.util.List;
import java.util.Map;

/**
 * User-space VM benchmarks of the VM's own objects ({@code ProcessVm}, {@code GuestMemory}) called
 * directly, hence {@code -internal}; what a guest program gets is measured in {@code os-*} and
 * {@code vm-guest-seq-write-sgx}. Names with {@code fake} run on the fake enclave of
 * {@code io.jocclum.libos.vm.testing} (its EPCM checks are real, its leaves cost nothing beyond
 * their Java work: the VM's own overhead); names ending in {@code -sgx} run on the simulated SGX
 * platform (driver fault path, EPC allocator, EPCM frames, cost model), through
 * {@code PlatformEnclave}. The mmap+munmap pairs never reach the platform and run on the fake.
 */
public final class VmSuite implements BenchSuite {
    private static final String NOTE = "platform: the VM's fake enclave (no simulated leaf costs)";
    private static final String SGX_NOTE = "platform: the simulated SGX platform (sgx module), 256 MB EPC";

    @Override
    public List<Comparison> comparisons() {
        return List.of(guestWriteSyscall(), mmapMunmap(), mmapMunmapManyVmas(), mmapMunmapManyVmasRandom(), guestWrite("fake"), guestWrite("sgx"), firstTouch("fake"),
                firstTouch("sgx"), firstTouchSimulated());
    }

    private static Comparison guestWriteSyscall() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-guest-seq-write-sgx";
            }

            @Override
            public String description() {
                return "sequential 64 KiB writes by a guest program (storeBytes) over a populated 64 MiB mapping of a booted LibOS"
                        + " on the simulated SGX platform vs a raw MemorySegment copy of the same chunks into 64 MiB of host memory of the"
                        + " kind the simulated EPC pages live in (a mapped temporary file) (goal: >= 0.8 of raw copy)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(GuestWriteBench.class, "guestWrite").include(VmBench.class, "rawCopyHostPages")
                        .run();
                double bytes = VmBench.WriteState.SIZE;
                Result res = Result.of(r.get("guestWrite").scale(bytes / 1e9, "GB/s"), r.get("rawCopyHostPages").scale(bytes / 1e9, "GB/s"));
                return res.withNote("ours: a booted EDMM instance of Occlum's template on the default simulated SGX platform, the"
                        + " writes made on the guest's own thread").withNote("goal (>= 0.8 of raw copy): "
                        + (res.speedup() >= 0.8 ? "met" : "NOT met") + " by the median of the per-round ratios");
            }
        };
    }

    private static Comparison mmapMunmap() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-mmap-munmap-internal";
            }

            @Override
            public String description() {
                return "anonymous mmap+munmap pairs of 4-64 KB through ProcessVm (100 live VMAs) vs native Linux mmap+munmap"
                        + " with 100 extra live VMAs";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "mmapMunmap").param("liveVmas", "100")
                        .nativeAnchor("vm_mmap_munmap", "100").run();
                return Result.of(r.get("mmapMunmap[liveVmas=100]"), r.get("vm-mmap-munmap")).withNote(NOTE);
            }
        };
    }

    private static Comparison mmapMunmapManyVmas() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-mmap-munmap-100k-vmas-internal";
            }

            @Override
            public String description() {
                return "the same mmap+munmap pairs with 100,000 live VMAs (ours) vs with 100 (anchor) (goal: at most 2x slower, speedup >= 0.5)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "mmapMunmap").param("liveVmas", "100", "100000").run();
                return Result.of(r.get("mmapMunmap[liveVmas=100000]"), r.get("mmapMunmap[liveVmas=100]")).withNote(NOTE);
            }
        };
    }

    private static Comparison mmapMunmapManyVmasRandom() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-mmap-munmap-100k-vmas-random-internal";
            }

            @Override
            public String description() {
                return "mmap(MAP_FIXED)+munmap of one page into a hole between two live VMAs chosen at random, through ProcessVm,"
                        + " with 100,000 live VMAs (ours) vs with 100 (anchor)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "mmapMunmapRandom").param("liveVmas", "100", "100000").run();
                return Result.of(r.get("mmapMunmapRandom[liveVmas=100000]"), r.get("mmapMunmapRandom[liveVmas=100]")).withNote(NOTE);
            }
        };
    }

    private static Comparison guestWrite(String platform) {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-guest-seq-write-" + platform + "-internal";
            }

            @Override
            public String description() {
                return "sequential 64 KB writes over a committed 64 MB mapping through GuestMemory on the " + platform
                        + " platform vs a raw MemorySegment copy of the same chunks into 64 MB of " + (platform.equals("sgx")
                        ? "host memory of the kind the simulated EPC pages live in (a mapped temporary file)" : "the heap");
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                String anchor = platform.equals("sgx") ? "rawCopyHostPages" : "rawCopy";
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "guestSequentialWrite").include(VmBench.class, anchor)
                        .param("platform", platform).run();
                double bytes = VmBench.WriteState.SIZE;
                Figure ours = r.get("guestSequentialWrite[platform=" + platform + "]").scale(bytes / 1e9, "GB/s");
                Figure raw = r.get(anchor).scale(bytes / 1e9, "GB/s");
                return Result.of(ours, raw).withNote(platform.equals("sgx") ? SGX_NOTE : NOTE);
            }
        };
    }

    private static Comparison firstTouch(String platform) {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-edmm-first-touch-" + platform + "-internal";
            }

            @Override
            public String description() {
                return "EDMM first touch per page on the " + platform + " platform: one-byte stores over a fresh 4 MB user-region"
                        + " mapping (fault, EAUG, EACCEPT, commit window), net of map+unmap (wall time)";
            }

            @Override
            public Result run(BenchContext ctx) throws Exception {
                Map<String, Figure> r = ctx.jmh().include(VmBench.class, "edmmFirstTouch").include(VmBench.class, "edmmMapUnmapUntouched")
                        .param("platform", platform).run();
                double pages = VmBench.TouchState.SIZE / Pages.SIZE;
                Figure t = r.get("edmmFirstTouch[platform=" + platform + "]");
                Figure u = r.get("edmmMapUnmapUntouched[platform=" + platform + "]");
                double touched = t.value();
                double untouched = u.value();
                double[] tr = t.rounds();
                double[] ur = u.rounds();
                double[] per = new double[tr.length];
                for (int i = 0; i < per.length; i++) {
                    per[i] = (tr[i] - ur[i]) * 1000 / pages; // the two ran next to each other in round i
                }
                Figure perPage = Figure.ofRounds(per, "ns/page", false);
                return new Result(perPage, null, List.of(platform.equals("sgx") ? SGX_NOTE : NOTE,
                        "mmap+touch+munmap of 4 MB: " + io.jocclum.bench.harness.BenchFormat.number(touched) + " us; mmap+munmap untouched: "
                                + io.jocclum.bench.harness.BenchFormat.number(untouched) + " us (the difference includes giving the EPC back)"));
            }
        };
    }

    /** The simulated cost of the same first touch, from the platform's cost model (deterministic, no JMH). */
    private static Comparison firstTouchSimulated() {
        return new Comparison() {
            @Override
            public String name() {
                return "vm-edmm-first-touch-sgx-cycles";
            }

            @Override
            public String description() {
                return "simulated CPU cycles per page of the EDMM first touch on the simulated SGX platform (cost model:"
                        + " EAUG, #PF, AEX/ERESUME, EACCEPT per page; an exception per commit window), and of giving the pages back";
            }

            @Override
            public Result run(BenchContext ctx) {
                VmBench.TouchState s = new VmBench.TouchState();
                s.platform = "sgx";
                s.setup();
                try {
                    s.touchOnce(); // the first round also grows the enclave's VA pages; measure the steady state
                    long[] c = s.touchOnce();
                    double pages = VmBench.TouchState.SIZE / Pages.SIZE;
                    double hz = s.enclave.sgx.platform().config().costs().cpuHz();
                    double commit = c[0] / pages;
                    double giveBack = c[1] / pages;
                    return new Result(Figure.time(commit, "cycles/page"), null, List.of(SGX_NOTE,
                            String.format("commit %.0f cycles/page = %.2f us/page at %.1f GHz; giving back (EMODT, ETRACK, EACCEPT, "
                                    + "EMODPR probe, EREMOVE) %.0f cycles/page", commit, commit / hz * 1e6, hz / 1e9, giveBack)));
                } finally {
                    s.tearDown();
                }
            }
        };
    }
}
