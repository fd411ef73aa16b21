package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ArrayNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static io.jocclum.libos.config.Json.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The edges of the configuration rules that a mutation run showed untested: values exactly at a
 * limit, the EDMM override warning, what a misspelled key is taken for, sizes at a unit's
 * boundary, and the image digest of a path longer than 255 bytes.
 */
class ConfigBoundariesTest {
    private static final byte[] TEMPLATE = Templates.occlumTemplate();

    private static byte[] withMount(String mountJson) {
        return Json.edit(TEMPLATE, root -> ((ArrayNode) root.get("mount")).add(Json.tree(bytes(mountJson))));
    }

    private static ResolvedConfig load(byte[] json) {
        return OcclumJson.load(json, "Occlum.json", BuildRequest.defaults());
    }

    // ---- limits are inclusive -------------------------------------------------------------------

    /** Occlum's minimum SEFS cache is 192KB and an ext2 disk needs 5GB: exactly those are allowed. */
    @Test
    void aCacheOfExactly192KbAndAnExt2DiskOfExactly5GbAreAllowed() {
        assertThat(load(withMount("{\"target\": \"/c\", \"type\": \"sefs\", \"options\": {\"cache_size\": \"192KB\"}}"))
                .internalConfig("").mounts().get(2).options().cacheSize()).hasValue(192 * Sizes.KB);
        assertThat(OcclumJsonTest.errors(withMount("{\"target\": \"/c\", \"type\": \"sefs\", \"options\": {\"cache_size\": \"188KB\"}}")))
                .containsExactly("mount[2].options.cache_size: \"188KB\" is too small; expected at least 192KB.");
        assertThat(load(withMount("{\"target\": \"/e\", \"type\": \"ext2\", \"options\": {\"disk_size\": \"5GB\"}}"))
                .internalConfig("").mounts().get(2).options().diskSize()).hasValue(5 * Sizes.GB);
        assertThat(OcclumJsonTest.errors(withMount("{\"target\": \"/e\", \"type\": \"ext2\", \"options\": {\"disk_size\": \"5119MB\"}}")))
                .containsExactly("mount[2].options.disk_size: \"5119MB\" is too small; an ext2 mount needs at least 5GB.");
    }

    /** A cache may take the whole kernel heap (32MB in the template, no Max: the non-EDMM Max is the size). */
    @Test
    void aCacheAsLargeAsTheKernelHeapMaxFits() {
        assertThat(load(withMount("{\"target\": \"/c\", \"type\": \"sefs\", \"options\": {\"cache_size\": \"32MB\"}}"))
                .internalConfig("").mounts().get(2).options().cacheSize()).hasValue(32 * Sizes.MB);
        assertThat(OcclumJsonTest.errors(withMount("{\"target\": \"/c\", \"type\": \"sefs\", \"options\": {\"cache_size\": \"32772KB\"}}")))
                .singleElement().asString().startsWith("mount[2].options.cache_size: \"32772KB\" is larger than the kernel heap Max of 32MB");
    }

    /** A configuration built in code has no written text: the message shows the value in Occlum's syntax. */
    @Test
    void resolvingAConfigurationBuiltInCodeNamesTheSize() {
        OcclumConfig bad = OcclumJson.parse(withMount("{\"target\": \"/c\", \"type\": \"sefs\", \"options\": {\"cache_size\": \"1GB\"}}"),
                "Occlum.json").config();
        assertThatThrownBy(() -> Resolver.resolve(bad, BuildPath.of(SgxMode.HW, false))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("mount[2].options.cache_size: \"1GB\" is larger than the kernel heap Max of 32MB");
    }

    /** A NUL cannot be passed in a C environment string, wherever it is. */
    @Test
    void anEnvironmentEntryStartingWithNulIsRefused() {
        byte[] json = Json.set(TEMPLATE, "env.default", "[\"\\u0000A=1\"]");
        assertThat(OcclumJsonTest.errors(json)).containsExactly(
                "env.default[0]: \"\\u0000A=1\" is not a variable assignment; expected \"NAME=value\", e.g. \"OCCLUM=yes\".");
    }

    // ---- feature.enable_posix_shm --------------------------------------------------------------

    @Test
    void enablePosixShmIsAcceptedWithAWarningAndMustBeABoolean() {
        assertThat(OcclumJsonTest.warnings(Json.set(TEMPLATE, "feature.enable_posix_shm", "true"))).containsExactly(
                "feature.enable_posix_shm: has no effect: MAP_SHARED mappings of a file are always shared coherently between"
                        + " processes, as in Linux (Occlum shares them only with this flag).");
        assertThat(OcclumJsonTest.warnings(Json.set(TEMPLATE, "feature.enable_posix_shm", "false"))).isEmpty();
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "feature.enable_posix_shm", "\"yes\""))).containsExactly(
                "feature.enable_posix_shm: \"yes\" is a string; expected true or false.");
    }

    /** Occlum's {@code #[serde(default)]}: a key left out of feature takes its default, the others keep their values. */
    @Test
    void aFeatureSectionWithSomeKeysKeepsThemAndDefaultsTheRest() {
        assertThat(load(Json.set(TEMPLATE, "feature", "{\"amx\": 1}")).internalConfig("").feature())
                .isEqualTo(new Feature(1, 0, 0, false, false));
        assertThat(load(Json.set(TEMPLATE, "feature", "{\"pkru\": 2, \"io_uring\": 3}")).internalConfig("").feature())
                .isEqualTo(new Feature(0, 2, 3, false, false));
        assertThat(load(Json.set(TEMPLATE, "feature", "{\"enable_posix_shm\": true}")).internalConfig("").feature())
                .isEqualTo(new Feature(0, 0, 0, false, true));
    }

    // ---- the build request ---------------------------------------------------------------------

    /** tools/occlum: --enable-edmm N wins over ENABLE_EDMM=Y from the environment, and says so. */
    @Test
    void enableEdmmNOverridesTheEnvironmentWithAWarning() {
        BuildRequest r = BuildRequest.from(Map.of("ENABLE_EDMM", "Y"), null, Boolean.FALSE);
        assertThat(r.edmmRequested()).isFalse();
        assertThat(r.warnings()).containsExactly("--enable-edmm N overrides ENABLE_EDMM=Y from the environment.");
        assertThat(BuildRequest.from(Map.of("ENABLE_EDMM", "N"), null, Boolean.FALSE).warnings()).isEmpty();
        assertThat(BuildPath.of(SgxMode.HW, true).reason()).isEqualTo("EDMM");
        assertThat(BuildPath.of(SgxMode.HW, false).reason()).isEqualTo("non-EDMM");
    }

    // ---- what a misspelled key is taken for ----------------------------------------------------

    @Test
    void aTruncatedKeyIsTakenForTheShortestKeyItStarts() {
        assertThat(OcclumJsonTest.warnings(Json.set(TEMPLATE, "resource_limits.user_space", "\"1MB\""))).containsExactly(
                "resource_limits.user_space: unknown key, ignored; did you mean user_space_size?");
        assertThat(OcclumJsonTest.warnings(Json.set(TEMPLATE, "resource_limits.kernel_space_heap", "\"1MB\""))).containsExactly(
                "resource_limits.kernel_space_heap: unknown key, ignored; did you mean kernel_space_heap_size?");
    }

    /** "lgh" is two edits from both "high" and "low": the first listed wins. */
    @Test
    void aTieOfEditDistancesGoesToTheFirstKnownKey() {
        assertThat(Fields.closest("lgh", List.of("high", "low"))).isEqualTo("high");
        assertThat(Fields.closest("lgh", List.of("low", "high"))).isEqualTo("low");
    }

    @Test
    void editDistancesAreLevenshteinDistances() {
        assertThat(Fields.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(Fields.distance("flaw", "lawn")).isEqualTo(2);
        assertThat(Fields.distance("", "abc")).isEqualTo(3);
        assertThat(Fields.distance("abc", "")).isEqualTo(3);
        assertThat(Fields.distance("abc", "abc")).isZero();
    }

    // ---- sizes ---------------------------------------------------------------------------------

    @Test
    void aSizeExactlyAtAUnitReadsInThatUnit() {
        assertThat(Sizes.human(1L << 30)).isEqualTo("1GB");
        assertThat(Sizes.human(1L << 20)).isEqualTo("1MB");
        assertThat(Sizes.human(1024)).isEqualTo("1KB");
        assertThat(Sizes.human(1)).isEqualTo("1B");
        assertThat(Sizes.format(192 * Sizes.KB)).as("the smallest unit that is not B").isEqualTo("192KB");
        assertThat(Sizes.format(5000)).isEqualTo("5000B");
    }

    @Test
    void aNumberWithoutAUnitIsNamedAsSuch() {
        for (String digits : new String[]{"0", "9", "1090"}) {
            assertThatThrownBy(() -> Sizes.parse(digits)).as(digits).hasMessageStartingWith("has no unit; ");
        }
        assertThatThrownBy(() -> Sizes.parse("9x")).hasMessageStartingWith("is not a size; ");
    }

    // ---- the image digest of long paths ------------------------------------------------------

    /**
     * A relative path of 301 bytes: its 4-byte little-endian length is 2D 01 00 00. The expected
     * digest was computed outside Java from the documented format: 'D', len, "a"x200; 'F', len,
     * "a"x200 "/" "b"x100, 0 (not executable), 1 as 8 bytes little-endian, "x".
     */
    @Test
    void aPathLongerThan255BytesIsDigestedWithItsFullLength(@TempDir Path t) throws Exception {
        Path root = Files.createDirectories(t.resolve("img"));
        Path dir = Files.createDirectories(root.resolve("a".repeat(200)));
        Path file = Files.writeString(dir.resolve("b".repeat(100)), "x");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(ImageDigest.hex(ImageDigest.of(root)))
                .isEqualTo("f0eef80425ec3bb1739a950056e60a7fe10c146f1ab910663cc648ed9720bad2");
    }
}
