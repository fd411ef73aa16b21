package io.jocclum.cli;

import io.jocclum.api.Errno;
import io.jocclum.libos.boot.EntryPoints;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.config.InternalConfig;
import io.jocclum.libos.config.Mount;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.programs.ProgramRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What {@code jocclum run} can tell about its program before it boots the enclave, which takes
 * long for a large one: the configuration's entry points ({@code ProgramRejected}, as the LibOS
 * checks them), and, for a path in the root file system, whether the image has it. The root is the
 * union of the image (what {@code image/} held at the build; the run refuses a stale build, so it
 * still holds that) and the writable upper layer. A path that the image lacks, that is no built-in
 * and that the upper layer cannot hold either (it is empty, as every build leaves it) is refused
 * with the LibOS's own sentence and status 127, as {@code occlum run} ends when the LibOS cannot
 * create the process (Occlum {@code src/run/main.c}); so is a directory or another file that is
 * not a regular one. Anything the check cannot see for sure (another mount, a symbolic link, an
 * upper layer that earlier runs wrote to, an unpacked package without {@code image/}) is left to
 * the LibOS, which answers the same after the boot.
 */
final class ProgramCheck {
    /** {@code occlum run}'s status when the program cannot be started. */
    static final int CANNOT_START = 127;

    private ProgramCheck() {
    }

    /**
     * Refuses {@code path} when it surely cannot be started: {@code ProgramRejected} for the entry
     * points, a {@link UserError} with status 127 for a program that is not there.
     */
    static void beforeBoot(InstancePaths paths, BuiltEnclave built, String path, ProgramRegistry programs) {
        InternalConfig cfg = built.internalConfig();
        new EntryPoints(cfg.entryPoints()).validate(path);
        List<String> parts = EntryPoints.components(path); // no "..": the entry points refused it
        Optional<Path> upper = rootUpperLayer(paths, cfg.mounts(), parts);
        if (upper.isEmpty() || !Files.isDirectory(paths.image(), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path p = paths.image();
        for (int i = 0; i < parts.size(); i++) {
            p = p.resolve(parts.get(i));
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                missing(path, parts, upper.get(), programs);
                return;
            } catch (IOException e) {
                return; // unreadable here: the LibOS reads its own copy
            }
            if (a.isSymbolicLink()) {
                return; // the LibOS resolves it inside the enclave's file system
            }
            boolean last = i == parts.size() - 1;
            if (!last && !a.isDirectory()) {
                missing(path, parts, upper.get(), programs); // ENOTDIR, which program lookup takes as ENOENT
                return;
            }
            if (last && !a.isRegularFile()) {
                throw new UserError(CANNOT_START, LibOs.programError(path, Errno.EACCES.exception(path
                        + " is not a regular file"), programs));
            }
        }
    }

    /** {@code path} is not in the image: fine for a built-in, or when the upper layer may have it. */
    private static void missing(String path, List<String> parts, Path upper, ProgramRegistry programs) {
        if (parts.size() == 2 && parts.getFirst().equals("bin") && programs.get(parts.get(1)).isPresent()) {
            return;
        }
        if (!isEmptyOrAbsent(upper)) {
            return;
        }
        throw new UserError(CANNOT_START, LibOs.programError(path, Errno.ENOENT.exception(path), programs));
    }

    private static boolean isEmptyOrAbsent(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The host directory of the root union's upper layer when {@code parts} lie in the root union
     * (no other mount's target is a prefix of them), else empty: only there does the image tell.
     */
    private static Optional<Path> rootUpperLayer(InstancePaths paths, List<Mount> mounts, List<String> parts) {
        Mount root = null;
        for (Mount m : mounts) {
            List<String> target = EntryPoints.components(m.target());
            if (target.isEmpty()) {
                root = m;
            } else if (parts.size() >= target.size() && parts.subList(0, target.size()).equals(target)) {
                return Optional.empty();
            }
        }
        if (root == null || !root.type().equals("unionfs")) {
            return Optional.empty();
        }
        for (Mount layer : root.options().layers().orElse(List.of())) {
            if (layer.options().mac().isEmpty() && layer.source().isPresent()) {
                return Optional.of(paths.root().resolve(layer.source().get()).normalize());
            }
        }
        return Optional.empty();
    }
}
