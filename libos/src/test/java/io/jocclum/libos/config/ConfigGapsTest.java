package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import javax.xml.stream.XMLInputFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.jocclum.libos.config.Json.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Cases a mutation run showed untested: external entities in Enclave.xml, every mount option
 * through the internal config, misspelled keys in every nested section, and env.untrusted names.
 */
class ConfigGapsTest {
    private static final byte[] TEMPLATE = Templates.occlumTemplate();

    // ---- Enclave.xml: no DTD, no entities (XXE) -----------------------------------------------

    private static String enclaveXml() {
        return new String(OcclumJson.load(TEMPLATE, "x", BuildRequest.defaults()).enclaveXml().toBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void anEnclaveXmlWithAnExternalEntityIsRefused(@TempDir Path t) throws Exception {
        Path secret = Files.writeString(t.resolve("secret"), "77");
        String xml = enclaveXml().replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE EnclaveConfiguration [\n  <!ENTITY xxe SYSTEM \""
                        + secret.toUri() + "\">\n]>\n").replace("<ProdID>0</ProdID>", "<ProdID>&xxe;</ProdID>");
        assertThat(xml).contains("&xxe;").contains("<!ENTITY xxe SYSTEM");
        assertThatThrownBy(() -> EnclaveXml.parse(bytes(xml))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Enclave.xml has a DOCTYPE; an Enclave.xml has none (entities, internal or external, are never expanded)");
    }

    @Test
    void anEnclaveXmlWithAnInternalEntityIsRefused() {
        String xml = "<!DOCTYPE EnclaveConfiguration [<!ENTITY n \"1\">]>" + enclaveXml().substring(enclaveXml().indexOf("<Enclave"))
                .replace("<ProdID>0</ProdID>", "<ProdID>&n;</ProdID>");
        assertThatThrownBy(() -> EnclaveXml.parse(bytes(xml))).hasMessageStartingWith("Enclave.xml has a DOCTYPE");
    }

    @Test
    void theXmlReaderSupportsNeitherDtdsNorExternalEntities() {
        XMLInputFactory f = EnclaveXml.inputFactory();
        assertThat(f.getProperty(XMLInputFactory.SUPPORT_DTD)).isEqualTo(Boolean.FALSE);
        assertThat(f.getProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES)).isEqualTo(Boolean.FALSE);
    }

    // ---- the internal config carries every mount option ----------------------------------------

    private static byte[] withEveryMountOption() {
        return Json.edit(TEMPLATE, root -> {
            ArrayNode mounts = (ArrayNode) root.get("mount");
            ObjectNode sefs = mounts.addObject();
            sefs.put("target", "/data");
            sefs.put("type", "sefs");
            sefs.put("source", "./data");
            ObjectNode o = sefs.putObject("options");
            o.put("temporary", true);
            o.put("cache_size", "256KB");
            o.put("index", 3);
            o.put("autokey_policy", 1);
            ObjectNode ext2 = mounts.addObject();
            ext2.put("target", "/ext2");
            ext2.put("type", "ext2");
            ext2.putObject("options").put("disk_size", "6GB");
            ObjectNode tmp = mounts.addObject();
            tmp.put("target", "/tmp2");
            tmp.put("type", "sefs");
            tmp.putObject("options").put("temporary", false);
        });
    }

    @Test
    void theInternalConfigRoundTripsEveryMountOption() {
        InternalConfig c = OcclumJson.load(withEveryMountOption(), "Occlum.json", BuildRequest.defaults())
                .internalConfig("ab".repeat(32));
        byte[] bytes = c.toBytes();
        InternalConfig back = InternalConfig.parse(bytes);
        assertThat(back).isEqualTo(c);
        assertThat(back.toBytes()).isEqualTo(bytes);
        Mount data = back.mounts().get(2);
        assertThat(data.target()).isEqualTo("/data");
        assertThat(data.source()).contains("./data");
        assertThat(data.options()).isEqualTo(new MountOptions(java.util.Optional.empty(), java.util.Optional.empty(),
                java.util.Optional.of(true), java.util.OptionalLong.of(256 << 10), java.util.OptionalLong.empty(),
                java.util.OptionalLong.of(3), java.util.OptionalLong.of(1)));
        assertThat(back.mounts().get(3).options().diskSize()).hasValue(6L << 30);
        assertThat(back.mounts().get(4).options().temporary()).contains(false);
        String text = new String(bytes, StandardCharsets.UTF_8);
        assertThat(text).contains("\"temporary\": true", "\"cache_size\": \"262144B\"", "\"index\": 3", "\"autokey_policy\": 1",
                "\"disk_size\": \"6442450944B\"", "\"temporary\": false", "\"MAC\": \"" + "ab".repeat(32) + "\"");
    }

    // ---- misspelled keys in every nested section ---------------------------------------------

    @Test
    void aMisspelledKeyInEachNestedSectionIsWarnedAbout() {
        byte[] json = Json.edit(TEMPLATE, root -> {
            ((ObjectNode) root.get("resource_limits")).put("user_space_sise", "1MB");
            ((ObjectNode) root.get("process")).put("default_stak_size", "1MB");
            ((ObjectNode) root.get("env")).putArray("untrusted_");
            ObjectNode md = (ObjectNode) root.get("metadata");
            md.put("debugable", true);
            ((ObjectNode) md.get("family_id")).put("hihg", "0x0");
            ((ObjectNode) md.get("ext_prod_id")).put("lwo", "0x0");
            ((ObjectNode) root.get("feature")).put("pkr", 0);
            ObjectNode union = (ObjectNode) root.get("mount").get(0);
            union.put("targte", "/");
            ObjectNode unionOptions = (ObjectNode) union.get("options");
            unionOptions.put("layer", 1);
            ObjectNode layer = (ObjectNode) unionOptions.get("layers").get(0);
            layer.put("sourse", "x");
            ((ObjectNode) layer.get("options")).put("MAC_", "");
        });
        List<String> w = OcclumJsonTest.warnings(json);
        assertThat(w).containsExactlyInAnyOrder(
                "resource_limits.user_space_sise: unknown key, ignored; did you mean user_space_size?",
                "process.default_stak_size: unknown key, ignored; did you mean default_stack_size?",
                "env.untrusted_: unknown key, ignored; did you mean untrusted?",
                "metadata.debugable: unknown key, ignored; did you mean debuggable?",
                "metadata.family_id.hihg: unknown key, ignored; did you mean high?",
                "metadata.ext_prod_id.lwo: unknown key, ignored; did you mean low?",
                "feature.pkr: unknown key, ignored; did you mean pkru?",
                "mount[0].targte: unknown key, ignored; did you mean target?",
                "mount[0].options.layer: unknown key, ignored; did you mean layers?",
                "mount[0].options.layers[0].sourse: unknown key, ignored; did you mean source?",
                "mount[0].options.layers[0].options.MAC_: unknown key, ignored; did you mean MAC?");
    }

    // ---- env names --------------------------------------------------------------------------

    @Test
    void untrustedEnvironmentNamesMustBeNames() {
        byte[] json = Json.set(TEMPLATE, "env.untrusted", "[\"OK\", \"=value\", \"A=b\", \"\", \"NUL\\u0000\"]");
        assertThat(OcclumJsonTest.errors(json)).containsExactly(
                "env.untrusted[1]: \"=value\" is not a variable name; expected a name without '=', e.g. \"EXAMPLE\".",
                "env.untrusted[2]: \"A=b\" is not a variable name; expected a name without '=', e.g. \"EXAMPLE\".",
                "env.untrusted[3]: \"\" is not a variable name; expected a name without '=', e.g. \"EXAMPLE\".",
                "env.untrusted[4]: \"NUL\\u0000\" is not a variable name; expected a name without '=', e.g. \"EXAMPLE\".");
    }

    @Test
    void defaultEnvironmentEntriesMustBeAssignments() {
        byte[] json = Json.set(TEMPLATE, "env.default", "[\"A=1\", \"=value\", \"B\", \"C=\\u0000\"]");
        assertThat(OcclumJsonTest.errors(json)).containsExactly(
                "env.default[1]: \"=value\" is not a variable assignment; expected \"NAME=value\", e.g. \"OCCLUM=yes\".",
                "env.default[2]: \"B\" is not a variable assignment; expected \"NAME=value\", e.g. \"OCCLUM=yes\".",
                "env.default[3]: \"C=\\u0000\" is not a variable assignment; expected \"NAME=value\", e.g. \"OCCLUM=yes\".");
        assertThat(OcclumJson.load(Json.set(TEMPLATE, "env.default", "[\"A==1\"]"), "x", BuildRequest.defaults())
                .internalConfig("").env().defaults()).containsExactly("A==1");
    }

    // ---- the internal config is strict in every nested section -------------------------------

    @Test
    void anUnknownKeyInANestedSectionOfTheInternalConfigIsAnError() {
        String good = new String(EnclaveXmlAndInternalConfigTest.internal(TEMPLATE), StandardCharsets.UTF_8);
        record Case(String after, String path, String allowed) {
        }
        for (Case c : List.of(
                new Case("\"user_space_init_size\"", "resource_limits", "user_space_init_size, user_space_max_size"),
                new Case("\"default_stack_size\"", "process", "default_stack_size, default_heap_size, default_mmap_size"),
                new Case("\"default\"", "env", "default, untrusted"),
                new Case("\"product_id\"", "metadata", "product_id, version_number, debuggable, enable_kss, family_id, ext_prod_id"),
                new Case("\"high\"", "metadata.family_id", "high, low"),
                new Case("\"amx\"", "feature", "amx, pkru, io_uring, enable_edmm, enable_posix_shm"))) {
            int at = good.indexOf("  " + c.after() + ":");
            assertThat(at).as(c.after()).isPositive();
            String bad = good.substring(0, at) + "  \"stray\": 1,\n  " + good.substring(at);
            assertThatThrownBy(() -> InternalConfig.parse(bytes(bad))).as(c.path())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("internal config: " + c.path() + ".stray: unknown key; allowed here: " + c.allowed() + ".");
        }
    }

    // ---- mounts: odd but valid, and wrong ------------------------------------------------------

    private static byte[] withMount(String mountJson) {
        return Json.edit(TEMPLATE, root -> ((ArrayNode) root.get("mount")).add(Json.tree(bytes(mountJson))));
    }

    @Test
    void layersOfAMountThatIsNotAUnionAreWarnedAbout() {
        byte[] json = withMount("{\"target\": \"/x\", \"type\": \"hostfs\", \"source\": \".\", \"options\": {\"layers\": []}}");
        assertThat(OcclumJsonTest.warnings(json)).containsExactly(
                "mount[2].options.layers: layers only mean something for a unionfs mount; ignored for \"hostfs\".");
    }

    @Test
    void anExt2MountNeedsADiskSizeEvenWithOtherOptions() {
        byte[] json = withMount("{\"target\": \"/e\", \"type\": \"ext2\", \"options\": {\"temporary\": true}}");
        assertThat(OcclumJsonTest.errors(json)).containsExactly(
                "mount[2].options.disk_size: required key missing; expected a size of at least 5GB for an ext2 mount.");
    }

    @Test
    void layersMustBeAnArray() {
        byte[] json = Json.edit(TEMPLATE, root -> ((ObjectNode) root.get("mount").get(0).get("options")).put("layers", 5));
        assertThat(OcclumJsonTest.errors(json)).containsExactly("mount[0].options.layers: 5 is a number; expected an array of mounts.");
    }

    // ---- how values are shown in messages -------------------------------------------------------

    @Test
    void wrongTypesAreNamedAndShown() {
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "resource_limits.max_num_of_threads", "null")))
                .containsExactly("resource_limits.max_num_of_threads: found null; expected a whole number from 1 to 65536.");
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "resource_limits.max_num_of_threads", "[1]")))
                .containsExactly("resource_limits.max_num_of_threads: found an array; expected a whole number from 1 to 65536.");
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "resource_limits.max_num_of_threads", "{}")))
                .containsExactly("resource_limits.max_num_of_threads: found an object; expected a whole number from 1 to 65536.");
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "resource_limits.max_num_of_threads", "true")))
                .containsExactly("resource_limits.max_num_of_threads: true is a boolean; expected a whole number from 1 to 65536.");
        String long61 = "x".repeat(61);
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "entry_points", "[\"" + long61 + "\"]")))
                .containsExactly("entry_points[0]: \"" + "x".repeat(57) + "...\" is not an absolute path; expected a path inside the enclave such as \"/bin\".");
        String sixty = "y".repeat(60);
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "entry_points", "[\"" + sixty + "\"]")))
                .containsExactly("entry_points[0]: \"" + sixty + "\" is not an absolute path; expected a path inside the enclave such as \"/bin\".");
        assertThat(OcclumJsonTest.errors(Json.set(TEMPLATE, "entry_points", "[\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f \"]")))
                .containsExactly("entry_points[0]: \"a\\\"b\\\\c\\nd\\te\\u0001\\u001f \" is not an absolute path; expected a path inside the enclave such as \"/bin\".");
    }

    // ---- problems, exceptions, platforms, resolution -------------------------------------------

    @Test
    void aConfigExceptionNamesItsOriginAndEveryProblem() {
        byte[] json = Json.set(Json.set(TEMPLATE, "resource_limits.max_num_of_threads", "0"), "feature.amx", "9");
        ConfigException e = org.assertj.core.api.Assertions.catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(json, "My.json", BuildRequest.defaults()));
        assertThat(e.origin()).isEqualTo("My.json");
        assertThat(e.errors()).hasSize(2).allMatch(ConfigProblem::isError);
        assertThat(e.getMessage()).startsWith("My.json has 2 problems:\n  My.json: ");
        assertThat(ConfigProblem.warning("a", "b").isError()).isFalse();
    }

    @Test
    void aPlatformOfItsOwn() {
        assertThat(BuildPath.of(SgxMode.HW, true).path()).isEqualTo("EDMM");
        assertThat(BuildPath.of(SgxMode.HW, false).path()).isEqualTo("non-EDMM");
        assertThat(BuildPath.of(SgxMode.SIM, false).edmm()).isFalse();
        assertThatThrownBy(() -> BuildPath.of(SgxMode.SIM, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("simulation mode never uses EDMM");
    }

    @Test
    void resolvingAConfigurationChecksItFirst() {
        OcclumConfig ok = OcclumJson.parse(TEMPLATE, "Occlum.json").config();
        assertThat(Resolver.resolve(ok, BuildPath.of(SgxMode.HW, true))).isNotNull();
        OcclumConfig bad = OcclumJson.parse(withMount("{\"target\": \"/c\", \"type\": \"sefs\", \"options\": {\"cache_size\": \"1GB\"}}"),
                "Occlum.json").config();
        assertThatThrownBy(() -> Resolver.resolve(bad, BuildPath.of(SgxMode.HW, false))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Occlum.json: mount[2].options.cache_size: ");
    }
}
