/**
 * The syscall façade (Occlum {@code src/libos/src/syscall/}): one
 * {@link io.jocclum.libos.syscall.SyscallFacade} per guest thread implements the guest API's
 * {@link io.jocclum.api.Syscalls} on top of the process layer, the VM, the file layer, the event
 * layer and host sockets. It copies between guest memory and the layers' buffers (EFAULT),
 * counts and prices every call ({@link io.jocclum.libos.syscall.SyscallCounters}), charges an
 * OCALL for host I/O, delivers signals at syscall boundaries (Java handlers, fatal actions,
 * SA_RESTART) and turns the file layer's ERESTARTSYS into a restart or EINTR — so that nothing
 * but an errno, or the end of the thread, ever reaches a guest.
 */
package io.jocclum.libos.syscall;
