package io.jocclum.bench.epccg;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cgroup.Cgroup;
import io.jocclum.sgx.cgroup.CgroupFs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.epc.EpcController;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.epccg.SgxCgroup;
import io.jocclum.sgx.epccg.SgxEpcCgroup;
import io.jocclum.sgx.measure.SigningKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Per-cgroup reclaim of a 1,000-page cgroup while 1,000,000 pages sit in 8 other cgroups. One op is
 * one reclaim batch for the cgroup: SGX_NR_TO_SCAN (16) of its pages isolated, aged, given backing,
 * EBLOCKed, EWBed and freed. Before each op (not measured) the cgroup's evicted pages are faulted
 * back in, which puts them at the tail of their LRU. Both sides run warm-up batches in the trial
 * set-up (JMH's quick mode warms for only 300 ms).
 *
 * <p>Ours: v17 - the cgroup's own LRU, reached through the fair iterator
 * ({@link SgxEpcCgroup#reclaimPages}). Anchor: the same pages on one global LRU scanned from the
 * head for the cgroup's pages ({@link GlobalLruEpcCgroup}). All 1,001,000 pages are real enclave
 * pages on real LRUs (EADDed zero pages: each has its EPC frame object, no host page).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EpcCgroupReclaimBench {
    /** Pages in the other cgroups. */
    static final int OTHER_PAGES = 1_000_000;
    static final int OTHER_CGROUPS = 8;
    /** Pages charged to the reclaimed cgroup: SECS + VA + TCS + code + heap. */
    static final int TARGET_PAGES = 1_000;
    static final long BASE = 0x10_0000_0000L;
    static final long HEAP = BASE + 0x2000;
    /**
     * Batches run in the trial set-up so that both sides are JIT-compiled before JMH measures (the
     * anchor's scan loop compiles after a few batches, ours has more code to warm).
     */
    private static final int WARM_OPS_OURS = 5_000;
    private static final int WARM_OPS_ANCHOR = 30;

    /** A platform holding the pages, with either controller. */
    abstract static class World {
        SgxPlatform platform;
        Cgroup target;
        EnclaveFd targetFd;
        EnclaveContext ctx;
        HostTask targetTask;
        final List<EnclaveFd> others = new ArrayList<>();

        void build(EpcController.Factory controller) {
            platform = SgxPlatform.start(PlatformConfig.builder().epcSize(4L << 30).ksgxd(Ksgxd.Mode.MANUAL)
                    .watermarks(0, 0).build(), controller);
            CgroupFs fs = platform.cgroups().fs();
            fs.write("/", "cgroup.subtree_control", "+misc +memory");
            RSAPrivateCrtKey key = SigningKey.generate(new SecureRandom());
            for (int i = 0; i < OTHER_CGROUPS; i++) {
                fs.mkdir("/other" + i);
                HostTask t = platform.newTask("other" + i);
                fs.write(t, "/other" + i, "cgroup.procs", "0");
                others.add(load(t, OTHER_PAGES / OTHER_CGROUPS - 4, key));
            }
            fs.mkdir("/target");
            targetTask = platform.newTask("target");
            fs.write(targetTask, "/target", "cgroup.procs", "0");
            targetFd = load(targetTask, TARGET_PAGES - 4, key);
            target = fs.cgroup("/target");
            ctx = targetFd.context();
        }

        /** An enclave of SECS + VA pages + TCS + code + {@code heap} zero pages. */
        private EnclaveFd load(HostTask t, int heap, RSAPrivateCrtKey key) {
            long size = Long.highestOneBit((heap + 2L) * Pages.SIZE - 1) << 1;
            EnclaveImage img = new EnclaveImage(BASE, size, 1,
                    new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY), 0, List.of(
                    new EnclaveImage.Segment(0, Pages.SIZE, SecInfo.of(PageType.TCS, 0), Tcs.image(0x1000, 1, 0x1000, 0, 0), true),
                    new EnclaveImage.Segment(0x1000, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.X), new byte[Pages.SIZE], true),
                    EnclaveImage.Segment.zero(0x2000, Pages.bytes(heap), SecInfo.reg(SecInfo.R | SecInfo.W), false)));
            return EnclaveLoader.load(platform, t, img, img.sign(key, 0, 0));
        }

        /** Faults the target's evicted heap pages back in (they go to the tail of their LRU). */
        void restore() {
            for (int i = 0; i < TARGET_PAGES - 4; i++) {
                long addr = HEAP + Pages.bytes(i);
                if (targetFd.enclave().epcmAt(addr) == null) {
                    ctx.readByte(addr);
                }
            }
        }

        void close() {
            targetFd.close();
            others.forEach(EnclaveFd::close);
            platform.close();
        }
    }

    /** v17: per-cgroup LRUs. */
    @State(Scope.Thread)
    public static class Ours extends World {
        SgxEpcCgroup ctl;
        SgxCgroup group;

        @Setup(Level.Trial)
        public void setup() {
            build(SgxEpcCgroup.factory(false));
            ctl = (SgxEpcCgroup) platform.controller();
            group = ctl.group(target);
            if (group.lru().size() != TARGET_PAGES - 2) {
                throw new IllegalStateException("target LRU holds " + group.lru().size() + " pages");
            }
            for (int i = 0; i < WARM_OPS_OURS; i++) {   // reach the JIT's steady state before JMH's short warm-up
                restore();
                ctl.reclaimPages(group, null, 16);
            }
        }

        @Setup(Level.Invocation)
        public void refill() {
            restore();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    /** The rejected design: one global LRU. */
    @State(Scope.Thread)
    public static class Anchor extends World {
        GlobalLruEpcCgroup ctl;

        @Setup(Level.Trial)
        public void setup() {
            build(GlobalLruEpcCgroup::new);
            ctl = (GlobalLruEpcCgroup) platform.controller();
            if (ctl.globalLru().size() < OTHER_PAGES + TARGET_PAGES - 2 - 2 * (OTHER_CGROUPS + 1)) {
                throw new IllegalStateException("global LRU holds " + ctl.globalLru().size() + " pages");
            }
            for (int i = 0; i < WARM_OPS_ANCHOR; i++) {
                restore();
                ctl.reclaimCgroup(target, null);
            }
        }

        @Setup(Level.Invocation)
        public void refill() {
            restore();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @Benchmark
    public int ours(Ours s) {
        return s.ctl.reclaimPages(s.group, null, 16);
    }

    @Benchmark
    public int anchor(Anchor s) {
        return s.ctl.reclaimCgroup(s.target, null);
    }
}
