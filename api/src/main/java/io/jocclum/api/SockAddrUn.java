package io.jocclum.api;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An AF_UNIX socket address ({@code struct sockaddr_un}, unix(7)): the bytes of {@code sun_path}.
 * Three kinds, as Linux tells them apart:
 * <ul>
 *   <li><b>path name</b> ({@link #path(String)}): a file of the guest file system, created by
 *   {@code bind} and found by {@code connect}; the name ends at the first NUL;</li>
 *   <li><b>abstract name</b> ({@link #abstractName(String)}): {@code sun_path[0]} is NUL and every
 *   following byte, NULs included, is part of the name; no file is created and the name goes
 *   away with the socket;</li>
 *   <li><b>unnamed</b> ({@link #unnamed()}): no {@code sun_path} at all; what an unbound socket
 *   reports, and for {@code bind} a request to pick an abstract name ("autobind").</li>
 * </ul>
 * At most {@link #SUN_PATH_MAX} bytes; longer ones are accepted here and refused by the calls
 * with EINVAL, as the kernel refuses an address length above {@code sizeof(struct sockaddr_un)}.
 */
public final class SockAddrUn {
    /** {@code sizeof(sun_path)}. */
    public static final int SUN_PATH_MAX = 108;
    /** {@code offsetof(struct sockaddr_un, sun_path)}: the family field. */
    public static final int SUN_PATH_OFFSET = 2;

    private final byte[] sunPath;

    private SockAddrUn(byte[] sunPath) {
        this.sunPath = sunPath;
    }

    /** A path name (UTF-8). */
    public static SockAddrUn path(String path) {
        return new SockAddrUn(path.getBytes(StandardCharsets.UTF_8));
    }

    /** An abstract name: a NUL followed by the UTF-8 bytes of {@code name}. */
    public static SockAddrUn abstractName(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[n.length + 1];
        System.arraycopy(n, 0, b, 1, n.length);
        return new SockAddrUn(b);
    }

    /** No name. */
    public static SockAddrUn unnamed() {
        return new SockAddrUn(new byte[0]);
    }

    /**
     * The address whose {@code sun_path} holds {@code bytes} (the address length less
     * {@link #SUN_PATH_OFFSET}); a path name ends at its first NUL.
     */
    public static SockAddrUn ofSunPath(byte[] bytes) {
        byte[] b = bytes.clone();
        if (b.length > 0 && b[0] != 0) {
            int end = 0;
            while (end < b.length && b[end] != 0) {
                end++;
            }
            b = Arrays.copyOf(b, end);
        }
        return new SockAddrUn(b);
    }

    public boolean isUnnamed() {
        return sunPath.length == 0;
    }

    public boolean isAbstract() {
        return sunPath.length > 0 && sunPath[0] == 0;
    }

    /** The path name, or null for an abstract or unnamed address. */
    public String path() {
        return isUnnamed() || isAbstract() ? null : new String(sunPath, StandardCharsets.UTF_8);
    }

    /** The bytes of {@code sun_path} as the kernel reports them (a path without its NUL). */
    public byte[] sunPath() {
        return sunPath.clone();
    }

    /**
     * The address length the kernel reports for it ({@code socklen_t}): 2 for unnamed, 2 + the
     * path's length + 1 (its NUL) for a path name, 2 + the name's length for an abstract name.
     */
    public int length() {
        return SUN_PATH_OFFSET + sunPath.length + (isUnnamed() || isAbstract() ? 0 : 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SockAddrUn a && Arrays.equals(sunPath, a.sunPath);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sunPath);
    }

    /** The path, {@code @name} for an abstract name (NULs shown as '@', as ss(8) does), or {@code (unnamed)}. */
    @Override
    public String toString() {
        if (isUnnamed()) {
            return "(unnamed)";
        }
        if (!isAbstract()) {
            return path();
        }
        return new String(sunPath, StandardCharsets.UTF_8).replace('\0', '@');
    }
}
