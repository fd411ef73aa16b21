package io.jocclum.libos.config;

/**
 * The {@code process} section: per-process defaults in bytes. {@code default_mmap_size} is still
 * required by Occlum but has no effect any more (EDMM guide).
 */
public record ProcessDefaults(long defaultStackSize, long defaultHeapSize, long defaultMmapSize) {
}
