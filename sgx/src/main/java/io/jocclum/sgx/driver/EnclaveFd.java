package io.jocclum.sgx.driver;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cost.EnclaveStats;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.enclave.Enclave;
import io.jocclum.sgx.enclave.IoctlOutcome;

/**
 * An open {@code /dev/sgx_enclave}: the ioctl façade of the driver ({@code sgx_ioctl} in ioctl.c).
 *
 * <p>One ioctl at a time per enclave (a concurrent one gets EBUSY, SGX_ENCL_IOCTL); an unknown
 * command gets ENOTTY; an argument of the wrong type is a bad pointer (EFAULT). This is the syscall
 * boundary, so the kernel-internal ERESTARTSYS leaves as EINTR (a handler without SA_RESTART).
 * Range ioctls write {@code count} (and {@code result}) back into the argument also on failure.
 * The ioctls run as the task that opened the file.
 */
public final class EnclaveFd implements AutoCloseable {
    private final SgxPlatform platform;
    private final Enclave encl;
    private final HostTask task;
    private volatile boolean closed;

    EnclaveFd(SgxPlatform platform, Enclave encl, HostTask task) {
        this.platform = platform;
        this.encl = encl;
        this.task = task;
    }

    /** ioctl(2) on the enclave file. Returns 0 or throws the errno. */
    public long ioctl(int cmd, Object arg) {
        if (closed) {
            throw Errno.EBADF.exception("enclave file is closed");
        }
        if (!encl.tryBeginIoctl()) {
            throw Errno.EBUSY.exception("another ioctl is running on this enclave");
        }
        try {
            if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_CREATE) {
                encl.create(arg(arg, SgxIoctl.Create.class).src, task);
            } else if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_ADD_PAGES) {
                SgxIoctl.AddPages a = arg(arg, SgxIoctl.AddPages.class);
                IoctlOutcome o = encl.addPages(a.src, a.offset, a.length, a.secinfo, a.flags, task);
                if (o.count() >= 0) {
                    a.count = o.count();
                }
                fail(o);
            } else if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_INIT) {
                encl.init(arg(arg, SgxIoctl.Init.class).sigstruct, null, task);
            } else if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_PROVISION) {
                ProvisionFd p = arg(arg, SgxIoctl.Provision.class).fd;
                if (p == null || !p.isOpen()) {
                    throw Errno.EINVAL.exception("not an open /dev/sgx_provision");
                }
                encl.allowProvisioning();
            } else if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS) {
                SgxIoctl.RestrictPermissions a = arg(arg, SgxIoctl.RestrictPermissions.class);
                IoctlOutcome o = encl.restrictPermissions(a.offset, a.length, a.permissions, a.result, a.count, task);
                a.count = o.count();
                a.result = o.result();
                fail(o);
            } else if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_MODIFY_TYPES) {
                SgxIoctl.ModifyTypes a = arg(arg, SgxIoctl.ModifyTypes.class);
                IoctlOutcome o = encl.modifyTypes(a.offset, a.length, a.pageType, a.result, a.count, task);
                a.count = o.count();
                a.result = o.result();
                fail(o);
            } else if (cmd == SgxIoctl.SGX_IOC_ENCLAVE_REMOVE_PAGES) {
                SgxIoctl.RemovePages a = arg(arg, SgxIoctl.RemovePages.class);
                IoctlOutcome o = encl.removePages(a.offset, a.length, a.count, task);
                a.count = o.count();
                fail(o);
            } else {
                throw Errno.ENOTTY.exception("unknown SGX ioctl 0x" + Integer.toHexString(cmd));
            }
            return 0;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.ERESTARTSYS) {
                throw Errno.EINTR.exception(e.getMessage());
            }
            throw e;
        } finally {
            encl.endIoctl();
        }
    }

    private static <T> T arg(Object arg, Class<T> type) {
        if (!type.isInstance(arg)) {
            throw Errno.EFAULT.exception("ioctl argument is not a " + type.getSimpleName());
        }
        return type.cast(arg);
    }

    private static void fail(IoctlOutcome o) {
        if (o.error() != null) {
            throw o.error().exception(o.count() >= 0 ? "after " + o.count() + " bytes" : null);
        }
    }

    // ---- typed conveniences ------------------------------------------------------------------------

    public void create(byte[] secs) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_CREATE, new SgxIoctl.Create(secs));
    }

    public void addPages(SgxIoctl.AddPages arg) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_ADD_PAGES, arg);
    }

    public void init(byte[] sigstruct) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_INIT, new SgxIoctl.Init(sigstruct));
    }

    public void provision(ProvisionFd fd) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_PROVISION, new SgxIoctl.Provision(fd));
    }

    public void restrictPermissions(SgxIoctl.RestrictPermissions arg) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, arg);
    }

    public void modifyTypes(SgxIoctl.ModifyTypes arg) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_MODIFY_TYPES, arg);
    }

    public void removePages(SgxIoctl.RemovePages arg) {
        ioctl(SgxIoctl.SGX_IOC_ENCLAVE_REMOVE_PAGES, arg);
    }

    // ---- the mapped enclave --------------------------------------------------------------------------

    /**
     * The untrusted runtime enters the enclave through the TCS at {@code tcs} (EENTER ... EEXIT),
     * carrying {@code bytes} of arguments: checks the TCS, charges an ECALL. Faults as
     * {@link io.jocclum.sgx.cpu.EnclaveFault} (#GP for a non-TCS page, SIGBUS when it cannot be loaded).
     */
    public void ecall(long tcs, long bytes) {
        encl.ecall(tcs, bytes);
    }

    /** The enclave as seen from inside (after EINIT). */
    public EnclaveContext context() {
        return encl.context();
    }

    /** The driver's enclave (statistics, backing file, inspection). */
    public Enclave enclave() {
        return encl;
    }

    public HostTask task() {
        return task;
    }

    public EnclaveStats stats() {
        return encl.stats();
    }

    public SgxPlatform platform() {
        return platform;
    }

    /** close(2) and unmap: the enclave is released once no reclaimer holds it. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            encl.close();
        }
    }
}
