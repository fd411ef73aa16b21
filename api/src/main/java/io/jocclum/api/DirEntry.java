package io.jocclum.api;

/** One entry of a directory listing ({@code struct linux_dirent64} without the offsets). */
public record DirEntry(long ino, int type, String name) {
}
