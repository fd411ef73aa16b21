package io.jocclum.libos.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the person running {@code build} asked for, from the command line and the environment,
 * before Occlum.json's {@code feature.enable_edmm} is seen. {@link BuildPath#decide} turns it into
 * the build path.
 *
 * <p>SGX mode: {@code --sgx-mode} wins over env {@code SGX_MODE} (Occlum lets an exported
 * SGX_MODE=SIM win over {@code --sgx-mode HW}; an explicit flag winning is what users expect, and
 * we say so in a warning). EDMM: {@code --enable-edmm} or env {@code ENABLE_EDMM} with one of
 * Occlum's truthy spellings (tools/occlum: Y, YES, Yes, yes, True, true, 1).
 *
 * @param sgxModeSource  "SGX_MODE=SIM", "--sgx-mode SIM" or "default"
 * @param edmmSource     what asked for EDMM ("--enable-edmm", "ENABLE_EDMM=Y"), or "" if nothing did
 */
public record BuildRequest(SgxMode sgxMode, String sgxModeSource, boolean edmmRequested, String edmmSource,
                              List<String> warnings) {

    /** Occlum's truthy spellings of ENABLE_EDMM (tools/occlum). */
    public static final Set<String> TRUTHY = Set.of("Y", "YES", "Yes", "yes", "True", "true", "1");
    /** The spellings that turn EDMM off. */
    public static final Set<String> FALSY = Set.of("N", "NO", "No", "no", "False", "false", "0");

    public BuildRequest {
        warnings = List.copyOf(warnings);
    }

    /** Default: HW, no EDMM request. */
    public static BuildRequest defaults() {
        return new BuildRequest(SgxMode.HW, "default", false, "", List.of());
    }

    /** A request made only by flags (tests, demo). */
    public static BuildRequest of(SgxMode mode, boolean enableEdmm) {
        return new BuildRequest(mode, mode == SgxMode.HW ? "default" : "--sgx-mode " + mode, enableEdmm,
                enableEdmm ? "--enable-edmm" : "", List.of());
    }

    /**
     * From the environment and the flags ({@code flagSgxMode} null when not given).
     * {@link ConfigException} when a mode is not HW or SIM.
     */
    public static BuildRequest from(Map<String, String> env, String flagSgxMode, boolean flagEnableEdmm) {
        return from(env, flagSgxMode, flagEnableEdmm ? Boolean.TRUE : null);
    }

    /**
     * As {@link #from(Map, String, boolean)}, with Occlum's {@code --enable-edmm Y|N} spelling:
     * {@code flagEnableEdmm} null when the flag is absent, false for {@code N} (it overrides
     * {@code ENABLE_EDMM} from the environment).
     */
    public static BuildRequest from(Map<String, String> env, String flagSgxMode, Boolean flagEnableEdmm) {
        List<String> warnings = new ArrayList<>();
        String envMode = env.get("SGX_MODE");
        SgxMode mode = SgxMode.HW;
        String modeSource = "default";
        if (envMode != null && !envMode.isEmpty()) {
            try {
                mode = SgxMode.parse(envMode);
            } catch (IllegalArgumentException e) {
                if (flagSgxMode == null) {
                    throw ConfigException.single("SGX_MODE=" + envMode, "", e.getMessage() + ".");
                }
            }
            modeSource = "SGX_MODE=" + envMode;
        }
        if (flagSgxMode != null) {
            SgxMode flag;
            try {
                flag = SgxMode.parse(flagSgxMode);
            } catch (IllegalArgumentException e) {
                throw ConfigException.single("--sgx-mode " + flagSgxMode, "", e.getMessage() + ".");
            }
            if (envMode != null && !envMode.isEmpty() && !envMode.equals(flag.name())) {
                warnings.add("--sgx-mode " + flag + " overrides SGX_MODE=" + envMode + " from the environment.");
            }
            mode = flag;
            modeSource = "--sgx-mode " + flag;
        }
        boolean edmm = false;
        String edmmSource = "";
        String envEdmm = env.get("ENABLE_EDMM");
        if (envEdmm != null && !envEdmm.isEmpty()) {
            if (TRUTHY.contains(envEdmm)) {
                edmm = true;
                edmmSource = "ENABLE_EDMM=" + envEdmm;
            } else if (!FALSY.contains(envEdmm)) {
                warnings.add("ENABLE_EDMM=" + envEdmm + " is not one of Y, YES, Yes, yes, True, true, 1, so it does not"
                        + " request EDMM.");
            }
        }
        if (flagEnableEdmm != null) {
            if (edmm && !flagEnableEdmm) {
                warnings.add("--enable-edmm N overrides ENABLE_EDMM=" + envEdmm + " from the environment.");
            }
            edmm = flagEnableEdmm;
            edmmSource = flagEnableEdmm ? "--enable-edmm" : "";
        }
        return new BuildRequest(mode, modeSource, edmm, edmmSource, warnings);
    }

    /** A stable text of the request for the build's input fingerprint. */
    public String fingerprint() {
        return "sgx_mode=" + sgxMode + ";edmm_requested=" + edmmRequested;
    }
}
