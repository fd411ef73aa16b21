package io.jocclum.libos.vm;

import java.util.concurrent.atomic.LongAdder;

/** Event counters of one user space (contention-free adders). */
final class VmCounters {
    final LongAdder faults = new LongAdder();
    final LongAdder spuriousFaults = new LongAdder();
    final LongAdder pagesCommittedOnFault = new LongAdder();
    final LongAdder pagesCommittedEagerly = new LongAdder();
    final LongAdder pagesTrimmed = new LongAdder();
    final LongAdder trimRuns = new LongAdder();
    final LongAdder permChangePages = new LongAdder();
    final LongAdder bytesZeroed = new LongAdder();
    final LongAdder bytesWrittenBack = new LongAdder();
    final LongAdder bytesFilledFromFiles = new LongAdder();
    final LongAdder chunksCreated = new LongAdder();
    final LongAdder chunksReleased = new LongAdder();
    final LongAdder signals = new LongAdder();
    final LongAdder mmaps = new LongAdder();
    final LongAdder munmaps = new LongAdder();
}
