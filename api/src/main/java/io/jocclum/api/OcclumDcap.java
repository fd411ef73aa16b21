package io.jocclum.api;

/**
 * Occlum's {@code occlum_dcap.h} (libocclum_dcap, occlum/occlum
 * {@code tools/toolchains/dcap_lib/inc/occlum_dcap.h}) for guest programs: a handle over
 * {@code /dev/sgx} and its DCAP ioctls ({@link SgxIoctls}), with the same steps and the same failure
 * values: {@link #open} gives null, the sizes 0, {@link #generateQuote} and {@link #verifyQuote} -1,
 * and a failed ioctl prints {@code OS error: <strerror> (os error <n>)} to standard output.
 *
 * <pre>{@code
 * OcclumDcap h = OcclumDcap.open(sys);
 * int size = h.quoteSize();                          // must come before generateQuote (the handle caches it)
 * long quote = Libc.alloc(sys, size);
 * h.generateQuote(quote, reportData);                // reportData: 64 bytes of guest memory
 * int supSize = h.supplementalDataSize();
 * h.verifyQuote(quote, size, statusAddr, resultAddr, supSize, supplementalAddr);
 * h.close();
 * }</pre>
 *
 * <p>As in the C library, {@link #generateQuote} passes the size cached by {@link #quoteSize} as the
 * buffer's capacity: without calling {@link #quoteSize} first it fails (capacity 0). Buffers are
 * guest addresses, as in C. Not thread-safe (one handle per thread, like the C handle).
 */
public final class OcclumDcap implements AutoCloseable {
    private final Syscalls sys;
    private final int fd;
    private final long scratch;
    private int quoteSize;
    private int supplementalSize;
    private boolean closed;

    private static final int SCRATCH = 4096;

    private OcclumDcap(Syscalls sys, int fd, long scratch) {
        this.sys = sys;
        this.fd = fd;
        this.scratch = scratch;
    }

    /** {@code dcap_quote_open}: opens {@code /dev/sgx} read-only; null on failure (also for descriptor 0, as the C library). */
    public static OcclumDcap open(Syscalls sys) {
        int fd;
        try {
            fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
        } catch (ErrnoException e) {
            osError(sys, e);
            return null;
        }
        if (fd == 0) {
            sys.close(fd);
            return null;
        }
        return new OcclumDcap(sys, fd, Libc.alloc(sys, SCRATCH));
    }

    /** The descriptor of {@code /dev/sgx}. */
    public int fd() {
        return fd;
    }

    /** {@code dcap_get_quote_size}: the quote size (cached in the handle), 0 on failure. */
    public int quoteSize() {
        if (closed) {
            return 0;
        }
        try {
            sys.ioctl(fd, SgxIoctls.GET_DCAP_QUOTE_SIZE, scratch);
            quoteSize = sys.loadInt(scratch);
            return quoteSize;
        } catch (ErrnoException e) {
            osError(sys, e);
            return 0;
        }
    }

    /**
     * {@code dcap_generate_quote}: a quote binding the 64 bytes at {@code reportData}, into
     * {@code quoteBuf} (at least {@link #quoteSize} bytes); 0, or -1 on failure.
     */
    public int generateQuote(long quoteBuf, long reportData) {
        if (closed) {
            return -1;
        }
        long arg = scratch;
        long len = scratch + 64;
        sys.storeInt(len, quoteSize);
        sys.storeLong(arg, reportData);
        sys.storeLong(arg + 8, len);
        sys.storeLong(arg + 16, quoteBuf);
        return call(SgxIoctls.GEN_DCAP_QUOTE, arg);
    }

    /** {@code dcap_get_supplemental_data_size}: 0 on failure. */
    public int supplementalDataSize() {
        if (closed) {
            return 0;
        }
        try {
            sys.ioctl(fd, SgxIoctls.GET_DCAP_SUPPLEMENTAL_SIZE, scratch);
            supplementalSize = sys.loadInt(scratch);
            return supplementalSize;
        } catch (ErrnoException e) {
            osError(sys, e);
            return 0;
        }
    }

    /**
     * {@code dcap_verify_quote}: verifies the quote at {@code quote} inside the enclave; writes the
     * collateral expiration status (uint32) and the {@code sgx_ql_qv_result_t} (4 bytes) to the given
     * addresses and, when {@code supplementalData} is not 0, the supplemental data. 0, or -1 on failure
     * (a terminal verdict is a failure, as on Occlum).
     */
    public int verifyQuote(long quote, int quoteSize, long collateralExpirationStatus, long quoteVerificationResult,
                           int supplementalDataSize, long supplementalData) {
        if (closed) {
            return -1;
        }
        long arg = scratch;
        sys.storeLong(arg, quote);
        sys.storeLong(arg + 8, Integer.toUnsignedLong(quoteSize));
        sys.storeLong(arg + 16, collateralExpirationStatus);
        sys.storeLong(arg + 24, quoteVerificationResult);
        sys.storeLong(arg + 32, Integer.toUnsignedLong(supplementalDataSize));
        sys.storeLong(arg + 40, supplementalData);
        return call(SgxIoctls.VER_DCAP_QUOTE, arg);
    }

    private int call(int cmd, long arg) {
        try {
            sys.ioctl(fd, cmd, arg);
            return 0;
        } catch (ErrnoException e) {
            osError(sys, e);
            return -1;
        }
    }

    private static void osError(Syscalls sys, ErrnoException e) {
        Libc.puts(sys, "OS error: " + e.errno().message() + " (os error " + e.errno().number() + ")");
    }

    /** {@code dcap_quote_close}: closes the descriptor and frees the handle. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            sys.close(fd);
            Libc.free(sys, scratch, SCRATCH);
        }
    }
}
