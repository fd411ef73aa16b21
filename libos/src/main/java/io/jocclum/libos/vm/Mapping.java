package io.jocclum.libos.vm;

/**
 * One VMA as a process sees it (a line of /proc/PID/maps).
 *
 * @param start        first address
 * @param end          one past the last address
 * @param prot         PROT_* bits
 * @param flags        the MAP_* flags kept on the mapping (SHARED/PRIVATE, ANONYMOUS, GROWSDOWN, STACK, LOCKED)
 * @param kind         "mmap", "heap", "stack" or "image"
 * @param fileIdentity the mapped file's identity, null for anonymous memory
 * @param fileOffset   file offset of {@code start} (0 for anonymous memory)
 * @param name         the mapped file's path, a System V segment's {@code /SYSVkey (deleted)}, or null
 */
public record Mapping(long start, long end, int prot, int flags, String kind, Object fileIdentity, long fileOffset, String name) {
    public long size() {
        return end - start;
    }
}
