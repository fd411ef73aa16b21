package io.jocclum.sgx.cgroup;

/**
 * The memory-cgroup events of {@code memory.events} / {@code memory.events.local}
 * ({@code enum memcg_memory_event} and {@code __memory_events_show()} in {@code mm/memcontrol.c},
 * v6.11), in file order. The model raises {@link #MAX}, {@link #OOM} and {@link #OOM_KILL};
 * {@code low}, {@code high} and {@code oom_group_kill} exist for the file format and stay 0.
 */
public enum MemoryEvent {
    /** Reclaim under memory.low protection (not modelled: always 0). */
    LOW("low"),
    /** Usage over memory.high (not modelled: always 0). */
    HIGH("high"),
    /** A charge hit memory.max (counted once per failed attempt, as the kernel). */
    MAX("max"),
    /** The cgroup ran out of memory and the OOM killer was invoked. */
    OOM("oom"),
    /** A process in the cgroup was killed by the OOM killer. */
    OOM_KILL("oom_kill"),
    /** Group OOM kill (not modelled: always 0). */
    OOM_GROUP_KILL("oom_group_kill");

    private final String key;

    MemoryEvent(String key) {
        this.key = key;
    }

    /** The key in {@code memory.events}. */
    public String key() {
        return key;
    }
}
