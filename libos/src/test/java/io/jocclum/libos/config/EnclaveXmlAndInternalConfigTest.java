package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.jocclum.libos.config.Json.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnclaveXmlAndInternalConfigTest {

    @Test
    void enclaveXmlReadsBackWhatItWrites() {
        EnclaveXml x = OcclumJson.load(Templates.guideExample(), "Occlum.json", BuildRequest.of(SgxMode.HW, true))
                .enclaveXml();
        assertThat(EnclaveXml.parse(x.toBytes())).isEqualTo(x);
        assertThat(new String(x.toBytes(), StandardCharsets.UTF_8)).startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<EnclaveConfiguration>\n    <ProdID>0</ProdID>\n").endsWith("</EnclaveConfiguration>\n")
                .doesNotContain("\r");
    }

    @Test
    void enclaveXmlRejectsWhatBuildDoesNotWrite() {
        assertThatThrownBy(() -> EnclaveXml.parse(bytes("<Other/>"))).hasMessage("Enclave.xml's root is Other, expected"
                + " EnclaveConfiguration");
        assertThatThrownBy(() -> EnclaveXml.parse(bytes("<EnclaveConfiguration><ProdID>1</ProdID></EnclaveConfiguration>")))
                .hasMessage("Enclave.xml has no ISVSVN element");
        String bad = new String(OcclumJson.load(Templates.occlumTemplate(), "x", BuildRequest.defaults()).enclaveXml()
                .toBytes(), StandardCharsets.UTF_8).replace("<TCSNum>32<", "<TCSNum>many<");
        assertThatThrownBy(() -> EnclaveXml.parse(bytes(bad))).hasMessage("Enclave.xml's TCSNum is \"many\", not a number");
        assertThatThrownBy(() -> EnclaveXml.parse(bytes("<EnclaveConfiguration>"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Enclave.xml is not well-formed XML");
    }

    @Test
    void internalConfigIsCanonical() {
        // comments, whitespace, key order and the spelling of a size do not change a byte
        String text = new String(Templates.occlumTemplate(), StandardCharsets.UTF_8);
        String respelled = "// a comment\n" + text.replace("\"32MB\"", "\" 32768KB \"").replace("\"4MB\"", "\"4194304B\"")
                .replace("    \"process\"", "    /* block */ \"process\"").replace("\n", "\n\n");
        byte[] a = internal(bytes(text));
        byte[] b = internal(bytes(respelled));
        assertThat(b).isEqualTo(a);
        assertThat(new String(a, StandardCharsets.UTF_8)).contains("\"default_stack_size\": \"4194304B\"")
                .contains("\"user_space_init_size\": \"314572800B\"").contains("\"MAC\": \"" + "cd".repeat(32) + "\"")
                .endsWith("}\n").doesNotContain("\r");
    }

    static byte[] internal(byte[] json) {
        return OcclumJson.load(json, "Occlum.json", BuildRequest.defaults()).internalConfig("cd".repeat(32)).toBytes();
    }

    @Test
    void internalConfigIsReadStrictly() {
        String good = new String(internal(Templates.occlumTemplate()), StandardCharsets.UTF_8);
        InternalConfig c = InternalConfig.parse(bytes(good));
        assertThat(c.imageMac()).contains("cd".repeat(32));
        assertThat(c.userSpaceInitSize()).isEqualTo(300L << 20);
        assertThatThrownBy(() -> InternalConfig.parse(bytes(good.replace("\"disable_log\"", "\"extra\": 1, \"disable_log\""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("internal config: extra: unknown key; allowed here: format, resource_limits, process,"
                        + " entry_points, env, metadata, disable_log, mount, feature.");
        assertThatThrownBy(() -> InternalConfig.parse(bytes(good.replace("jocclum-internal-config/1", "other/9"))))
                .hasMessage("internal config: format: \"other/9\" is not a format this LibOS reads; expected"
                        + " \"jocclum-internal-config/1\".");
    }
}
