package io.jocclum.libos.replay;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.RunStats;
import io.jocclum.libos.layout.BuiltEnclave;

import java.util.List;

/** Boots a built enclave and replays a trace in it (see {@link Replay}). */
public final class ReplayRun {
    /** The program name of the replay's root process in the enclave. */
    public static final String ROOT_PROGRAM = "replay";

    private ReplayRun() {
    }

    /** What a replay found, with the enclave's statistics. */
    public record Outcome(Replay.Result result, RunStats stats) {
        /** True when no call failed in the enclave that had succeeded in the trace. */
        public boolean fits() {
            return result.failure() == null;
        }
    }

    /** Replays {@code events}; a {@link TraceFormatException} when an argument of a replayed call is unreadable. */
    public static Outcome run(BuiltEnclave built, BootOptions options, List<TraceEvent> events, Replay.Touch touch)
            throws InterruptedException {
        Replay r = new Replay(events, touch);
        BootOptions o = options.withPrograms(options.programs().with(ROOT_PROGRAM, r::root)
                .with(Replay.CHILD_PROGRAM, r::child));
        try (LibOs os = LibOs.boot(built, o)) {
            r.useKernelHeap(os.kernelHeap());
            os.run("/bin/" + ROOT_PROGRAM, List.of());
            if (r.formatError() != null) {
                throw r.formatError();
            }
            return new Outcome(r.result(), os.stats());
        }
    }
}
