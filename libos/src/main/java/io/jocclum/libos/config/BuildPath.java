package io.jocclum.libos.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The build path a build takes: SGX mode and whether it is for an EDMM (SGX2) platform, with the
 * reason in words and the warnings the decision raised.
 *
 * <p>Rules (EDMM guide and config-edmm.md): EDMM is off by default; it is requested by
 * {@code --enable-edmm}, env {@code ENABLE_EDMM} or {@code feature.enable_edmm: true};
 * {@code SGX_MODE=SIM} outranks every request (guide, note 3) and the build warns that a request
 * was overruled. Occlum's generator lets {@code feature.enable_edmm} force EDMM even in SIM mode;
 * we follow the guide.
 */
public record BuildPath(SgxMode sgxMode, boolean edmm, String reason, List<String> warnings) {

    public BuildPath {
        warnings = List.copyOf(warnings);
    }

    public static BuildPath decide(BuildRequest request, boolean featureEnableEdmm) {
        List<String> warnings = new ArrayList<>(request.warnings());
        String requestedBy = request.edmmRequested() ? request.edmmSource()
                : featureEnableEdmm ? "feature.enable_edmm in Occlum.json" : "";
        if (request.sgxMode() == SgxMode.SIM) {
            if (!requestedBy.isEmpty()) {
                warnings.add("EDMM was requested by " + requestedBy + ", but " + request.sgxModeSource()
                        + " outranks it: simulation mode never uses EDMM, so this is a non-EDMM build.");
            }
            return new BuildPath(SgxMode.SIM, false, "SIM mode from " + request.sgxModeSource()
                    + ", which never uses EDMM", warnings);
        }
        if (!requestedBy.isEmpty()) {
            return new BuildPath(SgxMode.HW, true, "HW mode, EDMM requested by " + requestedBy, warnings);
        }
        return new BuildPath(SgxMode.HW, false, "HW mode, EDMM not requested", warnings);
    }

    /** A platform without reasons, for tests and the demo. */
    public static BuildPath of(SgxMode mode, boolean edmm) {
        if (mode == SgxMode.SIM && edmm) {
            throw new IllegalArgumentException("simulation mode never uses EDMM");
        }
        return new BuildPath(mode, edmm, edmm ? "EDMM" : "non-EDMM", List.of());
    }

    /** "EDMM (SGX2)" or "non-EDMM". */
    public String path() {
        return edmm ? "EDMM" : "non-EDMM";
    }
}
