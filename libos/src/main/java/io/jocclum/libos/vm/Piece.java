package io.jocclum.libos.vm;

/** Where (part of) a new mapping goes: [start, end) inside {@code chunk}. */
record Piece(long start, long end, Chunk chunk) {
}
