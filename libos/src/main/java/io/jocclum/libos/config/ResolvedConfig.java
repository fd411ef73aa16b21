package io.jocclum.libos.config;

import java.util.List;

/**
 * An Occlum.json after the EDMM resolution rules for one platform: the Init/Max of kernel heap,
 * user space and TCS, the Enclave.xml values, what the rules changed, and the warnings of the
 * whole load. The internal config follows once the image's MAC is known.
 *
 * @param userSpaceInit the table's "user space Init": {@code user_space_size} (on the non-EDMM
 *                      path it has no effect; the whole Max is reserved memory)
 */
public record ResolvedConfig(OcclumConfig config, BuildPath buildPath, long kernelHeapInit, long kernelHeapMax,
                             long userSpaceInit, long userSpaceMax, long tcsInit, long tcsMax, EnclaveXml enclaveXml,
                             List<Adjustment> adjustments, List<ConfigProblem> warnings) {

    public ResolvedConfig {
        adjustments = List.copyOf(adjustments);
        warnings = List.copyOf(warnings);
    }

    public boolean edmm() {
        return buildPath.edmm();
    }

    /**
     * The internal config the LibOS reads at boot, with {@code imageMac} in the image layer's
     * {@code options.MAC}. On the non-EDMM path the user space Init written there equals the Max:
     * everything is reserved memory, and a non-EDMM build that runs on an EDMM platform must not
     * look for a user region it does not have (guide, note 4).
     */
    public InternalConfig internalConfig(String imageMac) {
        Metadata m = config.metadata();
        boolean disableLog = m.disableLog().orElse(!m.debuggable());
        Metadata stripped = new Metadata(m.productId(), m.versionNumber(), m.debuggable(), m.enableKss(), m.familyId(),
                m.extProdId(), java.util.Optional.empty());
        return new InternalConfig(edmm() ? userSpaceInit : userSpaceMax, userSpaceMax, config.process(),
                config.entryPoints(), config.env(), stripped, disableLog, Mount.withImageMac(config.mounts(), imageMac),
                config.feature());
    }
}
