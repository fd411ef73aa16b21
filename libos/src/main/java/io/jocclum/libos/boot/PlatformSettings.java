package io.jocclum.libos.boot;

import io.jocclum.libos.attest.AttestationSettings;
import io.jocclum.libos.config.Sizes;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.CostModel;
import io.jocclum.sgx.driver.PlatformConfig;
import io.jocclum.sgx.attest.TcbSpec;
import io.jocclum.sgx.epc.Ksgxd;
import io.jocclum.libos.syscall.SyscallCounters;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.libos.config.JsonErrors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The simulated machine a built instance runs on: EPC capacity, SGX2 (EDMM) or SGX1, the cost
 * constants and CPU frequency, the seed of the platform secrets, how ksgxd runs, an optional
 * limit of the memory cgroup the EPC backing store is charged to, and the price of a LibOS
 * system call. {@link #defaults()} are documented in docs/run.md; a platform file (JSON,
 * {@link #parse}) or flags override them; {@link #toPlatformConfig()} maps them to the sgx
 * module's {@link PlatformConfig}.
 *
 * @param epcBytes            EPC capacity (one section), default {@link #DEFAULT_EPC_BYTES}
 * @param sgx2                SGX2 with EDMM (default) or SGX1
 * @param cpuHz               CPU frequency that turns cycles into simulated time
 * @param costs               per-event cycle overrides (the rest keep {@link CostEvent} defaults)
 * @param copyCyclesPerKb     cost of copying across the enclave boundary
 * @param seed                seed of the platform keys (and the LibOS's /dev/urandom)
 * @param ksgxd               THREAD (a daemon reclaimer, Linux's) or MANUAL (deterministic)
 * @param backingLimit        memory.max of the backing store's memory cgroup, empty for none
 * @param syscallCycles       cycles of one LibOS system call
 * @param attestation         fuses, owner epoch, TCB description (CPUSVN, PCESVN, collateral), DCAP driver,
 *                            errno style of /dev/sgx
 */
public record PlatformSettings(long epcBytes, boolean sgx2, long cpuHz, Map<CostEvent, Long> costs, long copyCyclesPerKb,
                               long seed, Ksgxd.Mode ksgxd, OptionalLong backingLimit, long syscallCycles,
                               AttestationSettings attestation) {

    /**
     * Default EPC: 4 GiB in one section. Source: a moderate SGX2 server (Intel Xeon Scalable 3rd
     * gen "Ice Lake-SP" parts offer 8 to 512 GiB of EPC per socket); the sgx module's own default
     * is the 128 MiB of client parts, too small for Occlum's template without EDMM.
     */
    public static final long DEFAULT_EPC_BYTES = 4L << 30;

    /** The keys a platform file may have. */
    public static final List<String> KEYS = List.of("epc", "sgx2", "cpu_hz", "costs", "copy_cycles_per_kb", "seed", "ksgxd",
            "backing_memory_limit", "syscall_cycles", "fuses", "owner_epoch", "tcb", "dcap_driver", "occlum_compat_errno");

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS, JsonReadFeature.ALLOW_TRAILING_COMMA)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    public PlatformSettings {
        if (epcBytes <= 0 || !Pages.isAligned(epcBytes)) {
            throw new BootException("the EPC size " + epcBytes + " is not a positive multiple of 4KB.");
        }
        if (cpuHz <= 0) {
            throw new BootException("the CPU frequency " + cpuHz + " Hz is not positive.");
        }
        costs = Map.copyOf(costs);
    }

    /** 4 GiB EPC, SGX2, 2.3 GHz, default costs, seed 0, ksgxd thread, no backing limit, 300-cycle syscalls. */
    public static PlatformSettings defaults() {
        return new PlatformSettings(DEFAULT_EPC_BYTES, true, CostModel.DEFAULT_CPU_HZ, Map.of(),
                CostModel.DEFAULT_COPY_CYCLES_PER_KB, 0, Ksgxd.Mode.THREAD, OptionalLong.empty(),
                SyscallCounters.DEFAULT_SYSCALL_CYCLES, AttestationSettings.defaults());
    }

    public PlatformSettings withEpcBytes(long b) {
        return new PlatformSettings(b, sgx2, cpuHz, costs, copyCyclesPerKb, seed, ksgxd, backingLimit, syscallCycles, attestation);
    }

    public PlatformSettings withSgx2(boolean on) {
        return new PlatformSettings(epcBytes, on, cpuHz, costs, copyCyclesPerKb, seed, ksgxd, backingLimit, syscallCycles, attestation);
    }

    public PlatformSettings withSeed(long s) {
        return new PlatformSettings(epcBytes, sgx2, cpuHz, costs, copyCyclesPerKb, s, ksgxd, backingLimit, syscallCycles, attestation);
    }

    public PlatformSettings withKsgxd(Ksgxd.Mode m) {
        return new PlatformSettings(epcBytes, sgx2, cpuHz, costs, copyCyclesPerKb, seed, m, backingLimit, syscallCycles, attestation);
    }

    public PlatformSettings withBackingLimit(long bytes) {
        return new PlatformSettings(epcBytes, sgx2, cpuHz, costs, copyCyclesPerKb, seed, ksgxd, OptionalLong.of(bytes), syscallCycles, attestation);
    }

    public PlatformSettings withCost(CostEvent e, long cycles) {
        Map<CostEvent, Long> m = new EnumMap<>(CostEvent.class);
        m.putAll(costs);
        m.put(e, cycles);
        return new PlatformSettings(epcBytes, sgx2, cpuHz, m, copyCyclesPerKb, seed, ksgxd, backingLimit, syscallCycles, attestation);
    }

    public PlatformSettings withAttestation(AttestationSettings a) {
        return new PlatformSettings(epcBytes, sgx2, cpuHz, costs, copyCyclesPerKb, seed, ksgxd, backingLimit, syscallCycles, a);
    }

    /**
     * The sgx module's configuration: one EPC section, the CPU features (CPUSVN from the TCB
     * description's current level, the owner epoch), the fuses, the cost model.
     */
    public PlatformConfig toPlatformConfig() {
        PlatformConfig.Builder b = PlatformConfig.builder().epcSize(epcBytes).sgx2(sgx2).seed(seed).ksgxd(ksgxd)
                .cpuSvn(attestation.tcb().current().cpuSvn()).ownerEpoch(attestation.ownerEpoch()).fuses(attestation.fuses());
        CostModel m = CostModel.defaults().withCpuHz(cpuHz).withCopyCyclesPerKb(copyCyclesPerKb);
        for (Map.Entry<CostEvent, Long> e : costs.entrySet()) {
            m = m.with(e.getKey(), e.getValue());
        }
        return b.costs(m).build();
    }

    /**
     * Reads a platform file (JSON; comments and trailing commas allowed) over {@code base}: every
     * key is optional. {@link BootException} naming the first bad key or value.
     *
     * <pre>
     * { "epc": "4GB", "sgx2": true, "cpu_hz": 2300000000, "seed": 0, "ksgxd": "thread",
     *   "costs": { "EADD": 10000, "EWB": 15000 }, "copy_cycles_per_kb": 1400,
     *   "backing_memory_limit": "1GB", "syscall_cycles": 300,
     *   "fuses": "<64 hex digits>", "owner_epoch": "<32 hex digits>", "tcb": { "current": 2 },
     *   "dcap_driver": true, "occlum_compat_errno": false }
     * </pre>
     */
    public static PlatformSettings parse(byte[] json, String origin, PlatformSettings base) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new BootException(origin + " is not valid JSON" + JsonErrors.where(e) + ": " + JsonErrors.problem(e)
                    + " (comments and trailing commas are allowed).");
        }
        if (root == null || !root.isObject()) {
            throw new BootException(origin + " must hold a JSON object such as {\"epc\": \"4GB\", \"sgx2\": true}.");
        }
        PlatformSettings s = base;
        List<String> problems = new java.util.ArrayList<>();
        for (String key : root.propertyNames()) {
            try {
                s = setting(s, origin, key, root.get(key));
            } catch (BootException e) {
                problems.add(e.getMessage());
            }
        }
        if (problems.size() == 1) {
            throw new BootException(problems.getFirst());
        }
        if (!problems.isEmpty()) {
            throw new BootException(origin + " has " + problems.size() + " problems:\n  " + String.join("\n  ", problems));
        }
        return s;
    }

    private static PlatformSettings setting(PlatformSettings s, String origin, String key, JsonNode v) {
        String at = origin + ": \"" + key + "\"";
        return switch (key) {
            case "epc" -> s.withEpcBytes(size(at, v));
            case "sgx2" -> s.withSgx2(bool(at, v));
            case "cpu_hz" -> new PlatformSettings(s.epcBytes, s.sgx2, positive(at, v), s.costs, s.copyCyclesPerKb, s.seed,
                    s.ksgxd, s.backingLimit, s.syscallCycles, s.attestation);
            case "copy_cycles_per_kb" -> new PlatformSettings(s.epcBytes, s.sgx2, s.cpuHz, s.costs, nonNegative(at, v), s.seed,
                    s.ksgxd, s.backingLimit, s.syscallCycles, s.attestation);
            case "seed" -> s.withSeed(integer(at, v));
            case "ksgxd" -> s.withKsgxd(ksgxd(at, v));
            case "backing_memory_limit" -> s.withBackingLimit(size(at, v));
            case "syscall_cycles" -> new PlatformSettings(s.epcBytes, s.sgx2, s.cpuHz, s.costs, s.copyCyclesPerKb, s.seed,
                    s.ksgxd, s.backingLimit, nonNegative(at, v), s.attestation);
            case "costs" -> costs(at, v, s);
            case "fuses" -> s.withAttestation(s.attestation.withFuses(hex(at, v, 32)));
            case "owner_epoch" -> s.withAttestation(s.attestation.withOwnerEpoch(hex(at, v, 16)));
            case "dcap_driver" -> s.withAttestation(s.attestation.withDcapDriver(bool(at, v)));
            case "occlum_compat_errno" -> s.withAttestation(s.attestation.withOcclumCompatErrno(bool(at, v)));
            case "tcb" -> {
                try {
                    yield s.withAttestation(s.attestation.withTcb(TcbSpec.parse(v, "tcb", s.attestation.tcb())));
                } catch (IllegalArgumentException e) {
                    throw new BootException(origin + ": " + e.getMessage() + ".");
                }
            }
            default -> throw new BootException(at + " is not a platform setting; the keys are " + String.join(", ", KEYS) + ".");
        };
    }

    private static PlatformSettings costs(String at, JsonNode v, PlatformSettings s) {
        if (!v.isObject()) {
            throw new BootException(at + " must be an object of cycle counts by event, e.g. {\"EADD\": 10000}.");
        }
        for (String name : v.propertyNames()) {
            CostEvent e;
            try {
                e = CostEvent.valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException x) {
                throw new BootException(at + ": \"" + name + "\" is not a cost event; the events are "
                        + java.util.Arrays.toString(CostEvent.values()) + ".");
            }
            s = s.withCost(e, nonNegative(at + "." + name, v.get(name)));
        }
        return s;
    }

    static long size(String at, JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() > 0) {
            return v.longValue();
        }
        if (v.isString()) {
            try {
                return Sizes.parse(v.stringValue());
            } catch (IllegalArgumentException e) {
                throw new BootException(at + " \"" + v.stringValue() + "\" " + e.getMessage() + ".");
            }
        }
        throw new BootException(at + " must be a size such as \"4GB\" or a number of bytes.");
    }

    private static byte[] hex(String at, JsonNode v, int bytes) {
        if (v.isString() && v.stringValue().matches("[0-9a-fA-F]{" + 2 * bytes + "}")) {
            return java.util.HexFormat.of().parseHex(v.stringValue());
        }
        throw new BootException(at + " must be " + 2 * bytes + " hex digits (" + bytes + " bytes).");
    }

    private static boolean bool(String at, JsonNode v) {
        if (!v.isBoolean()) {
            throw new BootException(at + " must be true or false.");
        }
        return v.booleanValue();
    }

    private static long integer(String at, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new BootException(at + " must be an integer.");
        }
        return v.longValue();
    }

    private static long positive(String at, JsonNode v) {
        long n = integer(at, v);
        if (n <= 0) {
            throw new BootException(at + " must be a positive integer.");
        }
        return n;
    }

    private static long nonNegative(String at, JsonNode v) {
        long n = integer(at, v);
        if (n < 0) {
            throw new BootException(at + " must be a non-negative integer.");
        }
        return n;
    }

    private static Ksgxd.Mode ksgxd(String at, JsonNode v) {
        if (v.isString()) {
            switch (v.stringValue()) {
                case "thread" -> {
                    return Ksgxd.Mode.THREAD;
                }
                case "manual" -> {
                    return Ksgxd.Mode.MANUAL;
                }
                default -> {
                }
            }
        }
        throw new BootException(at + " must be \"thread\" (a reclaimer thread, as Linux) or \"manual\" (deterministic).");
    }

    /** One line for reports: "SGX2, 4GB EPC, 2.30 GHz". */
    public String describe() {
        return (sgx2 ? "SGX2" : "SGX1") + ", " + Sizes.human(epcBytes) + " EPC, "
                + String.format(Locale.ROOT, "%.2f GHz", cpuHz / 1e9);
    }
}
