package io.jocclum.api;

/**
 * A file action of {@link Syscalls#posixSpawn}, applied in the child in order before its program
 * starts, as {@code posix_spawn_file_actions_addclose}, {@code _adddup2} and {@code _addopen} do.
 * Descriptors the parent marked FD_CLOEXEC are closed after the actions, as exec would.
 */
public sealed interface SpawnAction {
    /** Close {@code fd} in the child (an fd that is not open is ignored, as glibc does). */
    record Close(int fd) implements SpawnAction {
    }

    /** Duplicate {@code fd} onto {@code newFd} in the child; {@code fd == newFd} clears FD_CLOEXEC. */
    record Dup2(int fd, int newFd) implements SpawnAction {
    }

    /** Open {@code path} (resolved as the parent would) and place it at {@code fd} in the child. */
    record Open(int fd, String path, int flags, int mode) implements SpawnAction {
        public Open {
            if (path == null) {
                throw new IllegalArgumentException("path must not be null");
            }
        }
    }

    static SpawnAction close(int fd) {
        return new Close(fd);
    }

    static SpawnAction dup2(int fd, int newFd) {
        return new Dup2(fd, newFd);
    }

    static SpawnAction open(int fd, String path, int flags, int mode) {
        return new Open(fd, path, flags, mode);
    }
}
