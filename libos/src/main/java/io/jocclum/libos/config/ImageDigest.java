package io.jocclum.libos.config;

import io.jocclum.sgx.arch.LittleEndian;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * SHA-256 of an image tree (an instance's {@code image/} or its build snapshot): the value the
 * build writes as the image layer's {@code options.MAC} and measures into MRENCLAVE. Occlum's
 * MAC is SEFS's AES-GCM tag of the image; ours is a plain digest over a canonical walk, so it
 * depends on exactly what a file system image would carry and nothing else.
 *
 * <p>The walk visits every entry below the root (not the root itself) in the order of their
 * relative paths compared as UTF-8 byte strings with "/" separators, and feeds, per entry:
 * <ul>
 *   <li>directory: {@code 'D'}, path;</li>
 *   <li>regular file: {@code 'F'}, path, one byte "owner-executable" (0/1), the 8-byte length,
 *       the content;</li>
 *   <li>symbolic link: {@code 'L'}, path, the link target (not followed).</li>
 * </ul>
 * A path or target is its UTF-8 bytes preceded by their 4-byte length; integers are
 * little-endian. Times, owners and the other mode bits are not covered (they differ between
 * machines and umasks). Anything else (fifo, socket, device) is refused.
 */
public final class ImageDigest {

    private ImageDigest() {
    }

    /** The digest as lowercase hex (64 characters). */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /**
     * Digests the tree under {@code root}; {@code IOException} if it cannot be read and
     * {@code IllegalArgumentException} naming an entry that is not a file, directory or link.
     */
    public static byte[] of(Path root) throws IOException {
        MessageDigest md = sha256();
        byte[] buffer = new byte[1 << 16];
        for (Entry e : entries(root)) {
            Path p = e.path();
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                md.update((byte) 'L');
                string(md, e.relative());
                string(md, Files.readSymbolicLink(p).toString());
            } else if (a.isDirectory()) {
                md.update((byte) 'D');
                string(md, e.relative());
            } else if (a.isRegularFile()) {
                md.update((byte) 'F');
                string(md, e.relative());
                md.update((byte) (ownerExecutable(p) ? 1 : 0));
                long size = a.size();
                long counted = 0;
                md.update(LittleEndian.bytes(size));
                try (InputStream in = Files.newInputStream(p)) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        md.update(buffer, 0, n);
                        counted += n;
                    }
                }
                if (counted != size) {
                    throw new IOException(e.relative() + " changed size while it was read");
                }
            } else {
                throw new IllegalArgumentException(e.relative() + " in " + root.getFileName()
                        + "/ is neither a file, a directory nor a symbolic link; an image may hold only those");
            }
        }
        return md.digest();
    }

    /** An entry of the tree: its path and its path relative to the root with "/" separators. */
    public record Entry(Path path, String relative) {
    }

    /** Every entry below {@code root} in digest order (links not followed). */
    public static List<Entry> entries(Path root) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(p -> {
                if (!p.equals(root)) {
                    StringBuilder rel = new StringBuilder();
                    for (Path part : root.relativize(p)) {
                        if (!rel.isEmpty()) {
                            rel.append('/');
                        }
                        rel.append(part);
                    }
                    out.add(new Entry(p, rel.toString()));
                }
            });
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        out.sort((x, y) -> java.util.Arrays.compareUnsigned(x.relative().getBytes(StandardCharsets.UTF_8),
                y.relative().getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    private static boolean ownerExecutable(Path p) throws IOException {
        try {
            return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
        } catch (UnsupportedOperationException e) {
            return Files.isExecutable(p);
        }
    }

    private static void string(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(new byte[]{(byte) b.length, (byte) (b.length >>> 8), (byte) (b.length >>> 16), (byte) (b.length >>> 24)});
        md.update(b);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
