package io.jocclum.sgx.selftest;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.driver.SgxIoctl;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.measure.SigStruct;

import java.lang.foreign.MemorySegment;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One W process: {@code test_sgx -t unclobbered_vdso_oversubscribed} (spec 4.0). It builds an
 * enclave through the driver's ioctls - ECREATE; EADD of the ELF segments (two TCS pages first, then
 * SSA, code and data, measured with EEXTEND); a heap of exactly the EPC capacity, unmeasured; EINIT
 * - then enters it twice: the first ECALL puts a magic value into the data buffer and a seeded
 * pattern into a sample of heap pages, the second reads everything back and checks it. Exit status
 * 0 only if every step succeeded and every byte came back.
 *
 * <p>Each step (one ioctl, one ECALL) runs while the W holds the {@link Scheduler}'s baton; the
 * heap is added {@value #QUANTUM_PAGES} pages per ADD_PAGES call so concurrent builds interleave.
 * A W that fails closes its enclave and exits within its turn. A fatal signal ends the W at its next
 * scheduling point (or inside the driver: EINTR, a fault given up).
 */
final class Workload {
    /** Heap pages per ADD_PAGES call (the model's scheduling quantum). */
    static final int QUANTUM_PAGES = 64;
    /**
     * Where W's ELRANGE starts: 256 GiB, or the ELRANGE size when that is larger, since ECREATE
     * requires SECS.BASEADDR to be naturally aligned to SECS.SIZE (test_sgx mmaps twice the size
     * and aligns the same way).
     */
    static final long BASE = 0x40_0000_0000L;
    static final long TCS0 = 0x0;
    static final long TCS1 = 0x1000;
    static final long SSA0 = 0x2000;
    static final long CODE = 0x4000;
    static final long DATA = 0x5000;
    static final long HEAP = 0x6000;
    /** Pages of the ELF segments: 2 TCS, 2 SSA, code, data. */
    static final int ELF_PAGES = 6;
    /** Heap pages the ECALLs write and check at most. */
    static final int SAMPLES = 256;
    private static final long MAGIC = 0x1234_5678_9ABC_DEF0L;

    /** What the process's exit status says. */
    enum Outcome {
        PASS, FAIL, KILLED, ERROR
    }

    /** The enclave every W builds (same for all): its layout, SIGSTRUCT and page figures. */
    record Image(EnclaveImage image, SigStruct sigstruct, long heapPages) {
        static Image of(long capacityBytes, RSAPrivateCrtKey key) {
            long heapPages = Pages.count(capacityBytes);
            long total = HEAP + capacityBytes;
            long size = Long.highestOneBit(total - 1) << 1;
            byte[] code = new byte[Pages.SIZE];
            for (int i = 0; i < code.length; i++) {
                code[i] = (byte) (0xC3 ^ i);
            }
            List<EnclaveImage.Segment> segs = List.of(
                    new EnclaveImage.Segment(TCS0, Pages.SIZE, SecInfo.of(PageType.TCS, 0), Tcs.image(SSA0, 1, CODE, 0, 0), true),
                    new EnclaveImage.Segment(TCS1, Pages.SIZE, SecInfo.of(PageType.TCS, 0), Tcs.image(SSA0 + Pages.SIZE, 1, CODE, 0, 0),
                            true),
                    EnclaveImage.Segment.zero(SSA0, 2 * Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.W), true),
                    new EnclaveImage.Segment(CODE, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.X), code, true),
                    EnclaveImage.Segment.zero(DATA, Pages.SIZE, SecInfo.reg(SecInfo.R | SecInfo.W), true),
                    EnclaveImage.Segment.zero(HEAP, capacityBytes, SecInfo.reg(SecInfo.R | SecInfo.W), false));
            EnclaveImage img = new EnclaveImage(elrangeBase(size), size, 1,
                    new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY), 0, segs);
            return new Image(img, img.sign(key, 0, 0), heapPages);
        }

        /** Enclave pages without the SECS. */
        long pages() {
            return ELF_PAGES + heapPages;
        }

        /** VA pages: one per 512 enclave pages, the SECS counted (spec 3.2). */
        long vaPages() {
            return (pages() + 1 + 511) / 512;
        }

        /** Pages a built W holds that are never on an LRU: its VA pages and its SECS. */
        long unreclaimablePages() {
            return vaPages() + 1;
        }
    }

    /** The base of an ELRANGE of {@code size} bytes (a power of two): {@link #BASE} or {@code size}, aligned to it. */
    static long elrangeBase(long size) {
        return Math.max(BASE, size);
    }

    private long base() {
        return image.image().base();
    }

    private final int index;
    private final SgxPlatform platform;
    private final HostTask task;
    private final Scheduler sched;
    private final Image image;
    private final long seed;
    private final Runnable waker;
    private final List<Runnable> steps = new ArrayList<>();
    private EnclaveFd fd;
    private Thread thread;
    @GuardedBy("scheduler.lock")
    boolean left;
    private volatile Outcome outcome;
    private volatile String detail = "";

    Workload(int index, SgxPlatform platform, HostTask task, Scheduler sched, Image image, long seed) {
        this.index = index;
        this.platform = platform;
        this.task = task;
        this.sched = sched;
        this.image = image;
        this.seed = seed;
        this.waker = sched::wake;
        task.addSignalWaker(waker);
        steps.add(this::create);
        for (EnclaveLoader.Add a : EnclaveLoader.adds(image.image(), QUANTUM_PAGES)) {
            steps.add(() -> add(a));
        }
        steps.add(() -> fd.init(image.sigstruct().toBytes()));
        steps.add(this::firstEcall);
        steps.add(this::secondEcall);
    }

    int index() {
        return index;
    }

    HostTask task() {
        return task;
    }

    EnclaveFd fd() {
        return fd;
    }

    Outcome outcome() {
        return outcome;
    }

    /** Why it did not pass (empty when it passed). */
    String detail() {
        return detail;
    }

    /** Exit status 0. */
    boolean passed() {
        return outcome == Outcome.PASS;
    }

    void start() {
        thread = Thread.ofVirtual().name("W" + index).start(this::run);
    }

    void join() {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        boolean done = false;
        String step = "";
        try {
            for (int i = 0; i < steps.size() && !done; i++) {
                if (!sched.awaitTurn(this)) {
                    finish(Outcome.KILLED, "killed by a signal while waiting to run");
                    break;
                }
                try {
                    step = stepName(i);
                    steps.get(i).run();
                    if (task.killed()) {
                        finish(Outcome.KILLED, "killed by a signal during " + step + progress());
                        done = true;
                    } else if (i == steps.size() - 1) {
                        finish(Outcome.PASS, "");
                        done = true;
                    }
                } catch (ErrnoException e) {
                    finish(task.killed() ? Outcome.KILLED : Outcome.FAIL, step + ": " + e.errno().name() + progress());
                    done = true;
                } catch (EnclaveFault f) {
                    finish(task.killed() ? Outcome.KILLED : Outcome.FAIL, step + ": " + f.kind() + " at 0x"
                            + Long.toHexString(f.address()));
                    done = true;
                } catch (DataMismatch e) {
                    finish(Outcome.FAIL, step + ": " + e.getMessage());
                    done = true;
                } catch (RuntimeException e) {
                    finish(Outcome.ERROR, step + ": internal error " + e);
                    done = true;
                } finally {
                    if (done) {
                        teardown();   // the failed (or finished) W releases its enclave within its turn
                    }
                    sched.endTurn(this);
                }
            }
        } finally {
            if (!done) {
                teardown();           // killed while waiting: dies now, concurrently with the turn holder
            }
            sched.left(this);
        }
    }

    /** ", N pages added" while building. */
    private String progress() {
        return fd == null || fd.enclave().isInitialized() ? "" : " with " + fd.enclave().pageCount() + " pages added";
    }

    private void finish(Outcome o, String why) {
        outcome = o;
        detail = why;
    }

    private String stepName(int i) {
        if (i == 0) {
            return "SGX_IOC_ENCLAVE_CREATE";
        }
        if (i == steps.size() - 3) {
            return "SGX_IOC_ENCLAVE_INIT";
        }
        if (i == steps.size() - 2) {
            return "first ECALL";
        }
        if (i == steps.size() - 1) {
            return "second ECALL";
        }
        return "SGX_IOC_ENCLAVE_ADD_PAGES";
    }

    /** Process exit: the enclave file is closed (its pages freed and uncharged), the task leaves its cgroup. */
    private void teardown() {
        try {
            if (fd != null) {
                fd.close();
            }
        } finally {
            task.removeSignalWaker(waker);
            platform.exit(task);
        }
    }

    private void create() {
        fd = platform.openEnclave(task);
        fd.create(image.image().secs());
    }

    /** One ADD_PAGES step of the load, resuming after partial progress. */
    private void add(EnclaveLoader.Add a) {
        long done = 0;
        while (done < a.length()) {
            SgxIoctl.AddPages r = a.request(done);
            fd.addPages(r);
            done += r.count;
            if (task.killed()) {
                return;   // partial progress because of the signal: the process dies with it
            }
        }
    }

    private long samplePage(int j) {
        long stride = Math.max(1, image.heapPages() / SAMPLES);
        return base() + HEAP + Pages.bytes(j * stride % image.heapPages());
    }

    private int samples() {
        return (int) Math.min(SAMPLES, image.heapPages());
    }

    private void firstEcall() {
        fd.ecall(base() + TCS0, 64);
        EnclaveContext ctx = fd.context();
        ctx.writeLong(base() + DATA, MAGIC ^ index);
        SplittableRandom r = new SplittableRandom(seed);
        for (int j = 0; j < samples(); j++) {
            long v = r.nextLong();
            ctx.writeLong(samplePage(j) + (j % 64) * 8, v);
            ctx.writeLong(samplePage(j) + 4088, ~v);
        }
    }

    private void secondEcall() {
        fd.ecall(base() + TCS1, 64);
        EnclaveContext ctx = fd.context();
        long magic = ctx.readLong(base() + DATA);
        if (magic != (MAGIC ^ index)) {
            throw new DataMismatch("the magic value came back as 0x" + Long.toHexString(magic));
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int j = 0; j < samples(); j++) {
            long v = r.nextLong();
            long a = ctx.readLong(samplePage(j) + (j % 64) * 8);
            long b = ctx.readLong(samplePage(j) + 4088);
            if (a != v || b != ~v) {
                throw new DataMismatch("heap page 0x" + Long.toHexString(samplePage(j)) + " lost its data");
            }
        }
    }

    /** The enclave gave back other bytes than it stored: the test fails (never an internal error). */
    static final class DataMismatch extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DataMismatch(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public String toString() {
        return "W" + index + " (" + task + ")";
    }
}
