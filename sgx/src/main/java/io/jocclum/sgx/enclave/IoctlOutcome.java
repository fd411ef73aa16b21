package io.jocclum.sgx.enclave;

import io.jocclum.api.Errno;

/**
 * The result of a range ioctl: the kernel writes {@code count} (bytes processed) and, for the SGX2
 * ioctls, {@code result} (the SGX error code of a failed leaf) back into the user's struct, and
 * returns 0 or an errno.
 *
 * @param count  bytes processed before stopping
 * @param result SGX error code of a failed EMODPR/EMODT, else 0
 * @param error  the errno returned, null for success
 */
public record IoctlOutcome(long count, long result, Errno error) {
    public static IoctlOutcome ok(long count) {
        return new IoctlOutcome(count, 0, null);
    }
}
