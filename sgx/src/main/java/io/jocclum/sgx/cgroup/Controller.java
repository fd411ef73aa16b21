package io.jocclum.sgx.cgroup;

/**
 * The cgroup v2 controllers the model has. Declaration order is the kernel's subsystem order
 * ({@code include/linux/cgroup_subsys.h}: memory comes before misc), which is the order in which
 * {@code cgroup.controllers} and {@code cgroup.subtree_control} list them.
 */
public enum Controller {
    /** The memory controller ({@code mm/memcontrol.c}), modelled by {@link MemoryController}. */
    MEMORY("memory"),
    /** The misc controller ({@code kernel/cgroup/misc.c}), modelled by {@link MiscController}. */
    MISC("misc");

    private final String controllerName;

    Controller(String controllerName) {
        this.controllerName = controllerName;
    }

    /** The name used in {@code cgroup.subtree_control} and as the interface-file prefix. */
    public String controllerName() {
        return controllerName;
    }

    /** The controller with this exact name, or {@code null}. */
    static Controller byName(String name) {
        for (Controller c : values()) {
            if (c.controllerName.equals(name)) {
                return c;
            }
        }
        return null;
    }
}
