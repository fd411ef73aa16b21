package io.jocclum.bench.harness;

import java.util.List;

/** A group of comparisons of one area, found with {@link java.util.ServiceLoader}. */
public interface BenchSuite {
    List<Comparison> comparisons();
}
