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
        return new String(OcclumJson.load(TEMPLATE, "x", PlatformRequest.defaults()).enclaveXml().toBytes(), StandardCharsets.UTF_8);
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
        InternalConfig c = OcclumJson.load(withEveryMountOption(), "Occlum.json", PlatformRequest.defaults())
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
        assertThat(OcclumJson.load(Json.set(TEMPLATE, "env.default", "[\"A==1\"]"), "x", PlatformRequest.defaults())
                .internalConfig("").env().defaults()).containsExactly("A==1");
    }
}
