package io.jocclum.libos.scenario;

import io.jocclum.sgx.cost.CostModel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A validated scenario (what {@link ScenarioFile#parse} returns): the host, the cgroup tree, the
 * enclaves with their programs, the timed events and the stop condition. Times are simulated
 * nanoseconds from the start of the run.
 *
 * @param name           the scenario's name (from the file, or the file's base name)
 * @param description    one line of text, or empty
 * @param host           the simulated machine
 * @param sampleInterval nanoseconds between two samples
 * @param cgroups        the cgroups in tree order (parents before children), without the root
 * @param enclaves       the enclaves in file order
 * @param events         the timed events, by time (file order for equal times)
 * @param stop           when the run ends
 * @param params         the values set from the command line ({@code --set PATH=VALUE}), in order
 */
public record Scenario(String name, String description, Host host, long sampleInterval, List<CgroupSpec> cgroups,
                       List<EnclaveSpec> enclaves, List<EventSpec> events, Stop stop, Map<String, String> params) {
    public Scenario {
        cgroups = List.copyOf(cgroups);
        enclaves = List.copyOf(enclaves);
        events = List.copyOf(events);
        params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }

    /** The same scenario with another seed. */
    public Scenario withSeed(long seed) {
        return new Scenario(name, description, new Host(host.epcBytes(), host.sgx2(), host.ramBytes(), host.swap(),
                host.costModelName(), host.costModel(), seed), sampleInterval, cgroups, enclaves, events, stop, params);
    }

    /**
     * The simulated machine.
     *
     * @param epcBytes      EPC capacity
     * @param sgx2          SGX2 (EDMM possible) or SGX1
     * @param ramBytes      the host's RAM (reported; the backing store is limited by {@code memory.max})
     * @param swap          whether the memory cgroups may swap the backing store out (off: over memory.max the OOM killer acts)
     * @param costModelName "default" or "custom"
     * @param costModel     the cycle costs and CPU frequency
     * @param seed          seed of the platform and of every random choice of the programs
     */
    public record Host(long epcBytes, boolean sgx2, long ramBytes, boolean swap, String costModelName, CostModel costModel,
                       long seed) {
    }

    /**
     * One cgroup: its path ("/pod-a"), its parent's path ("/" for the root), its limits (empty: max).
     */
    public record CgroupSpec(String path, String parent, OptionalLong epcMax, OptionalLong memoryMax) {
    }

    /** Where an enclave comes from: an inline Occlum.json, or a built instance directory. */
    public sealed interface Source {
        /** An Occlum.json (Occlum's template with the file's sections over it), built for the scenario. */
        record Inline(byte[] occlumJson) implements Source {
            public Inline {
                occlumJson = occlumJson.clone();
            }

            @Override
            public byte[] occlumJson() {
                return occlumJson.clone();
            }
        }

        /** An instance directory built with {@code jocclum build}. */
        record Instance(Path dir) implements Source {
        }
    }

    /**
     * One enclave.
     *
     * @param name     unique name
     * @param cgroup   the cgroup its host task starts in ("/" for the root)
     * @param edmm     built for EDMM
     * @param start    when it starts; empty when only a {@code start} event starts it
     * @param source   what is loaded
     * @param programs run one after the other, {@code repeat} times
     * @param repeat   how often the program list runs
     */
    public record EnclaveSpec(String name, String cgroup, boolean edmm, OptionalLong start, Source source,
                              List<ProgramSpec> programs, int repeat) {
        public EnclaveSpec {
            programs = List.copyOf(programs);
        }
    }

    /**
     * One program: a workload model with its validated arguments ({@code options}), or a program of
     * the LibOS ({@code options} null): {@code program} is then its path in the enclave (a built-in
     * {@code /bin/NAME}, or a jar of the instance's image), and {@code jar}, when not null, the
     * host's jar file the engine installs at that path before the enclave's first program starts.
     */
    public record ProgramSpec(String program, List<String> args, Workloads.Options options, Path jar) {
        public ProgramSpec {
            args = List.copyOf(args);
        }

        /** A workload model. */
        public ProgramSpec(String program, List<String> args, Workloads.Options options) {
            this(program, args, options, null);
        }

        /** Whether it is a program of the LibOS (run by the LibOS under the scenario's scheduler), not a model. */
        public boolean libos() {
            return options == null;
        }

        /** "kv --ops 100" */
        public String commandLine() {
            return args.isEmpty() ? program : program + " " + String.join(" ", args);
        }
    }

    /** What an event does. */
    public enum EventKind {
        /** Change {@code misc.max} (sgx_epc) and/or {@code memory.max} of a cgroup. */
        LIMIT,
        /** Kill an enclave (SIGKILL to its host task). */
        KILL,
        /** Start an enclave now. */
        START,
        /** Move an enclave's host task to another cgroup. */
        MOVE,
        /** Only a marker on the timeline. */
        NOTE
    }

    /**
     * A timed event.
     *
     * @param at        when
     * @param kind      what
     * @param target    the cgroup (LIMIT), the enclave (KILL, START, MOVE), or the text (NOTE)
     * @param epcMax    LIMIT: the new sgx_epc limit (-1 = max), or null when unchanged
     * @param memoryMax LIMIT: the new memory.max (-1 = max), or null when unchanged
     * @param to        MOVE: the destination cgroup
     */
    public record EventSpec(long at, EventKind kind, String target, Long epcMax, Long memoryMax, String to) {
    }

    /**
     * When the run ends: at {@code time} at the latest, and when every enclave has exited if
     * {@code whenAllExited}.
     */
    public record Stop(long time, boolean whenAllExited) {
    }
}
