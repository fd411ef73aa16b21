package io.jocclum.libos.vm;

/** Who performs a guest memory access, which decides how a failure is reported. */
public enum AccessMode {
    /** The guest program itself: a failure raises a {@link GuestFault} (SIGSEGV or SIGBUS). */
    USER,
    /**
     * The LibOS on behalf of a syscall (copying from or into a user buffer): a failure is the
     * errno EFAULT, as Linux's copy_to_user/copy_from_user return it.
     */
    KERNEL
}
