package io.jocclum.libos.fs;

import io.jocclum.libos.vm.GuestMemory;

/**
 * An open file whose ioctls reach into the caller's memory themselves, as a Linux driver's
 * {@code unlocked_ioctl} does with copy_from_user/copy_to_user: the syscall layer passes the raw
 * argument address and the kernel-mode view of the process's memory (its accesses fail with EFAULT)
 * instead of copying an int. FIONBIO, FIOCLEX and FIONCLEX stay with the syscall layer.
 */
public interface UserMemoryIoctl {
    /** {@code ioctl(fd, cmd, argAddr)}; Linux errnos as {@link io.jocclum.api.ErrnoException}. */
    int ioctl(Caller caller, int cmd, long argAddr, GuestMemory kmem);
}
