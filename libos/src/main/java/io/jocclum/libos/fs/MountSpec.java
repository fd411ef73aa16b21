package io.jocclum.libos.fs;

import java.nio.file.Path;

/**
 * One mount of the LibOS file system, as the integration derives it from the internal config
 * (Occlum.json's {@code mount} section): the image root, tmpfs mounts and hostfs mounts.
 * {@code /dev} is always mounted by {@link Vfs}.
 */
public sealed interface MountSpec {
    /** The LibOS path it is mounted at. */
    String target();

    /** The build's image snapshot directory, mounted read-only at "/". */
    record ImageRoot(Path hostDir) implements MountSpec {
        @Override
        public String target() {
            return "/";
        }
    }

    /** An in-memory writable file system (e.g. {@code /tmp}) of at most {@code capacityBytes}. */
    record Tmpfs(String target, long capacityBytes) implements MountSpec {
    }

    /** A host directory mapped at {@code target}, writable unless {@code readOnly}. */
    record HostDir(String target, Path hostDir, boolean readOnly) implements MountSpec {
    }
}
