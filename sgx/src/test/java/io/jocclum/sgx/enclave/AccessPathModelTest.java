package io.jocclum.sgx.enclave;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.cpu.EpcFrame;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The enclave access path (page-table frame numbers, the frames' state in primitive arrays, one
 * copy per stretch of adjacent host pages) against a plain model kept page by page: random reads,
 * writes, fills and single values over a region whose pages are evicted and loaded again (a small
 * EPC), made read-only, trimmed away and committed again (EDMM). Each access must give the model's
 * bytes, fault where the model says (the first page that denies it: a read-only page for a store, a
 * page not yet accepted for any access) after doing the pages before it, charge one AEX per EPCM
 * fault on top of those of the driver's page faults, and (when no page fault could have run the
 * reclaimer meanwhile) leave the accessed bit set on the frames it used. Seeded; the seed is printed
 * and in every message ({@code -Djocclum.test.seed=N -Djocclum.test.ops=N} to rerun one). Every
 * other 50 steps the test holds every run slot of the EPC, so that multi-page accesses take the
 * path that pins frame by frame instead of publishing their runs.
 */
@ExtendWith(SgxInvariantsExtension.class)
class AccessPathModelTest {
    private static final long SIZE = 1 << 22;
    private static final long REGION = BASE + 0x100000;
    private static final int PAGES = 48;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);

    /** A page of the model: accessible read-write, read-only, or not accepted (absent or PENDING). */
    private enum State { RW, RO, UNACCEPTED }

    private final byte[] mem = new byte[PAGES * Pages.SIZE];
    private final State[] state = new State[PAGES];
    /** Run slots taken by the test ({@link #hogRunSlots}). */
    private final List<Integer> hogged = new ArrayList<>();
    private EnclaveFd fd;
    /** Driver page faults taken by the last access. */
    private long faults;

    @Test
    void randomAccessesAgreeWithThePerPageModel() {
        long seed = Long.getLong("jocclum.test.seed", System.nanoTime());
        System.out.println("AccessPathModelTest seed=" + seed + " (rerun with -Djocclum.test.seed=" + seed + ")");
        run(seed, Integer.getInteger("jocclum.test.ops", 600));
    }

    @Test
    void aFixedSeedAgreesToo() {
        run(42, 600);
    }

    private void run(long seed, int steps) {
        Random rnd = new Random(seed);
        // 48 region pages with the image, SECS and VA pages do not fit in 40 frames: accesses evict and reload
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(40).build());
        fd = SgxTestSupport.load(p, p.newTask("model"), SgxTestSupport.image(SIZE, 8));
        EnclaveContext ctx = fd.context();
        Enclave encl = fd.enclave();
        for (int i = 0; i < PAGES; i++) {
            assertThat(ctx.eaccept(page(i), PENDING_RW)).isZero();
            state[i] = State.RW;
        }
        Arrays.fill(mem, (byte) 0);
        for (int step = 0; step < steps; step++) {
            if (step % 100 == 50) {
                hogRunSlots(p.epc()); // the next 50 steps pin frame by frame, as when every slot is taken
            } else if (step % 100 == 0) {
                releaseRunSlots(p.epc());
            }
            String what = "seed " + seed + " step " + step + (hogged.isEmpty() ? "" : " (frame by frame)");
            int op = rnd.nextInt(20);
            if (op < 5) {
                write(ctx, encl, rnd, what);
            } else if (op < 9) {
                read(ctx, encl, rnd, what);
            } else if (op < 11) {
                fill(ctx, encl, rnd, what);
            } else if (op < 14) {
                single(ctx, rnd, what);
            } else if (op == 14) {
                p.controller().reclaimGlobal(null);
            } else if (op == 15) {
                int i = rnd.nextInt(PAGES);
                if (state[i] == State.RW) {
                    ctx.restrictPermissions(page(i), Pages.SIZE, SecInfo.R);
                    assertThat(ctx.eaccept(page(i), SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR))).as(what).isZero();
                    state[i] = State.RO;
                } else if (state[i] == State.RO) {
                    ctx.emodpe(page(i), new SecInfo(SecInfo.R | SecInfo.W));
                    state[i] = State.RW;
                }
            } else if (op == 16) {
                int i = rnd.nextInt(PAGES);
                if (state[i] != State.UNACCEPTED && encl.hasPage(page(i))) {
                    ctx.modifyTypes(page(i), Pages.SIZE, PageType.TRIM);
                    assertThat(ctx.eaccept(page(i), SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED))).as(what).isZero();
                    ctx.removePages(page(i), Pages.SIZE);
                    state[i] = State.UNACCEPTED;
                    Arrays.fill(mem, i * Pages.SIZE, (i + 1) * Pages.SIZE, (byte) 0);
                }
            } else if (op == 17) {
                for (int i = 0; i < PAGES; i++) {
                    if (state[i] == State.UNACCEPTED) {
                        assertThat(ctx.eaccept(page(i), PENDING_RW)).as(what).isZero();
                        state[i] = State.RW;
                    }
                }
            } else {
                readAll(ctx, what);
            }
            if (step % 50 == 0) {
                assertThat(p.checkInvariants()).as(what).isEmpty();
            }
        }
        releaseRunSlots(p.epc());
        readAll(ctx, "seed " + seed + " at the end");
        assertThat(p.checkInvariants()).isEmpty();
        assertThat(fd.stats().count(CostEvent.EWB)).as("seed %d: pages were evicted", seed).isPositive();
        assertThat(fd.stats().count(CostEvent.ELDU)).as("seed %d: and loaded again", seed).isPositive();
    }

    /** Takes every run slot of the EPC: multi-page accesses then pin their frames one by one. */
    private void hogRunSlots(Epc epc) {
        for (int s = epc.claimRuns(); s >= 0; s = epc.claimRuns()) {
            hogged.add(s);
        }
        assertThat(hogged).as("run slots").isNotEmpty();
    }

    private void releaseRunSlots(Epc epc) {
        hogged.forEach(epc::releaseRuns);
        hogged.clear();
    }

    private static long page(int i) {
        return REGION + (long) i * Pages.SIZE;
    }

    /** Where an access of {@code len} bytes at offset {@code off} of the region must fault, or -1. */
    private long expectedFault(long off, long len, boolean write) {
        for (long pg = off / Pages.SIZE; pg * Pages.SIZE < off + len; pg++) {
            State s = state[(int) pg];
            if (s == State.UNACCEPTED || (write && s == State.RO)) {
                return Math.max(off, pg * Pages.SIZE);
            }
        }
        return -1;
    }

    /** Runs {@code access}, checking the fault the model expects (and its one AEX); returns the bytes done. */
    private long access(EnclaveContext ctx, long off, long len, boolean write, String what, Runnable access) {
        long expect = expectedFault(off, len, write);
        long aex = fd.stats().count(CostEvent.AEX);
        long pf = fd.stats().count(CostEvent.PAGE_FAULT);
        long done = len;
        try {
            access.run();
            if (expect >= 0) {
                fail(what + ": expected a #PF at 0x" + Long.toHexString(REGION + expect));
            }
        } catch (EnclaveFault f) {
            assertThat(f.kind()).as(what).isEqualTo(EnclaveFault.Kind.PAGE_FAULT);
            assertThat(f.address()).as(what + ": fault address").isEqualTo(REGION + expect);
            assertThat(f.isWrite()).as(what).isEqualTo(write);
            done = expect - off;
        }
        faults = fd.stats().count(CostEvent.PAGE_FAULT) - pf;
        assertThat(fd.stats().count(CostEvent.AEX) - aex).as(what + ": AEXs beyond the driver's page faults")
                .isEqualTo(faults + (done < len ? 1 : 0));
        return done;
    }

    private void write(EnclaveContext ctx, Enclave encl, Random rnd, String what) {
        long off = rnd.nextInt(mem.length - 1);
        long len = 1 + rnd.nextInt((int) Math.min(mem.length - off, 6 * Pages.SIZE));
        byte[] data = new byte[(int) len];
        rnd.nextBytes(data);
        boolean segment = rnd.nextBoolean();
        long done = access(ctx, off, len, true, what + " write " + len + " at +" + off, () -> {
            if (segment) {
                MemorySegment s = Arena.ofAuto().allocate(len + 3);
                MemorySegment.copy(data, 0, s, ValueLayout.JAVA_BYTE, 3, data.length);
                ctx.write(REGION + off, s, 3, len);
            } else {
                ctx.write(REGION + off, data, 0, (int) len);
            }
        });
        System.arraycopy(data, 0, mem, (int) off, (int) done);
        accessed(encl, off, done, what);
    }

    private void read(EnclaveContext ctx, Enclave encl, Random rnd, String what) {
        long off = rnd.nextInt(mem.length - 1);
        long len = 1 + rnd.nextInt((int) Math.min(mem.length - off, 6 * Pages.SIZE));
        byte[] back = new byte[(int) len];
        boolean segment = rnd.nextBoolean();
        MemorySegment s = Arena.ofAuto().allocate(len);
        long done = access(ctx, off, len, false, what + " read " + len + " at +" + off, () -> {
            if (segment) {
                ctx.read(REGION + off, s, 0, len);
            } else {
                ctx.read(REGION + off, back, 0, (int) len);
            }
        });
        if (done == len) {
            byte[] got = segment ? s.toArray(ValueLayout.JAVA_BYTE) : back;
            assertThat(Arrays.mismatch(got, Arrays.copyOfRange(mem, (int) off, (int) (off + len))))
                    .as(what + " read " + len + " at +" + off + ": first byte that differs from the model").isEqualTo(-1);
        }
        accessed(encl, off, done, what);
    }

    private void fill(EnclaveContext ctx, Enclave encl, Random rnd, String what) {
        long off = rnd.nextInt(mem.length - 1);
        long len = 1 + rnd.nextInt((int) Math.min(mem.length - off, 6 * Pages.SIZE));
        byte v = rnd.nextBoolean() ? 0 : (byte) rnd.nextInt();
        long done = access(ctx, off, len, true, what + " fill " + len + " at +" + off, () -> ctx.fill(REGION + off, len, v));
        Arrays.fill(mem, (int) off, (int) (off + done), v);
        accessed(encl, off, done, what);
    }

    private void single(EnclaveContext ctx, Random rnd, String what) {
        int size = new int[] {1, 4, 8}[rnd.nextInt(3)];
        // often across a page boundary
        long off = rnd.nextBoolean() ? (long) (1 + rnd.nextInt(PAGES - 1)) * Pages.SIZE - rnd.nextInt(size) : rnd.nextInt(mem.length - size);
        boolean write = rnd.nextBoolean();
        long value = rnd.nextLong();
        String w = what + (write ? " store " : " load ") + size + " at +" + off;
        long[] got = new long[1];
        long done = access(ctx, off, size, write, w, () -> {
            long a = REGION + off;
            switch (size) {
                case 1 -> {
                    if (write) {
                        ctx.writeByte(a, (byte) value);
                    } else {
                        got[0] = ctx.readByte(a);
                    }
                }
                case 4 -> {
                    if (write) {
                        ctx.writeInt(a, (int) value);
                    } else {
                        got[0] = ctx.readInt(a);
                    }
                }
                default -> {
                    if (write) {
                        ctx.writeLong(a, value);
                    } else {
                        got[0] = ctx.readLong(a);
                    }
                }
            }
        });
        if (write) {
            for (int b = 0; b < done; b++) {
                mem[(int) off + b] = (byte) (value >>> (8 * b));
            }
        } else if (done == size) {
            long want = 0;
            for (int b = size - 1; b >= 0; b--) {
                want = (want << 8) | (mem[(int) off + b] & 0xFF);
            }
            long mask = size == 8 ? -1L : (1L << (8 * size)) - 1;
            assertThat(got[0] & mask).as(w).isEqualTo(want);
        }
    }

    private void readAll(EnclaveContext ctx, String what) {
        for (int i = 0; i < PAGES; i++) {
            if (state[i] == State.UNACCEPTED) {
                continue;
            }
            byte[] back = new byte[Pages.SIZE];
            ctx.read(page(i), back, 0, back.length);
            assertThat(Arrays.mismatch(back, Arrays.copyOfRange(mem, i * Pages.SIZE, (i + 1) * Pages.SIZE)))
                    .as(what + ": page " + i + ": first byte that differs from the model").isEqualTo(-1);
        }
    }

    /** The pages an access completed are resident with the accessed bit set, unless it took page faults (which may reclaim). */
    private void accessed(Enclave encl, long off, long done, String what) {
        if (done <= 0 || faults > 0) {
            return;
        }
        long first = off / Pages.SIZE;
        long last = (off + done - 1) / Pages.SIZE;
        for (long pg = first; pg <= last; pg++) {
            EnclavePage q = encl.pages.get(Pages.index(page((int) pg) - BASE));
            EpcFrame f = q == null ? null : q.frame;
            assertThat(f).as(what + ": page " + pg + " resident").isNotNull();
            if (f != null) {
                assertThat(f.isAccessed()).as(what + ": accessed bit of page " + pg).isTrue();
                assertThat(encl.pages.translationOf(Pages.index(page((int) pg) - BASE))).as(what).isEqualTo(f.translation());
            }
        }
    }
}
