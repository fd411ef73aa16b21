package io.jocclum.libos.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static io.jocclum.libos.config.Json.remove;
import static io.jocclum.libos.config.Json.set;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The resolution table on the two configurations the issue names. The golden Enclave.xml files in
 * the test resources were written by hand from config-edmm.md's table:
 * <ul>
 *   <li>template, non-EDMM: stack 1MB; heap 32MB (no heap_max); TCS 32 (max_num_of_threads);
 *       ReservedMem = user Max = 300MB; MiscSelect/Mask 0/0; no UserRegionSize; debuggable, so
 *       DisableDebug 0;</li>
 *   <li>template, EDMM: heap Init 32MB, Max max(32MB, 1GB) = 1GB; TCS Init min(16, 32) = 16, Max
 *       max(32, 4096) = 4096; ReservedMem = user Init = 300MB; user Max max(300MB, 16GB) = 16GB,
 *       != Init, so UserRegionSize = 16GB + 1GB = 18253611008; MiscSelect 1, MiscMask 0xFFFFFFFF;</li>
 *   <li>guide example, non-EDMM: heap = heap_max 40MB; ReservedMem = user_space_max 600MB; TCS 64;</li>
 *   <li>guide example, EDMM: heap Init 4MB, Max max(40MB, 1GB) = 1GB; TCS Init min(2, 16) = 2, Max
 *       4096; ReservedMem = 1MB; UserRegionSize = max(600MB, 16GB) + 1GB = 17GB.</li>
 * </ul>
 */
class ResolverTest {

    static byte[] golden(String name) throws IOException {
        try (InputStream in = ResolverTest.class.getResourceAsStream(name + ".Enclave.xml")) {
            return in.readAllBytes();
        }
    }

    static ResolvedConfig load(byte[] json, boolean edmm) {
        return ResolutionInvariants.check(OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, edmm)));
    }

    @ParameterizedTest
    @CsvSource({"template,false", "template,true", "guide,false", "guide,true"})
    void enclaveXmlMatchesTheHandDerivedGoldenFile(String config, boolean edmm) throws IOException {
        byte[] json = config.equals("template") ? Templates.occlumTemplate() : Templates.guideExample();
        byte[] xml = load(json, edmm).enclaveXml().toBytes();
        String expected = new String(golden(config + (edmm ? "-edmm" : "-non-edmm")), StandardCharsets.UTF_8);
        assertThat(new String(xml, StandardCharsets.UTF_8)).isEqualTo(expected);
        // byte-identical across rebuilds
        assertThat(load(json, edmm).enclaveXml().toBytes()).isEqualTo(xml);
    }

    @Test
    void elementsAreInTheSpecsOrder() {
        String xml = new String(load(Templates.occlumTemplate(), true).enclaveXml().toBytes(), StandardCharsets.UTF_8);
        int at = 0;
        for (String e : EnclaveXml.ELEMENTS) {
            int i = xml.indexOf("<" + e + ">");
            assertThat(i).as(e).isGreaterThan(at);
            at = i;
        }
    }

    @Test
    void theGuidesExampleReportsWhatTheRulesChanged() {
        assertThat(load(Templates.guideExample(), true).adjustments()).extracting(Adjustment::toString).containsExactly(
                "kernel heap Max raised from 40MB (kernel_space_heap_max_size) to 1GB: EDMM builds use at least Occlum's"
                        + " default of 1GB, committed on demand.",
                "user space Max raised from 600MB (user_space_max_size) to 16GB: EDMM builds use at least Occlum's"
                        + " default of 16GB, committed on demand, so the Max cannot cap physical use"
                        + " (Occlum's EDMM configuration guide (docs/edmm_config_guide.md in Occlum), note 1).",
                "TCS Max raised from 64 (max_num_of_threads) to 4096: EDMM builds allow at least Occlum's default of"
                        + " 4096 threads, added on demand.");
        assertThat(load(Templates.guideExample(), false).adjustments()).extracting(Adjustment::toString).containsExactly(
                "kernel heap raised from 4MB (kernel_space_heap_size) to 40MB: non-EDMM builds use"
                        + " kernel_space_heap_max_size as the static kernel heap.",
                "user space raised from 1MB (user_space_size) to 600MB: non-EDMM builds use user_space_max_size as the"
                        + " static user space.",
                "TCS at load raised from 2 (init_num_of_threads) to 64: non-EDMM builds create all max_num_of_threads"
                        + " TCS at load.");
    }

    @Test
    void tcsInitIsClampedTo16AndTheBuildSaysSo() {
        byte[] json = set(Templates.occlumTemplate(), "resource_limits.init_num_of_threads", "20");
        ResolvedConfig c = load(json, true);
        assertThat(c.tcsInit()).isEqualTo(16);
        assertThat(c.adjustments()).extracting(Adjustment::toString).contains("TCS Init lowered from 20"
                + " (init_num_of_threads) to 16: Occlum's EDMM configuration guide caps it at 16"
                + " (Occlum's generator would keep 20).");
        // without init_num_of_threads: min(16, max)
        byte[] few = set(Templates.occlumTemplate(), "resource_limits.max_num_of_threads", "8");
        assertThat(load(few, true).tcsInit()).isEqualTo(8);
        assertThat(load(few, true).tcsMax()).isEqualTo(4096);
        assertThat(load(few, false).tcsInit()).isEqualTo(8);
    }

    @Test
    void userMaxEqualToInitGivesARegionOfMaxOnly() {
        byte[] json = set(set(Templates.occlumTemplate(), "resource_limits.user_space_size", "\"20GB\""),
                "resource_limits.user_space_max_size", "\"20GB\"");
        ResolvedConfig c = load(json, true);
        assertThat(c.userSpaceMax()).isEqualTo(c.userSpaceInit()).isEqualTo(20L << 30);
        assertThat(c.enclaveXml().userRegionSize()).hasValue(20L << 30);
        assertThat(c.enclaveXml().reservedMemMaxSize()).isEqualTo(20L << 30);
    }

    @Test
    void disableLogFollowsDebuggableUnlessGiven() {
        byte[] release = set(Templates.occlumTemplate(), "metadata.debuggable", "false");
        assertThat(load(release, false).internalConfig("00").disableLog()).isTrue();
        assertThat(load(release, false).enclaveXml().disableDebug()).isEqualTo(1);
        assertThat(load(Templates.occlumTemplate(), false).internalConfig("00").disableLog()).isFalse();
        assertThat(load(set(release, "metadata.disable_log", "false"), false).internalConfig("00").disableLog()).isFalse();
    }

    @Test
    void featureEnableEdmmTakesTheEdmmPathButNotInSimMode() {
        byte[] json = set(Templates.occlumTemplate(), "feature.enable_edmm", "true");
        ResolvedConfig hw = OcclumJson.load(json, "Occlum.json", BuildRequest.defaults());
        assertThat(hw.edmm()).isTrue();
        assertThat(hw.buildPath().reason()).isEqualTo("HW mode, EDMM requested by feature.enable_edmm in Occlum.json");
        ResolvedConfig sim = OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.SIM, false));
        assertThat(sim.edmm()).isFalse();
        assertThat(sim.warnings()).extracting(ConfigProblem::toString).containsExactly("EDMM was requested by"
                + " feature.enable_edmm in Occlum.json, but --sgx-mode SIM outranks it: simulation mode never uses EDMM,"
                + " so this is a non-EDMM build.");
        ResolutionInvariants.check(hw);
        ResolutionInvariants.check(sim);
    }

    @Test
    void optionalKeysAbsentOnBothPaths() {
        byte[] json = remove(Templates.guideExample(), "resource_limits.init_num_of_threads");
        assertThat(load(json, true).tcsInit()).isEqualTo(16);
    }
}
