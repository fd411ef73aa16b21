package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.SgxStatus;

/**
 * An ENCLU leaf that returns a value (EGETKEY) failed with an SGX error code in RAX, e.g.
 * INVALID_ATTRIBUTE or INVALID_KEYNAME. Carries no stack trace.
 */
public final class SgxStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient SgxStatus status;

    public SgxStatusException(String leaf, SgxStatus status, String detail) {
        super(leaf + " returned " + status + " (" + status.code() + "): " + detail, null, false, false);
        this.status = status;
    }

    public SgxStatus status() {
        return status;
    }
}
