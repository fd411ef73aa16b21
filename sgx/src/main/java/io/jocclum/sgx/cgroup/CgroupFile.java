package io.jocclum.sgx.cgroup;

import java.util.ArrayList;
import java.util.List;

/**
 * The interface files the model has, with where the kernel creates them: core files in every
 * cgroup (some not on the root: {@code CFTYPE_NOT_ON_ROOT}), controller files only in cgroups
 * where the controller has a css, further restricted by the cftype flags of
 * {@code kernel/cgroup/cgroup.c}, {@code kernel/cgroup/misc.c} and {@code mm/memcontrol.c}
 * (v6.11). A file present in a cgroup exists whatever the controller's state (a misc file of a
 * resource without capacity simply prints no line for it).
 */
enum CgroupFile {
    CGROUP_CONTROLLERS("cgroup.controllers", null, Placement.ALL, false),
    CGROUP_EVENTS("cgroup.events", null, Placement.NOT_ON_ROOT, false),
    CGROUP_PROCS("cgroup.procs", null, Placement.ALL, true),
    CGROUP_SUBTREE_CONTROL("cgroup.subtree_control", null, Placement.ALL, true),
    MEMORY_CURRENT("memory.current", Controller.MEMORY, Placement.NOT_ON_ROOT, false),
    MEMORY_EVENTS("memory.events", Controller.MEMORY, Placement.NOT_ON_ROOT, false),
    MEMORY_EVENTS_LOCAL("memory.events.local", Controller.MEMORY, Placement.NOT_ON_ROOT, false),
    MEMORY_MAX("memory.max", Controller.MEMORY, Placement.NOT_ON_ROOT, true),
    MEMORY_PEAK("memory.peak", Controller.MEMORY, Placement.NOT_ON_ROOT, false),
    MEMORY_SWAP_CURRENT("memory.swap.current", Controller.MEMORY, Placement.NOT_ON_ROOT, false),
    MEMORY_SWAP_MAX("memory.swap.max", Controller.MEMORY, Placement.NOT_ON_ROOT, true),
    MISC_CAPACITY("misc.capacity", Controller.MISC, Placement.ONLY_ON_ROOT, false),
    MISC_CURRENT("misc.current", Controller.MISC, Placement.ALL, false),
    MISC_EVENTS("misc.events", Controller.MISC, Placement.NOT_ON_ROOT, false),
    MISC_EVENTS_LOCAL("misc.events.local", Controller.MISC, Placement.NOT_ON_ROOT, false),
    MISC_MAX("misc.max", Controller.MISC, Placement.NOT_ON_ROOT, true),
    MISC_PEAK("misc.peak", Controller.MISC, Placement.ALL, false);

    /** cftype flags: CFTYPE_ONLY_ON_ROOT, CFTYPE_NOT_ON_ROOT, or neither. */
    enum Placement { ALL, ONLY_ON_ROOT, NOT_ON_ROOT }

    private final String fileName;
    private final Controller controller;
    private final Placement placement;
    private final boolean writable;

    CgroupFile(String fileName, Controller controller, Placement placement, boolean writable) {
        this.fileName = fileName;
        this.controller = controller;
        this.placement = placement;
        this.writable = writable;
    }

    String fileName() {
        return fileName;
    }

    Controller controller() {
        return controller;
    }

    boolean writable() {
        return writable;
    }

    /** Whether the placement flags allow the file in {@code cg} (ignoring the css). */
    boolean placedIn(Cgroup cg) {
        return switch (placement) {
            case ALL -> true;
            case ONLY_ON_ROOT -> cg.isRoot();
            case NOT_ON_ROOT -> !cg.isRoot();
        };
    }

    /** Whether the file exists in {@code cg} now. Lock-free read of the css slot. */
    boolean presentIn(Cgroup cg) {
        return placedIn(cg) && (controller == null || cg.css(controller) != null);
    }

    /** The file {@code name} if it exists in {@code cg}, else null. */
    static CgroupFile lookup(Cgroup cg, String name) {
        for (CgroupFile f : values()) {
            if (f.fileName.equals(name)) {
                return f.presentIn(cg) ? f : null;
            }
        }
        return null;
    }

    /** The files a controller contributes. */
    static List<CgroupFile> of(Controller c) {
        List<CgroupFile> out = new ArrayList<>();
        for (CgroupFile f : values()) {
            if (f.controller == c) {
                out.add(f);
            }
        }
        return out;
    }
}
