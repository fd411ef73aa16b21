package io.jocclum.libos.fs;

import io.jocclum.api.Errno;

/**
 * A posix_spawn file action, applied in the child in the order given
 * ({@code posix_spawn_file_actions_addclose/adddup2/addopen}). Negative descriptors are refused
 * when the action is made (EBADF), as the glibc functions do; the RLIMIT_NOFILE check happens
 * when it is applied.
 */
public sealed interface SpawnFileAction {
    /** {@code addclose(fd)}: close it in the child (an fd that is not open is ignored). */
    record Close(int fd) implements SpawnFileAction {
        public Close {
            requireFd(fd);
        }
    }

    /** {@code adddup2(fd, newFd)}; {@code fd == newFd} clears FD_CLOEXEC (glibc 2.29). */
    record Dup2(int fd, int newFd) implements SpawnFileAction {
        public Dup2 {
            requireFd(fd);
            requireFd(newFd);
        }
    }

    /** {@code addopen(fd, path, flags, mode)}: open, then move the result to {@code fd}. */
    record Open(int fd, String path, int flags, int mode) implements SpawnFileAction {
        public Open {
            requireFd(fd);
            if (path == null) {
                throw new IllegalArgumentException("open action path is null");
            }
        }
    }

    private static void requireFd(int fd) {
        if (fd < 0) {
            throw Errno.EBADF.exception("negative fd " + fd + " in a spawn file action");
        }
    }
}
