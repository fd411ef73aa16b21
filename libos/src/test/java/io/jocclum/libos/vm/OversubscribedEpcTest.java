package io.jocclum.libos.vm;

import io.jocclum.libos.vm.testing.PlatformEnclave;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A VM workload on the simulated SGX platform with an EPC four times smaller than the memory it
 * keeps live: the reclaimer evicts pages (EBLOCK, ETRACK, EWB with AES-GCM into the backing store)
 * and the fault path loads them back (ELDU) underneath the VM's accesses, EACCEPTs, permission
 * changes, moves and give-backs. Two processes map, fill, rewrite, protect, move and unmap
 * memory in a seeded random order against a byte-exact model of every live mapping; every byte
 * must survive. Runs for the EDMM build (commit on demand into an oversubscribed EPC) and the
 * non-EDMM build (reserved memory larger than the EPC, evicted already while loading). The seed
 * is in every message; {@code -Dvm.seed=N} replays.
 */
class OversubscribedEpcTest {
    private static final long PAGE = Pages.SIZE;
    private static final long MB = 1 << 20;
    /** The EPC: 4 MB. */
    private static final long EPC_PAGES = 1024;
    /** Bytes of live mappings the workload keeps (4x the EPC). */
    private static final long LIVE = 16 * MB;
    private static final int STEPS = 900;
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    enum Build {
        EDMM(new UserSpaceLayout(Platform.BASE, 4 * MB, Platform.BASE + 8 * MB, 256 * MB)),
        NON_EDMM(UserSpaceLayout.reservedOnly(Platform.BASE, 40 * MB));

        final UserSpaceLayout layout;

        Build(UserSpaceLayout layout) {
            this.layout = layout;
        }
    }

    /** A live mapping and the bytes it must hold. */
    static final class Live {
        final ProcessVm owner;
        long addr;
        final byte[] bytes;
        int prot = RW;

        Live(ProcessVm owner, long addr, int len) {
            this.owner = owner;
            this.addr = addr;
            this.bytes = new byte[len];
        }
    }

    @ParameterizedTest
    @EnumSource(Build.class)
    void everyByteSurvivesEvictionAndReload(Build build) {
        long seed = Long.getLong("vm.seed", 0x0E5CL + build.ordinal());
        String where = "seed " + seed + " (replay with -Dvm.seed=" + seed + ") build " + build;
        PlatformConfig cfg = SgxTestSupport.config(EPC_PAGES).ksgxd(Ksgxd.Mode.MANUAL).build();
        try (PlatformEnclave enclave = PlatformEnclave.start(cfg, build.layout, SgxTestSupport.signingKey())) {
            UserSpace space = UserSpace.create(enclave.context(), build.layout, VmConfig.defaults());
            ProcessVmSpec spec = new ProcessVmSpec(2 * MB, 64 * 1024, List.of());
            ProcessVm[] procs = {space.createProcess(1, spec), space.createProcess(2, spec)};
            SplittableRandom rnd = new SplittableRandom(seed);
            List<Live> live = new ArrayList<>();
            long liveBytes = 0;
            int step = 0;
            String op = "";
            try {
                for (step = 0; step < STEPS; step++) {
                    int dice = rnd.nextInt(100);
                    if (live.isEmpty() || liveBytes < LIVE && dice < 30) {
                        ProcessVm p = procs[rnd.nextInt(2)];
                        int len = (int) ((1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 512 : 48)) * PAGE);
                        op = "mmap " + len + " pid " + p.pid();
                        Live l = new Live(p, p.mmap(0, len, RW, ANON, null, 0), len);
                        // fill most of it: touching is what costs EPC
                        int filled = (int) (len * (0.5 + rnd.nextDouble() / 2)) & ~7;
                        rnd.nextBytes(l.bytes);
                        java.util.Arrays.fill(l.bytes, filled, len, (byte) 0);
                        p.memory(AccessMode.USER).write(l.addr, l.bytes, 0, filled);
                        live.add(l);
                        liveBytes += len;
                    } else if (dice < 55) {
                        Live l = live.get(rnd.nextInt(live.size()));
                        GuestMemory m = l.owner.memory(AccessMode.USER);
                        if (l.prot == RW) {
                            int off = rnd.nextInt(l.bytes.length - 8) & ~7;
                            op = "store 0x" + Long.toHexString(l.addr + off);
                            long v = rnd.nextLong();
                            m.writeLong(l.addr + off, v);
                            for (int i = 0; i < 8; i++) {
                                l.bytes[off + i] = (byte) (v >>> (8 * i));
                            }
                        }
                        int off = rnd.nextInt(l.bytes.length);
                        int n = Math.min(l.bytes.length - off, 1 + rnd.nextInt(3 * 4096));
                        op = "load " + n + " at 0x" + Long.toHexString(l.addr + off);
                        byte[] got = new byte[n];
                        m.read(l.addr + off, got, 0, n);
                        assertThat(got).as("%s step %d: %s", where, step, op)
                                .isEqualTo(java.util.Arrays.copyOfRange(l.bytes, off, off + n));
                    } else if (dice < 65) {
                        Live l = live.get(rnd.nextInt(live.size()));
                        int prot = l.prot == RW ? PROT_READ : RW;
                        op = "mprotect 0x" + Long.toHexString(l.addr) + " " + prot;
                        l.owner.mprotect(l.addr, l.bytes.length, prot);
                        l.prot = prot;
                    } else if (dice < 75) {
                        Live l = live.get(rnd.nextInt(live.size()));
                        op = "mremap move 0x" + Long.toHexString(l.addr);
                        // grow by a page and move: the copy reads every (possibly evicted) source page
                        long na = l.owner.mremap(l.addr, l.bytes.length, l.bytes.length + PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
                                freeSpot(l.owner, l.bytes.length + PAGE));
                        l.owner.munmap(na + l.bytes.length, PAGE);
                        l.addr = na;
                    } else if (dice < 98 || liveBytes >= LIVE) {
                        Live l = live.remove(rnd.nextInt(live.size()));
                        op = "munmap 0x" + Long.toHexString(l.addr);
                        l.owner.munmap(l.addr, l.bytes.length);
                        liveBytes -= l.bytes.length;
                    } else {
                        op = "verify all";
                        verifyAll(live, where + " step " + step);
                    }
                }
                op = "final verify";
                verifyAll(live, where + " end");
            } catch (RuntimeException e) {
                throw new AssertionError(where + " step " + step + " op " + op + ": " + e, e);
            }
            EnclaveStats st = enclave.stats();
            assertThat(st.count(CostEvent.EWB)).as("%s: pages were evicted", where).isGreaterThan(EPC_PAGES);
            assertThat(st.count(CostEvent.ELDU)).as("%s: and loaded back", where).isGreaterThan(EPC_PAGES);
            space.checkInvariants(enclave.epcmView());
            assertThat(enclave.checkPlatform()).as(where).isEmpty();
            for (ProcessVm p : procs) {
                p.exit();
            }
            space.shutdown();
            space.checkInvariants(enclave.epcmView());
            assertThat(enclave.checkPlatform()).as(where).isEmpty();
        }
    }

    /** A free, unused address range of {@code len} bytes for a MREMAP_FIXED target: map it, then unmap it. */
    private static long freeSpot(ProcessVm p, long len) {
        long a = p.mmap(0, len, PROT_NONE, ANON, null, 0);
        p.munmap(a, len);
        return a;
    }

    private static void verifyAll(List<Live> live, String where) {
        for (Live l : live) {
            byte[] got = new byte[l.bytes.length];
            l.owner.memory(AccessMode.USER).read(l.addr, got, 0, got.length);
            assertThat(got).as("%s: mapping at 0x%x of pid %d", where, l.addr, l.owner.pid()).isEqualTo(l.bytes);
        }
    }
}
