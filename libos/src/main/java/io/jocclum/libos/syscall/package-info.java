/**
 * The syscall façade (Occlum {@code src/libos/src/syscall/}): one
 * {@link io.jocclum.libos.syscall.SyscallFacade} per guest thread implements the guest API's
 * {@link io.jocclum.api.Syscalls} as a thin dispatcher. One call wrapper counts and prices every
 * call ({@link io.jocclum.libos.syscall.SyscallCounters}), stops at the syscall boundary on entry
 * and return (signal delivery: {@link io.jocclum.libos.signal.SignalDelivery}), restarts a call
 * that a signal interrupted or fails it with EINTR as its {@link io.jocclum.libos.syscall.Sysno}
 * says, and turns anything but an errno into a recorded internal error and EIO — so that nothing
 * but an errno, or the end of the thread, ever reaches a guest. The calls themselves live in the
 * packages of their subsystems ({@code vm.VmCalls}, {@code fs.FileCalls},
 * {@code fs.ReadWriteCalls}, {@code fs.PathCalls}, {@code epoll.EpollCalls},
 * {@code epoll.PollCalls}, {@code net.GuestSocketCalls}, {@code process.ProcessCalls}), which copy
 * between guest memory and their buffers through {@code vm.UserCopy} and charge host I/O through
 * {@code fs.HostIo}.
 */
package io.jocclum.libos.syscall;
