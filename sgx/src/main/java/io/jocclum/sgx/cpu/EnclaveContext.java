package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;

import java.lang.foreign.MemorySegment;

/**
 * What software running inside an initialised enclave can do: load and store at linear addresses
 * of its ELRANGE, and the ENCLU leaves, plus the OCALLs to the untrusted runtime that drive the
 * driver's SGX2 ioctls. The LibOS is written against this interface only.
 *
 * <p>Memory accesses are checked against the EPCM as the CPU does: the page must be valid, not
 * PENDING or MODIFIED, of type REG, and allow the access (R for loads, W for stores); otherwise
 * {@link EnclaveFault} with kind PAGE_FAULT. A page that is valid but evicted is brought back by
 * the driver's fault path (ELDU) transparently, charging the fault and the leaves to the
 * enclave's cost account; if the driver cannot get an EPC page the access fails with kind SIGBUS.
 * An access that spans pages is performed page by page: a fault part-way leaves the earlier pages
 * written. All methods are safe to call from many threads at once.
 *
 * <p>Addresses are absolute linear addresses (SECS.BASEADDR + offset).
 */
public interface EnclaveContext {

    /** SECS.BASEADDR. */
    long base();

    /** SECS.SIZE: the size of ELRANGE. */
    long size();

    /** True on an SGX2 platform: EAUG, EACCEPT, EACCEPTCOPY, EMODPE and the SGX2 ioctls work. */
    boolean edmm();

    // ---- memory ---------------------------------------------------------------------------

    void read(long address, byte[] dst, int offset, int length);

    void write(long address, byte[] src, int offset, int length);

    /** Copies {@code length} bytes from enclave memory into {@code dst} at {@code dstOffset}. */
    void read(long address, MemorySegment dst, long dstOffset, long length);

    /** Copies {@code length} bytes from {@code src} at {@code srcOffset} into enclave memory. */
    void write(long address, MemorySegment src, long srcOffset, long length);

    /** Stores {@code length} copies of {@code value} (needs W, like a store). */
    void fill(long address, long length, byte value);

    byte readByte(long address);

    void writeByte(long address, byte value);

    /** Little-endian, may be unaligned (then it may span two pages). */
    int readInt(long address);

    void writeInt(long address, int value);

    long readLong(long address);

    void writeLong(long address, long value);

    // ---- ENCLU ----------------------------------------------------------------------------

    /**
     * EACCEPT of the page at {@code address} with {@code secInfo} (e.g. REG|RW|PENDING after EAUG,
     * REG|PR after EMODPR, TRIM|MODIFIED after EMODT). If no EPC page backs the address and the
     * enclave is initialised on an SGX2 platform, the resulting #PF makes the driver EAUG a page
     * first, as Linux does. Returns the status in RAX ({@code SgxStatus.SUCCESS.code()} or
     * PAGE_ATTRIBUTES_MISMATCH, PAGE_NOT_MODIFIABLE, NOT_TRACKED, ...).
     */
    int eaccept(long address, SecInfo secInfo);

    /**
     * EACCEPTCOPY: copies the 4096 bytes of {@code source} into the PENDING page at
     * {@code address} and gives it the permissions of {@code secInfo} (REG, PENDING). EAUGs first
     * like {@link #eaccept}. Returns the status in RAX.
     */
    int eacceptcopy(long address, SecInfo secInfo, byte[] source);

    /**
     * {@link #eaccept} of each page of [{@code address}, {@code address + length}) in address
     * order, stopping at the first page whose status is not SUCCESS (that status is returned;
     * SUCCESS when every page was accepted) or whose access faults (the fault is thrown). Each
     * page accepted is passed to {@code accepted} before the next one is tried. The leaves, faults
     * and charges are those of the loop of {@link #eaccept}; an implementation may handle the
     * driver's EAUGs for a run of pages at once.
     */
    default int eacceptRange(long address, long length, SecInfo secInfo, java.util.function.LongConsumer accepted) {
        for (long a = address; a < address + length; a += io.jocclum.sgx.arch.Pages.SIZE) {
            int st = eaccept(a, secInfo);
            if (st != 0) {
                return st;
            }
            accepted.accept(a);
        }
        return 0;
    }

    /** {@link #eacceptcopy} of each page of the range with the same {@code source}, as {@link #eacceptRange}. */
    default int eacceptcopyRange(long address, long length, SecInfo secInfo, byte[] source,
                                 java.util.function.LongConsumer accepted) {
        for (long a = address; a < address + length; a += io.jocclum.sgx.arch.Pages.SIZE) {
            int st = eacceptcopy(a, secInfo, source);
            if (st != 0) {
                return st;
            }
            accepted.accept(a);
        }
        return 0;
    }

    /** EMODPE: extends the EPCM permissions of a page to include {@code secInfo}'s R/W/X. */
    void emodpe(long address, SecInfo secInfo);

    /**
     * {@link #emodpe} of each page of [{@code address}, {@code address + length}) in address order,
     * stopping at the first page whose leaf faults (the fault is thrown, the pages before it are
     * extended). The leaves, faults and charges are those of the loop of {@link #emodpe}.
     */
    default void emodpeRange(long address, long length, SecInfo secInfo) {
        for (long a = address; a < address + length; a += io.jocclum.sgx.arch.Pages.SIZE) {
            emodpe(a, secInfo);
        }
    }

    /** EREPORT for {@code targetInfo} (512 bytes) with 64 bytes of report data; returns the 432-byte REPORT. */
    byte[] ereport(byte[] targetInfo, byte[] reportData);

    /** EGETKEY for a 512-byte KEYREQUEST; returns the 16-byte key or throws on a bad request. */
    byte[] egetkey(byte[] keyRequest);

    // ---- OCALLs to the untrusted runtime, which issues the driver's SGX2 ioctls --------------

    /** SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS: EMODPR of every page of the range to {@code perms}; pages then need EACCEPT(PR). */
    void restrictPermissions(long address, long length, long perms);

    /** SGX_IOC_ENCLAVE_MODIFY_TYPES: EMODT of every page of the range to {@code type} (TCS or TRIM); pages then need EACCEPT. */
    void modifyTypes(long address, long length, PageType type);

    /** SGX_IOC_ENCLAVE_REMOVE_PAGES: EREMOVE of trimmed, accepted pages, giving their EPC back. */
    void removePages(long address, long length);

    /** Charges an OCALL round trip (exit and re-entry) that carried {@code bytes} of data to the cost account. */
    void ocall(long bytes);
}
