package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BuildPathTest {

    static BuildPath decide(Map<String, String> env, String flagMode, boolean flagEdmm, boolean feature) {
        return BuildPath.decide(BuildRequest.from(env, flagMode, flagEdmm), feature);
    }

    @Test
    void edmmIsOffByDefault() {
        BuildPath p = decide(Map.of(), null, false, false);
        assertThat(p.sgxMode()).isEqualTo(SgxMode.HW);
        assertThat(p.edmm()).isFalse();
        assertThat(p.warnings()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Y", "YES", "Yes", "yes", "True", "true", "1"})
    void occlumsTruthySpellingsRequestEdmm(String value) {
        BuildPath p = decide(Map.of("ENABLE_EDMM", value), null, false, false);
        assertThat(p.edmm()).isTrue();
        assertThat(p.reason()).isEqualTo("HW mode, EDMM requested by ENABLE_EDMM=" + value);
    }

    @ParameterizedTest
    @ValueSource(strings = {"y", "TRUE", "on", "2"})
    void otherSpellingsDoNotAndSaySo(String value) {
        BuildPath p = decide(Map.of("ENABLE_EDMM", value), null, false, false);
        assertThat(p.edmm()).isFalse();
        assertThat(p.warnings()).containsExactly("ENABLE_EDMM=" + value + " is not one of Y, YES, Yes, yes, True, true, 1,"
                + " so it does not request EDMM.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"N", "no", "false", "0"})
    void explicitNoIsQuiet(String value) {
        BuildPath p = decide(Map.of("ENABLE_EDMM", value), null, false, false);
        assertThat(p.edmm()).isFalse();
        assertThat(p.warnings()).isEmpty();
    }

    @Test
    void simOutranksEveryEdmmRequest() {
        BuildPath env = decide(Map.of("ENABLE_EDMM", "Y", "SGX_MODE", "SIM"), null, false, false);
        assertThat(env.edmm()).isFalse();
        assertThat(env.sgxMode()).isEqualTo(SgxMode.SIM);
        assertThat(env.warnings()).containsExactly("EDMM was requested by ENABLE_EDMM=Y, but SGX_MODE=SIM outranks it:"
                + " simulation mode never uses EDMM, so this is a non-EDMM build.");
        assertThat(decide(Map.of(), "SIM", true, false).edmm()).isFalse();
        assertThat(decide(Map.of("SGX_MODE", "SIM"), null, false, true).edmm()).isFalse();
        assertThat(decide(Map.of("SGX_MODE", "SIM"), null, false, false).warnings()).isEmpty();
    }

    @Test
    void theFlagWinsOverTheEnvironmentWithAWarning() {
        BuildPath p = decide(Map.of("SGX_MODE", "SIM"), "HW", true, false);
        assertThat(p.sgxMode()).isEqualTo(SgxMode.HW);
        assertThat(p.edmm()).isTrue();
        assertThat(p.warnings()).containsExactly("--sgx-mode HW overrides SGX_MODE=SIM from the environment.");
    }

    @Test
    void unknownModesAreConfigErrors() {
        assertThatThrownBy(() -> BuildRequest.from(Map.of("SGX_MODE", "HYPER"), null, false))
                .isInstanceOf(ConfigException.class)
                .hasMessage("SGX_MODE=HYPER is not an SGX mode; allowed: HW (the default) or SIM.");
        assertThatThrownBy(() -> BuildRequest.from(Map.of(), "hw", false))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--sgx-mode hw is not an SGX mode; allowed: HW (the default) or SIM.");
    }

    @Test
    void theFingerprintSeparatesWhatChangesTheBuild() {
        assertThat(BuildRequest.from(Map.of("ENABLE_EDMM", "Y"), null, false).fingerprint())
                .isEqualTo(BuildRequest.from(Map.of(), null, true).fingerprint())
                .isNotEqualTo(BuildRequest.from(Map.of(), null, false).fingerprint())
                .isNotEqualTo(BuildRequest.from(Map.of(), "SIM", true).fingerprint());
    }
}
