package io.jocclum.sgx.cpu;

/**
 * An ENCLS leaf faulted instead of returning a status: the architectural exception (#GP, #PF or #UD)
 * the leaf raised to the kernel. Linux's {@code encls_faulted()} case; the driver maps it to an errno
 * (usually EIO or EFAULT). Carries no stack trace.
 */
public final class EnclsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The exception vector. */
    public enum Trap {
        /** #GP(0). */
        GP,
        /** #PF. */
        PF,
        /** #UD: the leaf does not exist (SGX2 leaf on an SGX1 CPU). */
        UD
    }

    private final transient Trap trap;
    private final String leaf;

    public EnclsException(String leaf, Trap trap, String detail) {
        super(leaf + " #" + trap + ": " + detail, null, false, false);
        this.leaf = leaf;
        this.trap = trap;
    }

    public Trap trap() {
        return trap;
    }

    public String leaf() {
        return leaf;
    }
}
