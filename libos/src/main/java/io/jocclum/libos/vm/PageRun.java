package io.jocclum.libos.vm;

/** A callback over a run of whole pages [start, end) (addresses). */
@FunctionalInterface
interface PageRun {
    void accept(long start, long end);
}
