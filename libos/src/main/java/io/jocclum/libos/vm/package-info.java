/**
 * The LibOS user-space VM: one address space shared by all processes of an enclave, managed as
 * a pool of chunks (single-VMA chunks and 32 MB multi-VMA chunks), with Linux mmap, munmap,
 * mprotect, mremap, brk, msync and madvise, EDMM commit on demand and EPC give-back, and the
 * guest memory accessor through which programs and syscalls touch user memory.
 *
 * <p>Entry points: {@link io.jocclum.libos.vm.UserSpace} (per enclave, created by the boot with
 * a {@link io.jocclum.libos.vm.UserSpaceLayout} and a {@link io.jocclum.libos.vm.VmConfig}),
 * {@link io.jocclum.libos.vm.ProcessVm} (per process: the syscalls),
 * {@link io.jocclum.libos.vm.GuestMemory} (loads and stores),
 * {@link io.jocclum.libos.vm.MappableFile} (what a file must offer to be mapped),
 * {@link io.jocclum.libos.vm.VmCalls} (the memory system calls of a guest thread, resolving
 * descriptors through {@link io.jocclum.libos.vm.MmapFiles}) and
 * {@link io.jocclum.libos.vm.UserCopy} (copy_from_user/copy_to_user for system calls). The design,
 * policies and deviations from Occlum are in {@code docs/vm.md}.
 */
package io.jocclum.libos.vm;
