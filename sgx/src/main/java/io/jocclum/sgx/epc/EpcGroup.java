package io.jocclum.sgx.epc;

/**
 * The driver's view of a task's misc cgroup for the {@code sgx_epc} resource ({@code struct
 * sgx_cgroup} in v17). Opaque to the driver: only the {@link EpcController} that made it looks inside.
 * Every EPC page records the group it was charged to and is uncharged from that group when freed.
 */
public interface EpcGroup {
    /** The cgroup path, for messages. */
    String name();
}
