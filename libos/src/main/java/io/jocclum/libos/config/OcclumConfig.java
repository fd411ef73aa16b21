package io.jocclum.libos.config;

import java.util.List;

/**
 * A validated Occlum.json: every required section present and well-typed, every size parsed.
 * Produced by {@link OcclumJson#parse}; unknown keys are gone (they were warnings).
 */
public record OcclumConfig(ResourceLimits resourceLimits, ProcessDefaults process, List<String> entryPoints,
                           Env env, Metadata metadata, Feature feature, List<Mount> mounts) {
    public OcclumConfig {
        entryPoints = List.copyOf(entryPoints);
        mounts = List.copyOf(mounts);
    }
}
