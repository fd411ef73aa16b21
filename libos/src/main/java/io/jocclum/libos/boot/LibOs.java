package io.jocclum.libos.boot;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.libos.attest.SgxDevice;
import io.jocclum.libos.config.InternalConfig;
import io.jocclum.libos.config.Mount;
import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.HostWaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.Credentials;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileInvariants;
import io.jocclum.libos.fs.FsContext;
import io.jocclum.libos.fs.HostStreamFile;
import io.jocclum.libos.fs.MountSpec;
import io.jocclum.libos.fs.Vfs;
import io.jocclum.libos.fs.sefs.ImageKey;
import io.jocclum.libos.fs.sefs.SefsKey;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.Region;
import io.jocclum.libos.layout.RegionKind;
import io.jocclum.libos.process.Kernel;
import io.jocclum.libos.process.ProcView;
import io.jocclum.libos.process.Services;
import io.jocclum.libos.process.GuestProcess;
import io.jocclum.libos.process.TcsPool;
import io.jocclum.libos.programs.Programs;
import io.jocclum.libos.syscall.SyscallCounters;
import io.jocclum.libos.syscall.FileServices;
import io.jocclum.libos.syscall.SyscallFacade;
import io.jocclum.libos.syscall.Sysno;
import io.jocclum.libos.vm.UserSpace;
import io.jocclum.libos.vm.UserSpaceLayout;
import io.jocclum.libos.vm.VmStats;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.EnclaveLoader;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.cgroup.Cgroup;
import io.jocclum.sgx.cgroup.Controller;
import io.jocclum.sgx.cgroup.HostTask;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A booted enclave running the LibOS: what {@code jocclum run} drives, and the harness of the
 * LibOS tests and benchmarks.
 *
 * <h2>Boot ({@link #boot})</h2>
 * <ol>
 *   <li>Build/run mismatch (config-edmm.md): an instance built for EDMM on a platform without
 *   SGX2 is refused ({@link BootException}); a non-EDMM build on SGX2 runs without EDMM.</li>
 *   <li>The platform starts ({@link PlatformSettings}); a host task opens
 *   {@code /dev/sgx_enclave}; {@link EnclaveLoader} adds the layout's {@link EnclaveImage} (the
 *   one the build measured) through the driver's ioctls, CREATE then ADD_PAGES with
 *   SGX_PAGE_MEASURE for measured pages, at SECS.BASEADDR = SECS.SIZE (naturally aligned); EINIT
 *   with the build's SIGSTRUCT, which checks that the measurement equals the one
 *   {@code jocclum print mrenclave} shows.</li>
 *   <li>The untrusted runtime ECALLs into the LibOS through TCS 0 (charged); the LibOS then reads
 *   its internal config and sets up: the user space over the layout's reserved memory (and, on
 *   EDMM, the uncommitted user region), the file system (the image snapshot read-only at /, a
 *   tmpfs at /tmp as large as the kernel heap Max, the config's hostfs mounts, /dev), the TCS pool
 *   (the loaded TCSs; on EDMM more are added on demand up to TCSMaxNum), the kernel. On EDMM the
 *   kernel heap above Init, the TCS pool and the user region stay uncommitted; the LibOS's own
 *   data lives on the Java heap, so the kernel heap's dynamic part is never committed.</li>
 * </ol>
 * Start-up ends here: {@link RunStats#startupCycles()} is the enclave's cycles at this point.
 *
 * <h2>Run</h2>
 * {@link #run} spawns the program as init (pid 1) with the host's stdin/stdout/stderr as its
 * descriptors 0-2, waits for it, kills what is left (as the death of a pid namespace's init does)
 * and returns init's wait status. {@link #close} tears everything down. A long-running enclave
 * ({@code jocclum start}) runs no init: {@link #spawnHost} starts each program the host asks for
 * as a top-level process with its own stdio, all of them sharing the enclave.
 *
 * <p>Thread-safety: boot, run and close from one host thread; {@link #stats} and
 * {@link #checkInvariants} when quiescent (the latter), any time (the former).
 */
public final class LibOs implements AutoCloseable {
    private final BuiltEnclave built;
    private final BootOptions options;
    private final SgxPlatform platform;
    private final EnclaveFd fd;
    private final long base;
    private final boolean edmm;
    private final UserSpace userSpace;
    /** The kernel heap account (docs/config.md, "Kernel heap"). */
    private final KernelHeap kernelHeap;
    private final Vfs vfs;
    private final Kernel kernel;
    private final EntryPoints entryPoints;
    /** /proc's view of the kernel (set once the kernel exists; /proc is first read after boot). */
    private volatile ProcView procView;
    private final SyscallCounters syscalls;
    /** The guest threads' wait clock: every sleep on the host and every wake-up through it is an OCALL. */
    private final HostWaitClock waitClock;
    private final FileServices files = new FileServices();
    private final Programs programs;
    private final SgxDevice sgxDevice;
    /** Held while this LibOS uses the root's upper layer (two runs of one instance would overwrite each other's). */
    private final java.nio.channels.FileChannel upperLock;
    private final List<String> env;
    private final List<String> warnings;
    private final EnclaveStats startup;
    private final long committedAfterStartup;
    private final AtomicLong peakPages = new AtomicLong();
    private volatile long committedAtExit = -1;
    private volatile int exitStatus = -1;
    private boolean closed;

    /** Whether {@link #close} closes the enclave and the platform (false for a scenario's, whose engine owns them). */
    private final boolean ownsPlatform;

    private LibOs(BuiltEnclave built, BootOptions options, SgxPlatform platform, EnclaveFd fd, long base) {
        this(built, options, platform, fd, base, null, null);
    }

    private LibOs(BuiltEnclave built, BootOptions options, SgxPlatform platform, EnclaveFd fd, long base,
                  io.jocclum.libos.events.Gate gate, List<MountSpec> givenMounts) {
        this.ownsPlatform = gate == null;
        this.built = built;
        this.options = options;
        this.platform = platform;
        this.fd = fd;
        this.base = base;
        EnclaveLayout layout = built.layout();
        this.edmm = layout.edmm();
        EnclaveContext ctx = fd.context();
        InternalConfig cfg = built.internalConfig();
        this.entryPoints = new EntryPoints(cfg.entryPoints());
        this.warnings = new ArrayList<>();

        Region reserved = layout.region(RegionKind.RESERVED_USER);
        UserSpaceLayout usl = edmm
                ? new UserSpaceLayout(base + reserved.offset(), reserved.size(), base + layout.region(RegionKind.USER_REGION).offset(),
                layout.region(RegionKind.USER_REGION).size())
                : UserSpaceLayout.reservedOnly(base + reserved.offset(), reserved.size());
        this.userSpace = UserSpace.create(ctx, usl, options.vm());
        this.kernelHeap = kernelHeap(ctx, base, layout, cfg);
        userSpace.useKernelHeap(kernelHeap);
        userSpace.sysvShm().clock(() -> options.wallClock().instant().getEpochSecond());

        List<MountSpec> mounts = givenMounts != null ? givenMounts
                : mounts(built, cfg, layout.enclaveXml().heapMaxSize(), warnings, ctx, options);
        Vfs.Builder vb = Vfs.builder().random(new SplittableRandom(options.platform().seed())).wallClock(options.wallClock());
        mounts.forEach(vb::mount);
        vb.proc(() -> procView);
        this.sgxDevice = new SgxDevice(ctx, edmm, platform, options.platform().attestation(), options.wallClock());
        vb.device(sgxDevice.charDevice());
        this.upperLock = lockUpperLayer(mounts);
        try {
            this.vfs = vb.build();
        } catch (ErrnoException e) {
            unlock(upperLock);
            throw new BootException("the file system cannot be mounted (" + e.errno() + ": " + detail(e) + ")"
                    + mountAdvice(e.errno()));
        }
        this.waitClock = new HostWaitClock(options.clock(), () -> ctx.ocall(0));
        FdTable rootFds = new FdTable();
        rootFds.useKernelHeap(kernelHeap);
        Caller root = new Caller(rootFds, FsContext.initial(), Credentials.ROOT, ThreadSignals.NONE, Waiter.level(),
                waitClock);
        Set<Long> hostDevs = new HashSet<>();
        for (MountSpec m : mounts) {
            if (m instanceof MountSpec.HostDir) {
                hostDevs.add(vfs.stat(root, m.target()).dev());
            }
        }

        List<Region> tcsRegions = layout.regions().stream().filter(r -> r.kind() == RegionKind.TCS)
                .sorted(Comparator.comparingInt(Region::thread)).toList();
        List<Long> loaded = tcsRegions.stream().map(r -> base + r.offset()).toList();
        int tcsMax = layout.measuredData().tcsMaxNum();
        TcsPool.Grower grower = edmm && layout.has(RegionKind.TCS_POOL) ? new DynamicTcs(ctx, base, layout) : null;
        TcsPool tcs = new TcsPool(loaded, tcsMax, grower);

        this.syscalls = new SyscallCounters(options.platform().syscallCycles());
        this.programs = new Programs(vfs, options.programs(), hostDevs::contains, ctx::ocall);
        this.kernel = new Kernel(new Services(ctx, userSpace, vfs, hostDevs, programs, tcs, waitClock,
                options.wallClock(), () -> fd.enclave().account().snapshot().simulatedNanos(), cfg.process(), this::sampleCommitted,
                a -> fd.ecall(a, 0), gate));
        kernel.setFacades(t -> new SyscallFacade(t, syscalls, files));
        this.procView = new ProcView(kernel);

        this.env = environment(cfg, options.hostEnv());
        this.startup = fd.stats();
        this.committedAfterStartup = Pages.bytes(fd.enclave().pageCount());
        this.peakPages.set(fd.enclave().pageCount());
    }

    /**
     * The kernel heap of HeapInitSize/HeapMaxSize, with the LibOS's own state and the mounts'
     * declared caches charged; on EDMM it grows into the dynamic kernel-heap region.
     */
    private static KernelHeap kernelHeap(EnclaveContext ctx, long base, EnclaveLayout layout, InternalConfig cfg) {
        long init = layout.enclaveXml().heapInitSize();
        long max = layout.enclaveXml().heapMaxSize();
        boolean grows = layout.edmm() && layout.has(RegionKind.KERNEL_HEAP_DYNAMIC);
        KernelHeap heap = new KernelHeap(init, max, kernelHeapKey(layout.edmm()),
                grows ? new KernelHeapGrowth(ctx, base, layout) : null);
        long[] caches = {0};
        Mount.walk(cfg.mounts(), (path, m) -> m.options().cacheSize().ifPresent(c -> caches[0] += c));
        try {
            heap.charge(KernelHeap.Kind.LIBOS);
            heap.charge(KernelHeap.Kind.FS_CACHE, caches[0]);
        } catch (ErrnoException e) {
            throw new BootException("the kernel heap of " + io.jocclum.libos.config.Sizes.human(max) + " cannot hold the"
                    + " LibOS's own state (" + io.jocclum.libos.config.Sizes.human(KernelHeap.Kind.LIBOS.bytes())
                    + ") and the mounts' caches (" + io.jocclum.libos.config.Sizes.human(caches[0]) + "); raise "
                    + kernelHeapKey(layout.edmm()) + ".");
        }
        return heap;
    }

    /** The Occlum.json key that sets the kernel heap's limit in a build. */
    public static String kernelHeapKey(boolean edmm) {
        return edmm ? "resource_limits.kernel_space_heap_max_size (the kernel heap Max, at least 1GB in an EDMM build)"
                : "resource_limits.kernel_space_heap_max_size, or kernel_space_heap_size when no Max is given (the"
                + " static kernel heap of a non-EDMM build)";
    }

    /** The kernel heap account of this LibOS. */
    public KernelHeap kernelHeap() {
        return kernelHeap;
    }

    /** env.default with the env.untrusted variables that {@code hostEnv} has (Occlum's env section). */
    private static List<String> environment(InternalConfig cfg, Map<String, String> hostEnv) {
        List<String> e = new ArrayList<>(cfg.env().defaults());
        for (String name : cfg.env().untrusted()) {
            String v = hostEnv.get(name);
            if (v != null) {
                e.removeIf(s -> s.startsWith(name + "="));
                e.add(name + "=" + v);
            }
        }
        return List.copyOf(e);
    }

    // ================================================================================ boot

    /**
     * Boots {@code built} as described in the class comment. {@link BootException} for the
     * user's mistakes (mismatch, an enclave the platform cannot hold, a stale build).
     */
    public static LibOs boot(BuiltEnclave built, BootOptions options) {
        return boot(built, options, phase -> { });
    }

    /**
     * As {@link #boot(BuiltEnclave, BootOptions)}, naming each phase to {@code phases} as it begins
     * (the platform, the load of the pages, EINIT, the LibOS), so a long boot can show where it is.
     */
    public static LibOs boot(BuiltEnclave built, BootOptions options, java.util.function.Consumer<String> phases) {
        EnclaveLayout layout = built.layout();
        PlatformSettings ps = options.platform();
        if (layout.edmm() && !ps.sgx2()) {
            throw new BootException("this instance was built for EDMM (ENABLE_EDMM=Y or --enable-edmm) but the platform has no"
                    + " SGX2 (--sgx1 or \"sgx2\": false), which EDMM needs; rebuild it without EDMM or run it on an SGX2 platform.");
        }
        long size = layout.secs().size();
        if (size > (1L << 46)) {
            throw new BootException("the enclave's address range (SECS.SIZE " + io.jocclum.libos.config.Sizes.human(size)
                    + ") does not fit below the 128TB user address limit at a naturally aligned base; lower the sizes in Occlum.json.");
        }
        phases.accept("starting the simulated platform (" + ps.describe() + ")");
        SgxPlatform platform = SgxPlatform.start(ps.toPlatformConfig());
        EnclaveFd fd = null;
        try {
            HostTask task = platform.newTask("jocclum-run");
            if (ps.backingLimit().isPresent()) {
                // The backing store (evicted pages, PCMD) is charged to the task's memory cgroup.
                var cgroups = platform.cgroups();
                cgroups.setSubtreeControl(cgroups.root(), java.util.Set.of(Controller.MEMORY), java.util.Set.of());
                Cgroup cg = cgroups.mkdir(cgroups.root(), "jocclum-run");
                cgroups.fs().write("/jocclum-run", "memory.max", Long.toString(ps.backingLimit().getAsLong()));
                cgroups.attach(task, cg);
            }
            fd = platform.openEnclave(task);
            EnclaveImage image = layout.image();
            long base = image.base();
            EnclaveLoader loader = new EnclaveLoader(fd);
            phases.accept("loading the enclave: " + layout.eaddCount() + " pages added (EADD), "
                    + layout.eextendCount() + " records measured (EEXTEND)");
            try {
                loader.add(image);
            } catch (ErrnoException e) {
                throw new BootException("the enclave could not be loaded on this platform (" + e.errno() + " after "
                        + loader.pagesAdded() + " of " + layout.eaddCount() + " pages, " + ps.describe() + "): " + advice(e.errno()));
            }
            phases.accept("initialising the enclave (EINIT)");
            try {
                fd.init(built.sigStruct().toBytes());
            } catch (ErrnoException e) {
                throw new BootException("EINIT refused the enclave (" + e.errno() + "): the build's SIGSTRUCT does not match what"
                        + " was loaded; run jocclum build -f and try again.");
            }
            Region tcs0 = layout.regions().stream().filter(r -> r.kind() == RegionKind.TCS && r.thread() == 0).findFirst()
                    .orElseThrow();
            phases.accept("starting the LibOS (file systems, processes)");
            fd.ecall(base + tcs0.offset(), built.internalConfigBytes().length);
            return new LibOs(built, options, platform, fd, base);
        } catch (RuntimeException e) {
            if (fd != null) {
                fd.close();
            }
            platform.close();
            throw e;
        }
    }

    /**
     * Starts the LibOS in an enclave that a scenario's engine has created, loaded, initialised
     * (EINIT with {@code built}'s SIGSTRUCT) and entered on its shared platform: the same set-up as
     * {@link #boot}'s last step, with {@code gate} scheduling every guest thread and serving as the
     * clocks (set them in {@code options} with {@link BootOptions#withClocks}). {@code mounts}
     * replaces the configuration's mount section when not null (an inline configuration has no
     * image on disk). {@link #close} then leaves the enclave and the platform to the engine, and
     * must be called only once every guest thread has ended (the engine runs them to their end).
     */
    public static LibOs attach(BuiltEnclave built, BootOptions options, SgxPlatform platform, EnclaveFd fd,
                               io.jocclum.libos.events.Gate gate, List<MountSpec> mounts) {
        java.util.Objects.requireNonNull(gate, "gate");
        return new LibOs(built, options, platform, fd, built.layout().image().base(), gate, mounts);
    }

    private static String advice(Errno e) {
        return switch (e) {
            case ENOMEM -> "the EPC is too small and nothing can be evicted; give more EPC (--epc) or raise the backing memory limit.";
            // the memcg OOM killer ended the loading task: evicted pages did not fit under the backing memory limit
            case EINTR -> "the EPC is too small and the host's OOM killer ended the loading process because evicted pages"
                    + " exceed the backing memory limit; give more EPC (--epc) or raise the backing memory limit.";
            default -> "the driver refused the load.";
        };
    }

    /** The file system of the internal config's mount section (see docs/run.md and docs/filesystem.md). */
    private static List<MountSpec> mounts(BuiltEnclave built, InternalConfig cfg, long tmpfsBytes, List<String> warnings,
                                          EnclaveContext ctx, BootOptions options) {
        Optional<byte[]> imageKey = options.imageKey();
        Path root = built.paths().root();
        List<MountSpec> out = new ArrayList<>();
        MountSpec rootUnion = null;
        boolean tmp = false;
        byte[] autoKey = null;
        for (int i = 0; i < cfg.mounts().size(); i++) {
            Mount m = cfg.mounts().get(i);
            String where = "mount[" + i + "] (" + m.type() + " at " + m.target() + ")";
            switch (m.type()) {
                case "unionfs" -> {
                    if (!m.target().equals("/")) {
                        warnings.add(where + " is not mounted: only the root union is supported.");
                        continue;
                    }
                    Mount image = null;
                    Mount container = null;
                    for (Mount l : m.options().layers().orElse(List.of())) {
                        boolean isImage = l.options().mac().isPresent() || l.options().index().orElse(0) == 1;
                        if (isImage && image == null) {
                            image = l;
                        } else if (!isImage && container == null) {
                            container = l;
                        }
                    }
                    if (image == null || container == null || image.source().isEmpty() || container.source().isEmpty()) {
                        throw new BootException(where + ": the root union needs an image layer (with options.MAC) and a"
                                + " container layer, each with a source, as in Occlum's template.");
                    }
                    byte[] mac;
                    try {
                        mac = ImageKey.parse(image.options().mac().orElse(""));
                    } catch (IllegalArgumentException e) {
                        throw new BootException("the image layer's MAC in build/Occlum_sys.json is not a SEFS root MAC; run"
                                + " jocclum build -f.");
                    }
                    Path upper = options.upperLayer().orElse(root.resolve(container.source().get()).normalize());
                    try {
                        Files.createDirectories(upper);
                    } catch (java.io.IOException e) {
                        throw new BootException("cannot create the upper layer " + upper + ": " + e.getMessage());
                    }
                    if (imageKey.isEmpty() && autoKey == null) {
                        autoKey = autoKey(ctx);
                    }
                    byte[] upperKey = imageKey.orElse(autoKey);
                    rootUnion = new MountSpec.RootUnion(root.resolve(image.source().get()).normalize(),
                            imageKey.map(k -> SefsKey.encrypted(k, mac)).orElse(SefsKey.integrityOnly(mac)), upper,
                            SefsKey.encrypted(upperKey));
                }
                case "hostfs", "sefs" -> {
                    if (m.target().equals("/")) {
                        warnings.add(where + " is ignored: the root is the union of the image and run/mount/__ROOT.");
                        continue;
                    }
                    Path src = root.resolve(m.source().orElse(".")).normalize();
                    if (!Files.isDirectory(src)) {
                        throw new BootException(where + ": its source " + src + " is not a directory; create it or fix the mount.");
                    }
                    if (m.type().equals("hostfs")) {
                        out.add(new MountSpec.HostDir(m.target(), src, false));
                        continue;
                    }
                    if (m.options().temporary().orElse(false)) {
                        clear(src, where);
                    }
                    SefsKey key;
                    if (m.options().mac().isPresent()) {
                        try {
                            key = SefsKey.integrityOnly(ImageKey.parse(m.options().mac().get()));
                        } catch (IllegalArgumentException e) {
                            throw new BootException(where + ": options.MAC: " + e.getMessage() + ".");
                        }
                    } else {
                        if (autoKey == null) {
                            autoKey = autoKey(ctx);
                        }
                        key = SefsKey.encrypted(autoKey);
                    }
                    out.add(new MountSpec.Sefs(m.target(), src, key));
                }
                case "ramfs" -> {
                    out.add(new MountSpec.Tmpfs(m.target(), tmpfsBytes));
                    tmp |= m.target().equals("/tmp");
                }
                case "devfs" -> {
                    if (!m.target().equals("/dev")) {
                        warnings.add(where + " is not mounted: devfs is always at /dev.");
                    }
                }
                default -> warnings.add(where + " is not mounted: " + m.type() + " is not supported by jocclum's LibOS.");
            }
            tmp |= m.target().equals("/tmp");
        }
        if (rootUnion == null) {
            throw new BootException("the configuration has no root union (a unionfs mount at /); run jocclum build -f.");
        }
        out.addFirst(rootUnion);
        if (!tmp) {
            out.add(new MountSpec.Tmpfs("/tmp", tmpfsBytes));
        }
        if (out.stream().noneMatch(m -> m.target().equals("/dev/shm"))) {
            // Occlum's devfs mounts a fresh ramfs at /dev/shm (fs/dev_fs/mod.rs): POSIX shared memory
            out.add(new MountSpec.Tmpfs("/dev/shm", tmpfsBytes));
        }
        return out;
    }

    private static java.nio.channels.FileChannel lockUpperLayer(List<MountSpec> mounts) {
        for (MountSpec m : mounts) {
            if (m instanceof MountSpec.RootUnion u) {
                Path lock = u.upperDir().resolveSibling(u.upperDir().getFileName() + ".lock");
                try {
                    var ch = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.WRITE);
                    java.nio.channels.FileLock l;
                    try {
                        l = ch.tryLock();
                    } catch (java.nio.channels.OverlappingFileLockException e) {
                        l = null;
                    }
                    if (l == null) {
                        ch.close();
                        throw new BootException("another run of this instance is using " + u.upperDir() + "; wait for it to"
                                + " end (occlum run refuses a second run of an instance too).");
                    }
                    return ch;
                } catch (java.io.IOException e) {
                    throw new BootException("cannot lock the upper layer " + u.upperDir() + ": " + e.getMessage());
                }
            }
        }
        return null;
    }

    private static void unlock(java.nio.channels.FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (java.io.IOException e) {
                // the lock goes with the process anyway
            }
        }
    }

    /**
     * The SEFS auto key (Occlum's PFS auto key): EGETKEY's SEAL key with the MRSIGNER policy, so
     * it depends on the signer, ISVPRODID and the platform, not on MRENCLAVE.
     */
    private static byte[] autoKey(EnclaveContext ctx) {
        byte[] keyId = Arrays.copyOf("jocclum SEFS auto key".getBytes(StandardCharsets.US_ASCII), 32);
        return ctx.egetkey(new KeyRequest(KeyRequest.SEAL_KEY, KeyRequest.POLICY_MRSIGNER, 0, new byte[16],
                Attributes.SDK_DEFAULT_MASK, keyId, 0, 0).toBytes());
    }

    /** Empties a {@code temporary} sefs mount's directory (Occlum creates such a SEFS afresh). */
    private static void clear(Path dir, String where) {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                io.jocclum.libos.build.EnclaveBuilder.deleteTree(p);
            }
        } catch (java.io.IOException e) {
            throw new BootException(where + ": cannot empty " + dir + " (temporary): " + e.getMessage());
        }
    }

    // ================================================================================ run

    /**
     * Runs {@code path} with {@code args} as init and returns its wait status once every process
     * has ended. {@link BootException} when the program cannot be started.
     */
    public int run(String path, List<String> args) throws InterruptedException {
        spawnInit(path, args);
        int status = kernel.awaitInit();
        kernel.awaitQuiescent();
        finish(status);
        return status;
    }

    /** The entry points of the configuration: the host may start programs under them only. */
    public List<String> entryPoints() {
        return entryPoints.list();
    }

    /**
     * Starts {@code path} as init (pid 1) without waiting. The host starts it, so the
     * configuration's entry points apply: {@link ProgramRejected} (EINVAL, EACCES) otherwise.
     */
    public GuestProcess spawnInit(String path, List<String> args) {
        entryPoints.validate(path);
        List<String> argv = new ArrayList<>();
        argv.add(path);
        argv.addAll(args);
        FdTable stdio = HostStreamFile.stdio(options.stdin(), options.stdout(), options.stderr(), fd.context());
        stdio.useKernelHeap(kernelHeap);
        try {
            return kernel.spawnInit(path, argv.toArray(String[]::new), env.toArray(String[]::new), stdio);
        } catch (ErrnoException e) {
            stdio.closeAll();
            throw new BootException(programError(path, e));
        }
    }

    /**
     * Starts {@code path} from the host as a top-level process next to the running ones, not as
     * init (what {@code jocclum exec} asks of a started enclave, as Occlum's {@code occlum exec}):
     * {@code stdin}, {@code stdout} and {@code stderr} are its descriptors 0-2 (inherited by what it
     * spawns), its environment is env.default plus the env.untrusted variables of {@code hostEnv}.
     * Wait for it with {@link #awaitExit(GuestProcess)}, signal it with {@link #signal}.
     * {@link BootException} when the program cannot be started.
     */
    public GuestProcess spawnHost(String path, List<String> args, Map<String, String> hostEnv, java.io.InputStream stdin,
                                  java.io.OutputStream stdout, java.io.OutputStream stderr) {
        List<String> argv = new ArrayList<>();
        argv.add(path);
        argv.addAll(args);
        FdTable stdio = HostStreamFile.stdio(stdin, stdout, stderr, fd.context());
        stdio.useKernelHeap(kernelHeap);
        try {
            return kernel.spawnTopLevel(path, argv.toArray(String[]::new),
                    environment(built.internalConfig(), hostEnv).toArray(String[]::new), stdio);
        } catch (ErrnoException e) {
            stdio.closeAll();
            throw new BootException(programError(path, e));
        }
    }

    /** Waits until {@code p}, started by {@link #spawnHost}, has exited; returns its wait status. */
    public int awaitExit(GuestProcess p) throws InterruptedException {
        int status = kernel.awaitTopLevel(p);
        sampleCommitted();
        return status;
    }

    /** Sends {@code sig} to {@code p} from the host (as kill(2) from outside the enclave); nothing once it has exited. */
    public void signal(GuestProcess p, int sig) {
        kernel.sendSignal(p, sig);
    }

    /** Waits for init to exit and every other process to end; returns init's status. */
    public int awaitExit() throws InterruptedException {
        int status = kernel.awaitInit();
        kernel.awaitQuiescent();
        finish(status);
        return status;
    }

    private void finish(int status) {
        exitStatus = status;
        syncFiles();
        sampleCommitted();
        committedAtExit = Pages.bytes(fd.enclave().pageCount());
    }

    private String programError(String path, ErrnoException e) {
        return programError(path, e, options.programs());
    }

    /**
     * The sentence for a program the host cannot start: {@code e} is what looking it up or loading
     * it gave ({@code jocclum run} also says it before booting, for a path it can see is missing).
     */
    public static String programError(String path, ErrnoException e, io.jocclum.libos.programs.ProgramRegistry programs) {
        String builtins = String.join(", ", programs.names());
        return switch (e.errno()) {
            case ENOENT, ENOTDIR -> "there is no program " + path + " in the instance's image (built-ins under /bin: " + builtins
                    + "; user programs are jar files placed in image/, then jocclum build).";
            case ENOEXEC -> "cannot run " + path + ": " + detail(e) + " (a user program is a jar whose manifest names its"
                    + " entry class with Jocclum-Main-Class, see docs/guest-api.md).";
            case EACCES, EISDIR -> "cannot run " + path + ": it is not a regular file.";
            case ENOMEM -> "cannot run " + path + ": the user space has no room for its image, heap and stack (" + detail(e) + ").";
            default -> "cannot run " + path + ": " + e.errno() + " (" + e.errno().message() + ").";
        };
    }

    private static String mountAdvice(Errno e) {
        return switch (e) {
            case EACCES -> "; the image in build/mount/__ROOT is not the one this enclave was built with: run jocclum build -f.";
            case EIO -> "; a SEFS file was changed on the host, or it was written with another key (another signer, platform"
                    + " or image key).";
            case EINVAL -> "; the directory is not a SEFS of this mode, or run/mount/__ROOT was made for another image:"
                    + " run jocclum build to start a fresh upper layer.";
            default -> ".";
        };
    }

    private static String detail(ErrnoException e) {
        String m = e.getMessage();
        int colon = m.indexOf("): ");
        return colon >= 0 ? m.substring(colon + 3) : m;
    }

    /** Writes the SEFS mounts back (Occlum syncs every SEFS when a top-level process ends and at exit). */
    private void syncFiles() {
        try {
            vfs.sync();
        } catch (ErrnoException e) {
            warnings.add("the file system could not be written back: " + e.getMessage());
        }
    }

    private void sampleCommitted() {
        long n = fd.enclave().pageCount();
        if (n > peakPages.get()) {
            peakPages.accumulateAndGet(n, Math::max);
        }
    }

    // ================================================================================ inspection

    public Kernel kernel() {
        return kernel;
    }

    public UserSpace userSpace() {
        return userSpace;
    }

    public Vfs vfs() {
        return vfs;
    }

    public SgxPlatform platform() {
        return platform;
    }

    public EnclaveFd enclave() {
        return fd;
    }

    /** SECS.BASEADDR. */
    public long base() {
        return base;
    }

    /** EDMM in use. */
    public boolean edmm() {
        return edmm;
    }

    public BuiltEnclave built() {
        return built;
    }

    public SyscallCounters syscalls() {
        return syscalls;
    }

    /** What the boot could not honour of the mount section (one sentence each). */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The environment init gets: env.default plus the env.untrusted variables the host has. */
    public List<String> environment() {
        return env;
    }

    /** The enclave's counters at the end of start-up. */
    public EnclaveStats startupStats() {
        return startup;
    }

    /** Statistics of start-up and of the run so far. */
    public RunStats stats() {
        EnclaveStats now = fd.stats();
        VmStats vm = userSpace.stats();
        Map<String, Long> sys = new LinkedHashMap<>();
        for (Map.Entry<Sysno, Long> e : syscalls.snapshot().entrySet()) {
            sys.put(e.getKey().linuxName(), e.getValue());
        }
        long atExit = committedAtExit >= 0 ? committedAtExit : Pages.bytes(fd.enclave().pageCount());
        sampleCommitted();
        return new RunStats(edmm, built.layout().edmm(), options.platform().describe(), options.platform().cpuHz(),
                startup.cycles(), startup.counts(), now.counts(), now.cycles(), syscalls.total(), syscalls.cycles(), sys,
                committedAfterStartup, Pages.bytes(peakPages.get()), atExit, vm.faults(), vm.pagesCommittedOnFault(),
                vm.pagesCommittedEagerly(), vm.pagesTrimmed(), kernel.tcs().added(), kernel.spawnedCount(),
                kernel.threadsCreated(), waitClock.sleeps(), waitClock.wakeups(), exitStatus, kernelHeap.snapshot());
    }

    /** Counter of one event over the whole run. */
    public long count(CostEvent e) {
        return fd.stats().count(e);
    }

    /**
     * The invariant checker of the whole stack, for tests, on a quiescent LibOS (no guest thread
     * running): VMAs, chunks, free space and commit tracker against the EPCM and page contents
     * (clean-on-free); the platform's EPC, EPCM, LRUs, VA slots, backing store and cgroup
     * counters; every fd table and open file of the live processes; the TCS pool; no internal
     * LibOS error. IllegalStateException listing the violations.
     */
    public void checkInvariants() {
        List<String> problems = new ArrayList<>();
        try {
            userSpace.checkInvariants(new EnclaveEpcmView(fd.enclave(), fd.context()));
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
        }
        List<FdTable> tables = new ArrayList<>();
        boolean quiescent = true;
        for (GuestProcess p : kernel.processes()) {
            if (!p.exited()) {
                tables.add(p.files());
                quiescent = false;
            }
        }
        try {
            FileInvariants.check(tables, quiescent);
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
        }
        try {
            kernel.tcs().checkInvariants(quiescent);
        } catch (IllegalStateException e) {
            problems.add(e.getMessage());
        }
        for (Throwable t : kernel.internalErrors()) {
            problems.add("internal LibOS error seen by a guest as EIO: " + t);
        }
        problems.addAll(platform.checkInvariants());
        if (!problems.isEmpty()) {
            throw new IllegalStateException("invariants violated:\n  " + String.join("\n  ", problems));
        }
    }

    /** Kills every process, waits for them, and shuts the LibOS, the enclave and the platform down. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kernel.killAll();
            kernel.awaitQuiescent();
            syncFiles();
            files.close();
            userSpace.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sgxDevice.close();
            unlock(upperLock);
            if (ownsPlatform) {
                fd.close();
                platform.close();
            }
        }
    }
}
