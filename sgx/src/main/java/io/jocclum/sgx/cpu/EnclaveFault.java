package io.jocclum.sgx.cpu;

/**
 * A fault raised to software running inside an enclave, or the signal the kernel delivers to the
 * enclave's host process when it cannot resolve a fault. The LibOS turns these into guest signals
 * (SIGSEGV, SIGBUS) or handles them (e.g. commits a page and retries).
 */
public final class EnclaveFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What happened. */
    public enum Kind {
        /** #PF: no valid EPCM entry, permission denied by the EPCM, PENDING/MODIFIED page, or outside ELRANGE. */
        PAGE_FAULT,
        /** #GP: an architectural precondition of a leaf failed (alignment, page type, state). */
        GENERAL_PROTECTION,
        /** #UD: the leaf does not exist on this platform (an SGX2 leaf on an SGX1-only CPU). */
        INVALID_OPCODE,
        /** The driver could not provide an EPC page for the fault (no memory, cgroup limit, vEPC): SIGBUS. */
        SIGBUS,
        /** An evicted page failed its integrity check at ELDU (tampered, swapped or replayed backing). */
        INTEGRITY,
        /**
         * The fault could not be resolved yet (no EPC page: EBUSY) and the host task has a signal
         * pending: the kernel delivers the signal on the way back to user space instead of letting
         * the task re-fault, so a killed process stops here.
         */
        KILLED
    }

    private final Kind kind;
    private final long address;
    private final boolean write;
    private final String detail;

    public EnclaveFault(Kind kind, long address, boolean write, String detail) {
        super(null, null, false, false);
        this.kind = kind;
        this.address = address;
        this.write = write;
        this.detail = detail;
    }

    /** Built when asked for: most faults are resolved by the driver and never shown. */
    @Override
    public String getMessage() {
        return kind + " at 0x" + Long.toHexString(address) + (write ? " (write)" : "") + ": " + detail;
    }

    public Kind kind() {
        return kind;
    }

    /** The faulting linear address. */
    public long address() {
        return address;
    }

    /** True if the faulting access was a write. */
    public boolean isWrite() {
        return write;
    }
}
