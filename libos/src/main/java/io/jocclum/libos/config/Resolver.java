package io.jocclum.libos.config;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The EDMM resolution rules (config-edmm.md, "Resolution rules"; the EDMM guide; Occlum's
 * tools/gen_internal_conf):
 *
 * <pre>
 * value                   non-EDMM                              EDMM
 * kernel heap Init        heap_max if given, else heap_size     heap_size
 * kernel heap Max         heap_max if given, else heap_size     max(heap_max or heap_size, 1GB)
 * user space Init         user_space_size (no effect)           user_space_size
 * user space Max          user_max if given, else user_size     max(user_max or user_size, 16GB)
 * ReservedMem*Size        user space Max                        user space Init
 * UserRegionSize          absent                                Max if Max == Init, else Max + 1GB
 * TCSNum = TCSMinPool     max_num_of_threads                    min(init, 16) if given, else min(16, max)
 * TCSMaxNum               max_num_of_threads                    max(max_num_of_threads, 4096)
 * MiscSelect / MiscMask   0 / 0                                 1 / 0xFFFFFFFF
 * </pre>
 *
 * TCS Init: the guide caps init_num_of_threads at 16, Occlum's generator takes it verbatim; we
 * follow the guide and report the change. After resolution Init must not exceed Max for kernel
 * heap and user space (TCS cannot violate it by construction), and every mount's cache_size must
 * fit in the kernel heap Max.
 */
public final class Resolver {
    /** Occlum's default kernel heap Max on EDMM (gen_internal_conf, the guide's grey default). */
    public static final long DEFAULT_KERNEL_HEAP_MAX = Sizes.GB;
    /** Occlum's default user space Max on EDMM. */
    public static final long DEFAULT_USER_SPACE_MAX = 16 * Sizes.GB;
    /** Occlum's default TCS Init on EDMM, also the guide's cap on init_num_of_threads. */
    public static final long DEFAULT_TCS_INIT = 16;
    /** Occlum's default TCS Max on EDMM. */
    public static final long DEFAULT_TCS_MAX = 4096;
    /** The user region the SDK's EDMM memory manager gets beyond the user space Max (gen_internal_conf). */
    public static final long EDMM_EXTRA_USER_REGION = Sizes.GB;
    /**
     * The largest size any value may have: ELRANGE lives in the user half of a 48-bit address
     * space (128 TB on x86-64 Linux with 4-level paging), so nothing larger can be mapped.
     */
    public static final long MAX_ADDRESS_SPACE = 1L << 47;

    private Resolver() {
    }

    /** The numbers of the table for one path. */
    record Sizing(long heapInit, long heapMax, long userInit, long userMax, long tcsInit, long tcsMax) {
    }

    static Sizing sizing(ResourceLimits rl, boolean edmm) {
        long heapWritten = rl.kernelSpaceHeapMaxSize().orElse(rl.kernelSpaceHeapSize());
        long userWritten = rl.userSpaceMaxSize().orElse(rl.userSpaceSize());
        if (!edmm) {
            return new Sizing(heapWritten, heapWritten, rl.userSpaceSize(), userWritten, rl.maxNumOfThreads(),
                    rl.maxNumOfThreads());
        }
        long tcsInit = rl.initNumOfThreads().isPresent() ? Math.min(rl.initNumOfThreads().getAsLong(), DEFAULT_TCS_INIT)
                : Math.min(DEFAULT_TCS_INIT, rl.maxNumOfThreads());
        return new Sizing(rl.kernelSpaceHeapSize(), Math.max(heapWritten, DEFAULT_KERNEL_HEAP_MAX), rl.userSpaceSize(),
                Math.max(userWritten, DEFAULT_USER_SPACE_MAX), tcsInit, Math.max(rl.maxNumOfThreads(), DEFAULT_TCS_MAX));
    }

    /**
     * The checks that need resolved values, on whatever parsed: sizes within the address space,
     * Init &lt;= Max, cache sizes within the kernel heap Max. {@code mounts} may be null.
     */
    static void check(ResourceLimits rl, List<Mount> mounts, boolean edmm, Problems problems,
                      java.util.function.Function<String, String> written) {
        String[] keys = {"kernel_space_stack_size", "kernel_space_heap_size", "kernel_space_heap_max_size",
                "user_space_size", "user_space_max_size"};
        long[] values = {rl.kernelSpaceStackSize(), rl.kernelSpaceHeapSize(), rl.kernelSpaceHeapMaxSize().orElse(0),
                rl.userSpaceSize(), rl.userSpaceMaxSize().orElse(0)};
        boolean tooLarge = false;
        for (int i = 0; i < keys.length; i++) {
            if (values[i] > MAX_ADDRESS_SPACE) {
                problems.error("resource_limits." + keys[i], text(written, "resource_limits." + keys[i], values[i])
                        + " is too large; an enclave's address range is at most 128TB (the user half of a 48-bit"
                        + " address space).");
                tooLarge = true;
            }
        }
        if (tooLarge) {
            return;
        }
        Sizing s = sizing(rl, edmm);
        if (s.heapInit() > s.heapMax()) {
            problems.error("resource_limits.kernel_space_heap_size", text(written, "resource_limits.kernel_space_heap_size",
                    rl.kernelSpaceHeapSize()) + " is larger than the kernel heap Max " + maxWords(written,
                    rl.kernelSpaceHeapMaxSize(), "kernel_space_heap_max_size", s.heapMax(), edmm, DEFAULT_KERNEL_HEAP_MAX)
                    + "; the kernel heap Init must not exceed its Max.");
        }
        if (s.userInit() > s.userMax()) {
            problems.error("resource_limits.user_space_size", text(written, "resource_limits.user_space_size",
                    rl.userSpaceSize()) + " is larger than the user space Max " + maxWords(written, rl.userSpaceMaxSize(),
                    "user_space_max_size",
                    s.userMax(), edmm, DEFAULT_USER_SPACE_MAX) + "; the user space Init must not exceed its Max.");
        }
        if (s.tcsInit() > s.tcsMax()) {
            throw new IllegalStateException("TCS Init " + s.tcsInit() + " above Max " + s.tcsMax() + ": the rules are broken");
        }
        if (mounts != null) {
            Mount.walk(mounts, (path, m) -> m.options().cacheSize().ifPresent(c -> {
                if (c > s.heapMax()) {
                    problems.error(path + ".options.cache_size", text(written, path + ".options.cache_size", c)
                            + " is larger than the kernel heap Max of " + Sizes.format(s.heapMax())
                            + "; a file system cache lives in the kernel heap and must fit there.");
                }
            }));
        }
    }

    /** The value as the file wrote it (quoted), or its exact size if the text is not at hand. */
    private static String text(java.util.function.Function<String, String> written, String path, long value) {
        String w = written.apply(path);
        return w != null ? w : Fields.quote(Sizes.format(value));
    }

    private static String maxWords(java.util.function.Function<String, String> writtenText, OptionalLong written,
                                   String key, long max, boolean edmm, long dflt) {
        String w = key + " " + text(writtenText, "resource_limits." + key, written.orElse(0));
        if (!edmm) {
            return w;
        }
        return "of " + Sizes.format(max) + " (the larger of " + w + " and the EDMM default " + Sizes.format(dflt) + ")";
    }

    /** Resolves a validated configuration; {@link ConfigException} if Init exceeds Max or a cache does not fit. */
    public static ResolvedConfig resolve(OcclumConfig config, BuildPath platform) {
        Problems problems = new Problems(false);
        check(config.resourceLimits(), config.mounts(), platform.edmm(), problems, path -> null);
        if (problems.hasErrors()) {
            throw problems.exception("Occlum.json");
        }
        return resolve(config, platform, List.of());
    }

    /** Resolves a configuration that passed {@link #check}. */
    static ResolvedConfig resolve(OcclumConfig config, BuildPath platform, List<ConfigProblem> warnings) {
        ResourceLimits rl = config.resourceLimits();
        boolean edmm = platform.edmm();
        Sizing s = sizing(rl, edmm);
        Metadata md = config.metadata();
        Feature f = config.feature();
        OptionalLong userRegion = !edmm ? OptionalLong.empty()
                : OptionalLong.of(s.userMax() == s.userInit() ? s.userMax() : s.userMax() + EDMM_EXTRA_USER_REGION);
        long reserved = edmm ? s.userInit() : s.userMax();
        boolean kss = md.enableKss();
        EnclaveXml xml = new EnclaveXml(md.productId(), md.versionNumber(), rl.kernelSpaceStackSize(),
                rl.kernelSpaceStackSize(), s.heapInit(), s.heapMax(), s.heapInit(), s.tcsInit(), s.tcsMax(), s.tcsInit(),
                0, md.debuggable() ? 0 : 1, edmm ? 1 : 0, edmm ? 0xFFFF_FFFFL : 0, reserved, reserved, reserved, 1,
                userRegion, kss ? 1 : 0, kss ? md.extProdId().highValue() : 0, kss ? md.extProdId().lowValue() : 0,
                kss ? md.familyId().highValue() : 0, kss ? md.familyId().lowValue() : 0, f.pkru(), f.amx());
        List<ConfigProblem> allWarnings = new ArrayList<>(warnings);
        for (String w : platform.warnings()) {
            allWarnings.add(ConfigProblem.warning("", w));
        }
        return new ResolvedConfig(config, platform, s.heapInit(), s.heapMax(), s.userInit(), s.userMax(), s.tcsInit(),
                s.tcsMax(), xml, adjustments(rl, s, edmm), allWarnings);
    }

    private static List<Adjustment> adjustments(ResourceLimits rl, Sizing s, boolean edmm) {
        List<Adjustment> out = new ArrayList<>();
        if (edmm) {
            String heapKey = rl.kernelSpaceHeapMaxSize().isPresent() ? "kernel_space_heap_max_size" : "kernel_space_heap_size";
            long heapWritten = rl.kernelSpaceHeapMaxSize().orElse(rl.kernelSpaceHeapSize());
            if (s.heapMax() != heapWritten) {
                out.add(new Adjustment("kernel heap Max", heapKey, heapWritten, s.heapMax(), true,
                        "EDMM builds use at least Occlum's default of 1GB, committed on demand"));
            }
            String userKey = rl.userSpaceMaxSize().isPresent() ? "user_space_max_size" : "user_space_size";
            long userWritten = rl.userSpaceMaxSize().orElse(rl.userSpaceSize());
            if (s.userMax() != userWritten) {
                out.add(new Adjustment("user space Max", userKey, userWritten, s.userMax(), true,
                        "EDMM builds use at least Occlum's default of 16GB, committed on demand, so the Max cannot"
                                + " cap physical use ("
                                + "Occlum's EDMM configuration guide (docs/edmm_config_guide.md in Occlum), note 1)"));
            }
            if (rl.initNumOfThreads().isPresent() && rl.initNumOfThreads().getAsLong() != s.tcsInit()) {
                out.add(new Adjustment("TCS Init", "init_num_of_threads", rl.initNumOfThreads().getAsLong(), s.tcsInit(),
                        false, "Occlum's EDMM configuration guide caps it at 16 (Occlum's generator would keep "
                        + rl.initNumOfThreads().getAsLong() + ")"));
            }
            if (s.tcsMax() != rl.maxNumOfThreads()) {
                out.add(new Adjustment("TCS Max", "max_num_of_threads", rl.maxNumOfThreads(), s.tcsMax(), false,
                        "EDMM builds allow at least Occlum's default of 4096 threads, added on demand"));
            }
        } else {
            if (rl.kernelSpaceHeapMaxSize().isPresent() && s.heapMax() != rl.kernelSpaceHeapSize()) {
                out.add(new Adjustment("kernel heap", "kernel_space_heap_size", rl.kernelSpaceHeapSize(), s.heapMax(), true,
                        "non-EDMM builds use kernel_space_heap_max_size as the static kernel heap"));
            }
            if (rl.userSpaceMaxSize().isPresent() && s.userMax() != rl.userSpaceSize()) {
                out.add(new Adjustment("user space", "user_space_size", rl.userSpaceSize(), s.userMax(), true,
                        "non-EDMM builds use user_space_max_size as the static user space"));
            }
            if (rl.initNumOfThreads().isPresent() && rl.initNumOfThreads().getAsLong() != s.tcsInit()) {
                out.add(new Adjustment("TCS at load", "init_num_of_threads", rl.initNumOfThreads().getAsLong(),
                        s.tcsInit(), false, "non-EDMM builds create all max_num_of_threads TCS at load"));
            }
        }
        return out;
    }
}
