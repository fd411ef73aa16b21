package io.jocclum.libos.fs;

/**
 * The stable identity of a file: device of its file system and inode number ({@code st_dev},
 * {@code st_ino}). Two open files refer to the same file iff their ids are equal; shared file
 * mappings are keyed by it.
 */
public record InodeId(long dev, long ino) {
}
