package io.jocclum.sgx.driver;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.CostModel;
import io.jocclum.sgx.cpu.CpuFeatures;
import io.jocclum.sgx.cpu.Epc;
import io.jocclum.sgx.crypto.PlatformKeys;
import io.jocclum.sgx.epc.EpcTunables;
import io.jocclum.sgx.epc.Ksgxd;

import java.util.List;

/**
 * The configuration of a simulated SGX platform: EPC sections, CPU features (SGX2 or SGX1, CPUSVN,
 * allowed attributes), cost constants and CPU frequency, the seed of the platform secrets, the
 * reclaimer's watermarks, how ksgxd runs and which EPC cgroup controller the driver uses. Immutable;
 * build with {@link #builder()}.
 *
 * @param epcSectionBytes size of each EPC section in bytes (1..8 sections, multiples of 4096)
 * @param features        what the CPU supports
 * @param costs           cycle costs and CPU frequency
 * @param seed            seed of the platform's fused secrets (paging key, REPORT/seal key roots)
 * @param tunables        SGX_NR_TO_SCAN and the free-page watermarks
 * @param ksgxdMode       THREAD (a daemon thread; the cgroup work queue has threads too) or MANUAL
 *                        (deterministic, background work run by the caller)
 * @param epcCgroup       the EPC cgroup controller: OFF (no-op, the default), V17 or INTENT
 * @param fuses           the platform's fused secret (32 bytes: seal fuses, root provisioning key), or
 *                        null to derive it from {@code seed} ({@link PlatformKeys#fusesOf(long)})
 */
public record PlatformConfig(List<Long> epcSectionBytes, CpuFeatures features, CostModel costs, long seed,
                             EpcTunables tunables, Ksgxd.Mode ksgxdMode, EpcCgroup epcCgroup, byte[] fuses) {
    /**
     * Which EPC controller {@link SgxPlatform#start(PlatformConfig)} plugs into the driver.
     */
    public enum EpcCgroup {
        /**
         * No EPC accounting: the kernel without the series or without CONFIG_CGROUP_MISC (one global
         * LRU, no {@code sgx_epc} in the misc files). The default, like the kernel.
         */
        OFF,
        /** The misc-cgroup {@code sgx_epc} controller exactly as v17 posted it (io.jocclum.sgx.epccg). */
        V17,
        /**
         * v17 plus the series' stated intent: after a successful charge, async reclaim is queued when
         * the cgroup is at its soft threshold (dead code in the posted v17, spec 2.3).
         */
        INTENT
    }

    /** Default EPC: 128 MiB in one section (a classic client/server PRM size). */
    public static final long DEFAULT_EPC_BYTES = 128L << 20;

    public PlatformConfig {
        epcSectionBytes = List.copyOf(epcSectionBytes);
        if (epcSectionBytes.isEmpty() || epcSectionBytes.size() > Epc.MAX_SECTIONS) {
            throw new IllegalArgumentException("the EPC needs 1 to " + Epc.MAX_SECTIONS + " sections, got "
                    + epcSectionBytes.size());
        }
        for (long b : epcSectionBytes) {
            if (b <= 0 || !Pages.isAligned(b)) {
                throw new IllegalArgumentException("EPC section size " + b + " is not a positive multiple of 4096 bytes");
            }
        }
        java.util.Objects.requireNonNull(features, "features");
        java.util.Objects.requireNonNull(costs, "costs");
        java.util.Objects.requireNonNull(tunables, "tunables");
        java.util.Objects.requireNonNull(ksgxdMode, "ksgxdMode");
        java.util.Objects.requireNonNull(epcCgroup, "epcCgroup");
        if (fuses != null) {
            if (fuses.length != PlatformKeys.FUSES_BYTES) {
                throw new IllegalArgumentException("the platform's fuses have " + PlatformKeys.FUSES_BYTES + " bytes, got "
                        + fuses.length);
            }
            fuses = fuses.clone();
        }
    }

    /** The fused secret the CPU uses: the configured one, or the one derived from the seed. */
    public byte[] effectiveFuses() {
        return fuses != null ? fuses.clone() : PlatformKeys.fusesOf(seed);
    }

    @Override
    public byte[] fuses() {
        return fuses == null ? null : fuses.clone();
    }

    public long epcBytes() {
        return epcSectionBytes.stream().mapToLong(Long::longValue).sum();
    }

    public boolean sgx2() {
        return features.sgx2();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.sections = epcSectionBytes;
        b.features = features;
        b.costs = costs;
        b.seed = seed;
        b.tunables = tunables;
        b.ksgxdMode = ksgxdMode;
        b.epcCgroup = epcCgroup;
        b.fuses = fuses;
        return b;
    }

    /**
     * Builder with Linux/Ice Lake-like defaults: 128 MiB EPC, SGX2, seed 0, Linux watermarks, ksgxd
     * thread, no EPC cgroup controller.
     */
    public static final class Builder {
        private List<Long> sections = List.of(DEFAULT_EPC_BYTES);
        private CpuFeatures features = CpuFeatures.defaults(true);
        private CostModel costs = CostModel.defaults();
        private long seed;
        private EpcTunables tunables = EpcTunables.linux();
        private Ksgxd.Mode ksgxdMode = Ksgxd.Mode.THREAD;
        private EpcCgroup epcCgroup = EpcCgroup.OFF;
        private byte[] fuses;

        /** One EPC section of {@code bytes}. */
        public Builder epcSize(long bytes) {
            this.sections = List.of(bytes);
            return this;
        }

        /** Several EPC sections (bytes each). */
        public Builder epcSections(long... bytes) {
            this.sections = java.util.Arrays.stream(bytes).boxed().toList();
            return this;
        }

        /** SGX2 (EDMM) or SGX1-only. */
        public Builder sgx2(boolean on) {
            CpuFeatures f = features;
            this.features = new CpuFeatures(on, f.kss(), f.allowedAttributes(), f.allowedXfrm(), f.allowedMiscSelect(),
                    f.maxEnclaveSize64Log2(), f.cpuSvn(), f.ownerEpoch());
            return this;
        }

        /** CR_CPUSVN (16 bytes): the CPU's security version, which EREPORT reports and EGETKEY checks. */
        public Builder cpuSvn(byte[] svn) {
            CpuFeatures f = features;
            this.features = new CpuFeatures(f.sgx2(), f.kss(), f.allowedAttributes(), f.allowedXfrm(), f.allowedMiscSelect(),
                    f.maxEnclaveSize64Log2(), svn, f.ownerEpoch());
            return this;
        }

        /** CSR_SGX_OWNEREPOCH (16 bytes), mixed into seal and REPORT keys. */
        public Builder ownerEpoch(byte[] epoch) {
            CpuFeatures f = features;
            this.features = new CpuFeatures(f.sgx2(), f.kss(), f.allowedAttributes(), f.allowedXfrm(), f.allowedMiscSelect(),
                    f.maxEnclaveSize64Log2(), f.cpuSvn(), epoch);
            return this;
        }

        public Builder features(CpuFeatures f) {
            this.features = f;
            return this;
        }

        public Builder costs(CostModel c) {
            this.costs = c;
            return this;
        }

        /** Overrides one cost constant (cycles). */
        public Builder cost(CostEvent e, long cycles) {
            this.costs = costs.with(e, cycles);
            return this;
        }

        public Builder cpuHz(long hz) {
            this.costs = costs.withCpuHz(hz);
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder tunables(EpcTunables t) {
            this.tunables = t;
            return this;
        }

        /** SGX_NR_LOW_PAGES and SGX_NR_HIGH_PAGES. */
        public Builder watermarks(int low, int high) {
            this.tunables = new EpcTunables(tunables.nrToScan(), low, high);
            return this;
        }

        public Builder ksgxd(Ksgxd.Mode m) {
            this.ksgxdMode = m;
            return this;
        }

        /** The EPC cgroup controller (OFF by default). */
        public Builder epcCgroup(EpcCgroup c) {
            this.epcCgroup = c;
            return this;
        }

        /** The platform's fused secret (32 bytes), or null to derive it from the seed (the default). */
        public Builder fuses(byte[] f) {
            this.fuses = f == null ? null : f.clone();
            return this;
        }

        public PlatformConfig build() {
            return new PlatformConfig(sections, features, costs, seed, tunables, ksgxdMode, epcCgroup, fuses);
        }
    }
}
