package io.jocclum.libos.fs.sefs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the image SEFS from a host tree, as {@code sefs-cli zip} does for {@code occlum build}:
 * every entry becomes an inode numbered in walk order from 3 (the root is 2), all times zero and
 * owners root, so the same tree and key always give the same bytes and the same root MAC.
 * Modes are normalised to what the build measures of a tree: directories 0755, files 0755 when
 * owner-executable else 0644, symbolic links 0777 (host umasks do not change the image).
 */
public final class SefsImage {
    private SefsImage() {
    }

    /** An entry of the tree: its path relative to the root ("bin/app.jar") and where it is on the host. */
    public record Entry(String relative, Path path) {
    }

    /**
     * Writes the SEFS of {@code entries} (parents before children) into the new directory
     * {@code out}, sealed with {@code key} (null: integrity-only), and returns its root MAC.
     * {@code IllegalArgumentException} naming an entry that is not a file, directory or link.
     */
    public static byte[] zip(List<Entry> entries, Path out, byte[] key) throws IOException {
        SefsKey mode = key == null ? new SefsKey(null, java.util.Optional.empty()) : SefsKey.encrypted(key);
        try (SefsStore s = SefsStore.create(out, mode, 0755, 0)) {
            Map<String, SefsStore.Node> dirs = new HashMap<>();
            dirs.put("", s.root());
            for (Entry e : entries) {
                int slash = e.relative().lastIndexOf('/');
                String parentPath = slash < 0 ? "" : e.relative().substring(0, slash);
                String name = e.relative().substring(slash + 1);
                SefsStore.Node parent = dirs.get(parentPath);
                if (parent == null) {
                    throw new IllegalArgumentException(e.relative() + " comes before its directory");
                }
                Path p = e.path();
                if (Files.isSymbolicLink(p)) {
                    s.create(parent, name, SefsStore.SYMLINK, 0777, 0, 0, Files.readSymbolicLink(p).toString(), 0);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.put(e.relative(), s.create(parent, name, SefsStore.DIR, 0755, 0, 0, null, 0));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    SefsStore.Node f = s.create(parent, name, SefsStore.FILE, executable(p) ? 0755 : 0644, 0, 0, null, 0);
                    s.write(f, ByteBuffer.wrap(Files.readAllBytes(p)), 0, 0);
                } else {
                    throw new IllegalArgumentException(e.relative() + " is neither a file, a directory nor a symbolic link;"
                            + " an image may hold only those");
                }
            }
            s.sync();
            return s.rootMac();
        }
    }

    private static boolean executable(Path p) throws IOException {
        try {
            return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
        } catch (UnsupportedOperationException e) {
            return Files.isExecutable(p);
        }
    }
}
