package io.jocclum.libos.fs;

import java.nio.file.Path;

/**
 * One mount of the LibOS file system, as the integration derives it from the internal config
 * (Occlum.json's {@code mount} section): the root union, sefs, tmpfs and hostfs mounts.
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

    /**
     * Occlum's root: the union of the image SEFS in {@code lowerDir} (read-only) and the
     * container SEFS in {@code upperDir} (writable, created on first use), protected as
     * {@code lowerKey} and {@code upperKey} say.
     */
    record RootUnion(Path lowerDir, io.jocclum.libos.fs.sefs.SefsKey lowerKey, Path upperDir,
                     io.jocclum.libos.fs.sefs.SefsKey upperKey) implements MountSpec {
        @Override
        public String target() {
            return "/";
        }
    }

    /** A SEFS in the host directory {@code dir} (created on first use) at {@code target}. */
    record Sefs(String target, Path dir, io.jocclum.libos.fs.sefs.SefsKey key) implements MountSpec {
    }

    /** An in-memory writable file system (e.g. {@code /tmp}) of at most {@code capacityBytes}. */
    record Tmpfs(String target, long capacityBytes) implements MountSpec {
    }

    /** A host directory mapped at {@code target}, writable unless {@code readOnly}. */
    record HostDir(String target, Path hostDir, boolean readOnly) implements MountSpec {
    }
}
