package io.jocclum.libos.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/** One entry of {@code mount} (or of a union's {@code options.layers}). */
public record Mount(String target, String type, Optional<String> source, MountOptions options) {

    /** File system types of Occlum's {@code ConfigMountFsType}. */
    public static final List<String> TYPES = List.of("sefs", "hostfs", "ramfs", "unionfs", "devfs", "procfs",
            "async_sfs", "ext2");

    /** Where the build puts the image snapshot; the template's root layer names it. */
    public static final String IMAGE_SNAPSHOT_SOURCE = "./build/mount/__ROOT";

    /**
     * Visits every mount and layer depth-first with its JSON path ({@code mount[0]},
     * {@code mount[0].options.layers[1]}, ...).
     */
    public static void walk(List<Mount> mounts, BiConsumer<String, Mount> visitor) {
        walk("mount", mounts, visitor);
    }

    private static void walk(String prefix, List<Mount> mounts, BiConsumer<String, Mount> visitor) {
        for (int i = 0; i < mounts.size(); i++) {
            String path = prefix + "[" + i + "]";
            Mount m = mounts.get(i);
            visitor.accept(path, m);
            m.options().layers().ifPresent(l -> walk(path + ".options.layers", l, visitor));
        }
    }

    /**
     * The index of the root mount (target "/", type unionfs) and, inside it, of the image layer
     * (target "/", type sefs, with an options.MAC key), or -1s; Occlum's generator checks for both.
     */
    static int[] imageLayer(List<Mount> mounts) {
        for (int i = 0; i < mounts.size(); i++) {
            Mount m = mounts.get(i);
            if (m.target().equals("/") && m.type().equals("unionfs")) {
                List<Mount> layers = m.options().layers().orElse(List.of());
                for (int j = 0; j < layers.size(); j++) {
                    Mount l = layers.get(j);
                    if (l.target().equals("/") && l.type().equals("sefs") && l.options().mac().isPresent()) {
                        return new int[]{i, j};
                    }
                }
                return new int[]{i, -1};
            }
        }
        return new int[]{-1, -1};
    }

    /** {@code mounts} with the image layer's MAC replaced by {@code mac}; unchanged if there is none. */
    static List<Mount> withImageMac(List<Mount> mounts, String mac) {
        int[] at = imageLayer(mounts);
        if (at[1] < 0) {
            return mounts;
        }
        Mount root = mounts.get(at[0]);
        List<Mount> layers = new ArrayList<>(root.options().layers().orElseThrow());
        Mount layer = layers.get(at[1]);
        layers.set(at[1], new Mount(layer.target(), layer.type(), layer.source(), layer.options().withMac(mac)));
        List<Mount> out = new ArrayList<>(mounts);
        out.set(at[0], new Mount(root.target(), root.type(), root.source(), root.options().withLayers(layers)));
        return List.copyOf(out);
    }
}
