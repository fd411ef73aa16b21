/**
 * Open files, descriptor tables and the LibOS file system.
 *
 * <p>{@link io.jocclum.libos.fs.OpenFile} models Linux's {@code struct file} (shared by dups and
 * across spawn), {@link io.jocclum.libos.fs.FdTable} a process's descriptor table (lowest-free
 * allocation, dup/dup2/dup3, FD_CLOEXEC, RLIMIT_NOFILE, spawn inheritance with posix_spawn file
 * actions), {@link io.jocclum.libos.fs.Vfs} the namespace of mounts (Occlum's root union of the
 * image and an upper SEFS layer at "/", sefs, tmpfs, hostfs, {@code /dev}; SEFS itself is in
 * {@link io.jocclum.libos.fs.sefs}) with path resolution and the path syscalls, and
 * {@link io.jocclum.libos.fs.FileCalls} the descriptor syscalls,
 * {@link io.jocclum.libos.fs.ReadWriteCalls} those that copy between guest memory and a
 * descriptor (read, write, getdents64), {@link io.jocclum.libos.fs.PathCalls} the path syscalls
 * as a guest makes them, and {@link io.jocclum.libos.fs.HostIo} the OCALL price of host I/O.
 * Every entry point takes the calling thread's {@link io.jocclum.libos.fs.Caller} and fails with
 * a Linux errno. See docs/fs.md.
 */
package io.jocclum.libos.fs;
