package io.jocclum.libos.config;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A mount's {@code options}, the keys of Occlum's {@code ConfigMountOptions}: the SEFS image MAC,
 * union layers, {@code temporary}, SEFS {@code cache_size}, ext2 {@code disk_size}, SEFS
 * {@code index} and {@code autokey_policy}. Sizes in bytes. Absent keys are empty.
 */
public record MountOptions(Optional<String> mac, Optional<List<Mount>> layers, Optional<Boolean> temporary,
                           OptionalLong cacheSize, OptionalLong diskSize, OptionalLong index, OptionalLong autokeyPolicy) {
    public static final MountOptions NONE = new MountOptions(Optional.empty(), Optional.empty(), Optional.empty(),
            OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

    public MountOptions {
        layers = layers.map(List::copyOf);
    }

    public MountOptions withMac(String newMac) {
        return new MountOptions(Optional.of(newMac), layers, temporary, cacheSize, diskSize, index, autokeyPolicy);
    }

    public MountOptions withLayers(List<Mount> newLayers) {
        return new MountOptions(mac, Optional.of(newLayers), temporary, cacheSize, diskSize, index, autokeyPolicy);
    }
}
