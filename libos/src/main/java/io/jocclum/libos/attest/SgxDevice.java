package io.jocclum.libos.attest;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.api.SgxIoctls;
import io.jocclum.api.Stat;
import io.jocclum.dcap.PreparedCollateral;
import io.jocclum.dcap.QuoteVerifier;
import io.jocclum.dcap.TrustedRoot;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.CharDevice;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.UserMemoryIoctl;
import io.jocclum.libos.vm.GuestMemory;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.arch.Report;
import io.jocclum.sgx.arch.TargetInfo;
import io.jocclum.sgx.attest.AttestationPlatform;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.SgxStatusException;
import io.jocclum.sgx.crypto.AesCmac;
import io.jocclum.sgx.driver.SgxPlatform;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Occlum's {@code /dev/sgx} (occlum/occlum {@code src/libos/src/fs/dev_fs/dev_sgx/mod.rs}) in the
 * LibOS: EREPORT and EGETKEY for the guest, and DCAP quote generation and verification with the
 * simulated PCE and QE3 ({@link AttestationPlatform}) of the platform the enclave runs on. One per
 * booted LibOS; the quote generator starts on first use, as Occlum's lazily created
 * {@code SGX_DCAP_QUOTE_GENERATOR}, and a failed start is permanent (EIO, "DCAP device not ready").
 *
 * <p>Argument structures and errno values: {@link SgxIoctls} and docs/attestation.md. With
 * {@link AttestationSettings#occlumCompatErrno()} every failure becomes EINVAL, as Occlum's
 * {@code DevSgx::io_control} maps every error to {@code FsError::IOCTLError}.
 *
 * <p>Thread-safe.
 */
public final class SgxDevice {
    /** The device numbers of {@code /dev/sgx} (a misc character device). */
    public static final int MAJOR = 10;
    public static final int MINOR = 125;

    private final EnclaveContext ctx;
    private final boolean edmm;
    private final SgxPlatform platform;
    private final AttestationSettings settings;
    private final InstantSource clock;
    private AttestationPlatform generator;
    private PreparedCollateral prepared;
    private String generatorFailure;
    private boolean closed;

    /**
     * @param ctx      the enclave the LibOS runs in (EREPORT, EGETKEY)
     * @param edmm     the enclave uses EDMM (IS_EDMM_SUPPORTED)
     * @param platform the platform (its PCE and QE3 start there on first use)
     * @param settings fuses, TCB description, DCAP driver, errno style
     * @param clock    the LibOS wall clock: the time VER_DCAP_QUOTE checks collateral at
     */
    public SgxDevice(EnclaveContext ctx, boolean edmm, SgxPlatform platform, AttestationSettings settings, InstantSource clock) {
        this.ctx = ctx;
        this.edmm = edmm;
        this.platform = platform;
        this.settings = settings;
        this.clock = clock;
    }

    /** {@code /dev/sgx} for {@link io.jocclum.libos.fs.Vfs.Builder#device}. */
    public CharDevice charDevice() {
        return new CharDevice("sgx", MAJOR, MINOR, (flags, stat) -> new DevSgxFile(flags, stat));
    }

    /** The simulated PCE and QE3, started on first use; EIO when the platform has no DCAP driver or they cannot start. */
    public synchronized AttestationPlatform generator() {
        if (generator == null && generatorFailure == null) {
            if (closed) {
                throw Errno.EIO.exception("the LibOS is shutting down");
            }
            if (!settings.dcapDriver()) {
                generatorFailure = "DCAP device not ready: the platform has no DCAP driver (\"dcap_driver\": false)";
            } else {
                try {
                    generator = AttestationPlatform.start(platform, settings.tcb());
                    ctx.ocall(TargetInfo.SIZE + 4); // sgx_qe_get_target_info and sgx_qe_get_quote_size
                } catch (RuntimeException e) {
                    generatorFailure = "DCAP device not ready: " + e.getMessage();
                }
            }
        }
        if (generator == null) {
            throw Errno.EIO.exception(generatorFailure);
        }
        return generator;
    }

    /** The platform's collateral, checked once against the simulated root (the verifier of VER_DCAP_QUOTE). */
    synchronized PreparedCollateral prepared() {
        AttestationPlatform g = generator();
        if (prepared == null) {
            prepared = QuoteVerifier.prepare(g.collateral().toVerifierCollateral(), TrustedRoot.of(g.pki().root()));
        }
        return prepared;
    }

    /** Ends the PCE and QE3 if they were started (before the platform closes). */
    public synchronized void close() {
        closed = true;
        if (generator != null) {
            generator.close();
            generator = null;
            generatorFailure = "closed";
        }
    }

    InstantSource clock() {
        return clock;
    }

    /** Charges an OCALL carrying {@code bytes} to the enclave. */
    void ocall(long bytes) {
        ctx.ocall(bytes);
    }

    AttestationSettings settings() {
        return settings;
    }

    // ================================================================================ the ioctls

    int ioctl(int cmd, long arg, GuestMemory mem) {
        try {
            return dispatch(cmd, arg, mem);
        } catch (ErrnoException e) {
            if (settings.occlumCompatErrno() && e.errno() != Errno.EINVAL) {
                throw Errno.EINVAL.exception("(Occlum reports every /dev/sgx error as EINVAL; here: " + e.errno().name() + " "
                        + e.getMessage() + ")");
            }
            throw e;
        }
    }

    private int dispatch(int cmd, long arg, GuestMemory mem) {
        if (!known(cmd)) {
            throw Errno.ENOTTY.exception("unknown ioctl 0x" + Integer.toHexString(cmd) + " for /dev/sgx");
        }
        if (arg == 0) {
            throw Errno.EFAULT.exception("the argument of ioctl 0x" + Integer.toHexString(cmd) + " is NULL");
        }
        switch (cmd) {
            case SgxIoctls.IS_EDMM_SUPPORTED -> mem.writeInt(arg, edmm ? 1 : 0);
            case SgxIoctls.GET_EPID_GROUP_ID, SgxIoctls.GEN_EPID_QUOTE ->
                    throw Errno.EOPNOTSUPP.exception("EPID attestation is not supported (Intel retired it); use DCAP");
            case SgxIoctls.SELF_TARGET -> mem.write(arg, selfTarget(), 0, TargetInfo.SIZE);
            case SgxIoctls.CREATE_REPORT -> createReport(arg, mem);
            case SgxIoctls.VERIFY_REPORT -> verifyReport(read(mem, arg, Report.SIZE));
            case SgxIoctls.GET_KEY -> getKey(arg, mem);
            case SgxIoctls.DETECT_DCAP_DRIVER -> mem.writeInt(arg, settings.dcapDriver() ? 1 : 0);
            case SgxIoctls.GET_DCAP_QUOTE_SIZE -> mem.writeInt(arg, generator().quoteSize());
            case SgxIoctls.GEN_DCAP_QUOTE -> generateQuote(arg, mem);
            case SgxIoctls.GET_DCAP_SUPPLEMENTAL_SIZE -> mem.writeInt(arg, QuoteCheck.supplementalSize(this));
            case SgxIoctls.VER_DCAP_QUOTE -> QuoteCheck.verify(this, arg, mem);
            default -> throw new IllegalStateException("unhandled /dev/sgx ioctl 0x" + Integer.toHexString(cmd));
        }
        return 0;
    }

    private static boolean known(int cmd) {
        return switch (cmd) {
            case SgxIoctls.IS_EDMM_SUPPORTED, SgxIoctls.GET_EPID_GROUP_ID, SgxIoctls.GEN_EPID_QUOTE, SgxIoctls.SELF_TARGET,
                 SgxIoctls.CREATE_REPORT, SgxIoctls.VERIFY_REPORT, SgxIoctls.DETECT_DCAP_DRIVER, SgxIoctls.GET_DCAP_QUOTE_SIZE,
                 SgxIoctls.GEN_DCAP_QUOTE, SgxIoctls.GET_DCAP_SUPPLEMENTAL_SIZE, SgxIoctls.VER_DCAP_QUOTE, SgxIoctls.GET_KEY -> true;
            default -> false;
        };
    }

    static byte[] read(GuestMemory mem, long addr, int n) {
        byte[] b = new byte[n];
        mem.read(addr, b, 0, n);
        return b;
    }

    static ByteBuffer struct(GuestMemory mem, long addr, int n) {
        return ByteBuffer.wrap(read(mem, addr, n)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** sgx_self_target: the TARGETINFO of a REPORT for nobody. */
    byte[] selfTarget() {
        return TargetInfo.of(Report.parse(ctx.ereport(new byte[TargetInfo.SIZE], new byte[64]))).toBytes();
    }

    private void createReport(long arg, GuestMemory mem) {
        ByteBuffer a = struct(mem, arg, 24);
        long ti = a.getLong(0);
        long data = a.getLong(8);
        long out = a.getLong(16);
        if (out == 0) {
            throw Errno.EINVAL.exception("output pointer for report must not be null");
        }
        byte[] target = ti == 0 ? new byte[TargetInfo.SIZE] : read(mem, ti, TargetInfo.SIZE);
        byte[] reportData = data == 0 ? new byte[64] : read(mem, data, 64);
        mem.write(out, ctx.ereport(target, reportData), 0, Report.SIZE);
    }

    private void verifyReport(byte[] report) {
        if (!reportMacValid(report)) {
            throw Errno.EINVAL.exception("report MAC mismatch");
        }
    }

    /** sgx_verify_report: the REPORT's MAC under this enclave's REPORT key. */
    boolean reportMacValid(byte[] report) {
        byte[] keyId = Arrays.copyOfRange(report, 384, 416);
        byte[] key = ctx.egetkey(new KeyRequest(KeyRequest.REPORT_KEY, 0, 0, new byte[16],
                new io.jocclum.sgx.arch.Attributes(0, 0), keyId, 0, 0).toBytes());
        return MessageDigest.isEqual(AesCmac.mac(key, Arrays.copyOf(report, Report.BODY_SIZE)),
                Arrays.copyOfRange(report, 416, 432));
    }

    private void getKey(long arg, GuestMemory mem) {
        ByteBuffer a = struct(mem, arg, 16);
        long request = a.getLong(0);
        long out = a.getLong(8);
        if (request == 0) {
            throw Errno.EINVAL.exception("key_request must not be null");
        }
        if (out == 0) {
            throw Errno.EINVAL.exception("output pointer for key must not be null");
        }
        byte[] kr = read(mem, request, KeyRequest.SIZE);
        byte[] key;
        try {
            key = ctx.egetkey(kr);
        } catch (SgxStatusException e) {
            throw Errno.EINVAL.exception("EGETKEY: " + e.status());
        } catch (EnclaveFault e) {
            throw Errno.EINVAL.exception("EGETKEY: invalid parameters (" + e.getMessage() + ")");
        }
        mem.write(out, key, 0, 16);
    }

    private void generateQuote(long arg, GuestMemory mem) {
        ByteBuffer a = struct(mem, arg, 24);
        long reportData = a.getLong(0);
        long lenPtr = a.getLong(8);
        long buf = a.getLong(16);
        if (lenPtr == 0) {
            throw Errno.EFAULT.exception("quote_len is NULL");
        }
        long capacity = Integer.toUnsignedLong(mem.readInt(lenPtr));
        if (capacity > 0 && (buf == 0 || mem.accessiblePrefix(buf, capacity, true) < capacity)) {
            throw Errno.EFAULT.exception("the quote buffer does not hold " + capacity + " writable bytes");
        }
        AttestationPlatform g = generator();
        if (capacity < g.quoteSize()) {
            throw Errno.EINVAL.exception("provided quote buffer is too small: " + capacity + " < " + g.quoteSize());
        }
        if (reportData == 0) {
            throw Errno.EFAULT.exception("report_data is NULL");
        }
        byte[] report = ctx.ereport(g.qeTargetInfo(), read(mem, reportData, 64));
        byte[] quote;
        try {
            quote = g.quote(report);
        } catch (AttestationPlatform.InvalidReportException e) {
            throw Errno.EINVAL.exception("the QE rejected the report: " + e.getMessage());
        }
        ctx.ocall(Report.SIZE + quote.length); // sgx_qe_get_quote through the untrusted runtime
        mem.write(buf, quote, 0, quote.length);
    }

    /** An open {@code /dev/sgx}: read and write are EPERM (Occlum's DevSgx), ioctls reach guest memory. */
    private final class DevSgxFile extends OpenFile implements UserMemoryIoctl {
        private final Supplier<Stat> stat;

        DevSgxFile(int flags, Supplier<Stat> stat) {
            super(flags);
            this.stat = stat;
        }

        @Override
        public int ioctl(Caller caller, int cmd, long argAddr, GuestMemory kmem) {
            return SgxDevice.this.ioctl(cmd, argAddr, kmem);
        }

        @Override
        protected int doRead(Caller caller, ByteBuffer dst) {
            throw Errno.EPERM.exception("/dev/sgx cannot be read");
        }

        @Override
        protected int doWrite(Caller caller, ByteBuffer src) {
            throw Errno.EPERM.exception("/dev/sgx cannot be written");
        }

        @Override
        public Stat fstat() {
            return stat.get();
        }

        @Override
        public String toString() {
            return "/dev/sgx";
        }
    }
}
