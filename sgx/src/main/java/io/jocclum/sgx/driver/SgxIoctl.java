package io.jocclum.sgx.driver;

import io.jocclum.sgx.arch.SecInfo;

import java.lang.foreign.MemorySegment;

/**
 * The SGX uapi (arch/x86/include/uapi/asm/sgx.h): ioctl numbers and argument structures. The
 * structures are mutable like their C counterparts: the kernel writes {@code count} and
 * {@code result} back into them, also when the ioctl fails. Pointers become Java values (the SECS,
 * SIGSTRUCT, source pages and SECINFO themselves).
 */
public final class SgxIoctl {
    /** SGX_MAGIC. */
    public static final int SGX_MAGIC = 0xA4;
    /** _IOW(SGX_MAGIC, 0x00, struct sgx_enclave_create). */
    public static final int SGX_IOC_ENCLAVE_CREATE = iow(0x00, 8);
    /** _IOWR(SGX_MAGIC, 0x01, struct sgx_enclave_add_pages). */
    public static final int SGX_IOC_ENCLAVE_ADD_PAGES = iowr(0x01, 48);
    /** _IOW(SGX_MAGIC, 0x02, struct sgx_enclave_init). */
    public static final int SGX_IOC_ENCLAVE_INIT = iow(0x02, 8);
    /** _IOW(SGX_MAGIC, 0x03, struct sgx_enclave_provision). */
    public static final int SGX_IOC_ENCLAVE_PROVISION = iow(0x03, 4);
    /** _IO(SGX_MAGIC, 0x04): on /dev/sgx_vepc. */
    public static final int SGX_IOC_VEPC_REMOVE_ALL = (SGX_MAGIC << 8) | 0x04;
    /** _IOWR(SGX_MAGIC, 0x05, struct sgx_enclave_restrict_permissions). */
    public static final int SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS = iowr(0x05, 40);
    /** _IOWR(SGX_MAGIC, 0x06, struct sgx_enclave_modify_types). */
    public static final int SGX_IOC_ENCLAVE_MODIFY_TYPES = iowr(0x06, 40);
    /** _IOWR(SGX_MAGIC, 0x07, struct sgx_enclave_remove_pages). */
    public static final int SGX_IOC_ENCLAVE_REMOVE_PAGES = iowr(0x07, 24);

    /** SGX_PAGE_MEASURE: ADD_PAGES flag. */
    public static final long SGX_PAGE_MEASURE = 1;

    private SgxIoctl() {
    }

    private static int iow(int nr, int size) {
        return (1 << 30) | (size << 16) | (SGX_MAGIC << 8) | nr;
    }

    private static int iowr(int nr, int size) {
        return (3 << 30) | (size << 16) | (SGX_MAGIC << 8) | nr;
    }

    /** {@code struct sgx_enclave_create}: {@code src} is the 4096-byte SECS. */
    public static final class Create {
        public byte[] src;

        public Create(byte[] src) {
            this.src = src;
        }
    }

    /** {@code struct sgx_enclave_add_pages}. */
    public static final class AddPages {
        public MemorySegment src;
        public long offset;
        public long length;
        public SecInfo secinfo;
        public long flags;
        /** Out: bytes added. */
        public long count;

        public AddPages(MemorySegment src, long offset, long length, SecInfo secinfo, long flags) {
            this.src = src;
            this.offset = offset;
            this.length = length;
            this.secinfo = secinfo;
            this.flags = flags;
        }
    }

    /** {@code struct sgx_enclave_init}: {@code sigstruct} is the 1808-byte SIGSTRUCT. */
    public static final class Init {
        public byte[] sigstruct;

        public Init(byte[] sigstruct) {
            this.sigstruct = sigstruct;
        }
    }

    /** {@code struct sgx_enclave_provision}: an open /dev/sgx_provision. */
    public static final class Provision {
        public ProvisionFd fd;

        public Provision(ProvisionFd fd) {
            this.fd = fd;
        }
    }

    /** {@code struct sgx_enclave_restrict_permissions}. */
    public static final class RestrictPermissions {
        public long offset;
        public long length;
        public long permissions;
        /** Out: SGX error code of a failed EMODPR. */
        public long result;
        /** Out: bytes processed. */
        public long count;

        public RestrictPermissions(long offset, long length, long permissions) {
            this.offset = offset;
            this.length = length;
            this.permissions = permissions;
        }
    }

    /** {@code struct sgx_enclave_modify_types}. */
    public static final class ModifyTypes {
        public long offset;
        public long length;
        public long pageType;
        /** Out: SGX error code of a failed EMODT. */
        public long result;
        /** Out: bytes processed. */
        public long count;

        public ModifyTypes(long offset, long length, long pageType) {
            this.offset = offset;
            this.length = length;
            this.pageType = pageType;
        }
    }

    /** {@code struct sgx_enclave_remove_pages}. */
    public static final class RemovePages {
        public long offset;
        public long length;
        /** Out: bytes processed. */
        public long count;

        public RemovePages(long offset, long length) {
            this.offset = offset;
            this.length = length;
        }
    }
}
