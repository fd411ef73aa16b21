package io.jocclum.libos.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.jocclum.libos.config.Json.bytes;
import static io.jocclum.libos.config.Json.remove;
import static io.jocclum.libos.config.Json.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** One test per error class, with the exact sentences users see. */
class OcclumJsonTest {
    static final byte[] TEMPLATE = Templates.occlumTemplate();
    static final String SIZE_RULE = "write an unsigned integer followed by one of the units B, KB, MB, GB, TB"
            + " (case-sensitive), e.g. \"300MB\".";

    static List<String> errors(byte[] json) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(json, "Occlum.json", BuildRequest.defaults()));
        assertThat(e).as("expected a configuration error").isNotNull();
        return e.errors().stream().map(ConfigProblem::toString).toList();
    }

    static List<String> errorsEdmm(byte[] json) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, true)));
        assertThat(e).as("expected a configuration error").isNotNull();
        return e.errors().stream().map(ConfigProblem::toString).toList();
    }

    static List<String> warnings(byte[] json) {
        return ResolutionInvariants.check(OcclumJson.load(json, "Occlum.json", BuildRequest.defaults()))
                .warnings().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void theTemplateParsesWithoutWarnings() {
        OcclumJson.Parsed p = OcclumJson.parse(TEMPLATE, "Occlum.json");
        assertThat(p.warnings()).isEmpty();
        OcclumConfig c = p.config();
        assertThat(c.resourceLimits()).isEqualTo(new ResourceLimits(1 << 20, 32 << 20, java.util.OptionalLong.empty(),
                300 << 20, java.util.OptionalLong.empty(), java.util.OptionalLong.empty(), 32));
        assertThat(c.process()).isEqualTo(new ProcessDefaults(4 << 20, 32 << 20, 100 << 20));
        assertThat(c.entryPoints()).containsExactly("/bin");
        assertThat(c.env()).isEqualTo(new Env(List.of("OCCLUM=yes"), List.of("EXAMPLE")));
        assertThat(c.feature()).isEqualTo(Feature.DEFAULTS);
        assertThat(c.mounts()).hasSize(2);
        assertThat(c.mounts().get(0).options().layers().orElseThrow().get(0).options().mac()).contains("");
    }

    @Test
    void theGuidesExampleWithCommentsAndTrailingCommasParses() {
        String text = new String(Templates.guideExample(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).contains("// !!! (新增，选填)").contains("    ],\n}");
        OcclumJson.Parsed p = OcclumJson.parse(Templates.guideExample(), "Occlum.json");
        assertThat(p.warnings()).isEmpty();
        ResourceLimits rl = p.config().resourceLimits();
        assertThat(rl.kernelSpaceHeapMaxSize()).hasValue(40 << 20);
        assertThat(rl.userSpaceMaxSize()).hasValue(600 << 20);
        assertThat(rl.initNumOfThreads()).hasValue(2);
        assertThat(rl.maxNumOfThreads()).isEqualTo(64);
    }

    @Test
    void theGuidesExampleAloneFailsWithOneListOfMissingSections() {
        assertThat(errors(Templates.guideSections())).containsExactly("lacks the required sections entry_points, env,"
                + " metadata, feature and mount; an Occlum.json needs all of resource_limits, process, entry_points, env,"
                + " metadata, feature and mount, as in Occlum's template (jocclum new writes one).");
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(Templates.guideSections(), "Occlum.json", BuildRequest.defaults()));
        assertThat(e.getMessage()).startsWith("Occlum.json lacks the required sections entry_points,");
    }

    @Test
    void missingRequiredKeys() {
        byte[] json = remove(remove(TEMPLATE, "resource_limits.user_space_size"), "metadata.debuggable");
        assertThat(errors(json)).containsExactly(
                "resource_limits.user_space_size: required key missing; expected a size string such as \"300MB\".",
                "metadata.debuggable: required key missing; expected true or false.");
        assertThat(errors(remove(TEMPLATE, "process.default_mmap_size"))).containsExactly(
                "process.default_mmap_size: required key missing; expected a size string such as \"300MB\".");
        assertThat(errors(remove(TEMPLATE, "env.untrusted"))).containsExactly(
                "env.untrusted: required key missing; expected an array of variable names.");
        assertThat(errors(remove(TEMPLATE, "metadata.family_id"))).containsExactly(
                "metadata.family_id: required key missing; expected an object.");
        assertThat(errors(remove(TEMPLATE, "mount"))).containsExactly("lacks the required section mount; an Occlum.json"
                + " needs all of resource_limits, process, entry_points, env, metadata, feature and mount, as in Occlum's"
                + " template (jocclum new writes one).");
    }

    @Test
    void badSizes() {
        assertThat(errors(set(TEMPLATE, "resource_limits.user_space_size", "\"300mb\""))).containsExactly(
                "resource_limits.user_space_size: \"300mb\" is not a size; " + SIZE_RULE);
        assertThat(errors(set(TEMPLATE, "resource_limits.kernel_space_heap_size", "\"1.5GB\""))).containsExactly(
                "resource_limits.kernel_space_heap_size: \"1.5GB\" is not a size; " + SIZE_RULE);
        assertThat(errors(set(TEMPLATE, "process.default_stack_size", "\"99999999999TB\""))).containsExactly(
                "process.default_stack_size: \"99999999999TB\" is too large; sizes must stay below 8EB"
                        + " (9223372036854775807B).");
        assertThat(errors(set(TEMPLATE, "resource_limits.user_space_size", "314572800"))).containsExactly(
                "resource_limits.user_space_size: 314572800 is a number; expected a size string such as \"300MB\".");
        assertThat(errors(set(TEMPLATE, "resource_limits.kernel_space_stack_size", "\"1000B\""))).containsExactly(
                "resource_limits.kernel_space_stack_size: \"1000B\" is not a multiple of 4KB; expected a positive multiple"
                        + " of 4KB (whole enclave pages).");
        assertThat(errors(set(TEMPLATE, "resource_limits.kernel_space_heap_size", "\"0MB\""))).containsExactly(
                "resource_limits.kernel_space_heap_size: \"0MB\" is zero; expected a positive multiple of 4KB (whole"
                        + " enclave pages).");
        assertThat(errors(set(TEMPLATE, "resource_limits.user_space_size", "\"200TB\""))).containsExactly(
                "resource_limits.user_space_size: \"200TB\" is too large; an enclave's address range is at most 128TB"
                        + " (the user half of a 48-bit address space).");
    }

    @Test
    void badNumbers() {
        assertThat(errors(set(TEMPLATE, "resource_limits.max_num_of_threads", "32.5"))).containsExactly(
                "resource_limits.max_num_of_threads: 32.5 is not a whole number; expected a whole number from 1 to 65536.");
        assertThat(errors(set(TEMPLATE, "resource_limits.max_num_of_threads", "32.0"))).containsExactly(
                "resource_limits.max_num_of_threads: 32.0 is not a whole number; expected a whole number from 1 to 65536.");
        assertThat(errors(set(TEMPLATE, "resource_limits.max_num_of_threads", "\"32\""))).containsExactly(
                "resource_limits.max_num_of_threads: \"32\" is a string; expected a whole number from 1 to 65536.");
        assertThat(errors(set(TEMPLATE, "resource_limits.max_num_of_threads", "0"))).containsExactly(
                "resource_limits.max_num_of_threads: 0 is out of range; expected a whole number from 1 to 65536.");
        assertThat(errors(set(TEMPLATE, "resource_limits.init_num_of_threads", "-1"))).containsExactly(
                "resource_limits.init_num_of_threads: -1 is out of range; expected a whole number from 1 to 65536.");
        assertThat(errors(set(TEMPLATE, "metadata.product_id", "70000"))).containsExactly(
                "metadata.product_id: 70000 is out of range; expected a whole number from 0 to 65535.");
        assertThat(errors(set(TEMPLATE, "metadata.version_number", "18446744073709551616"))).containsExactly(
                "metadata.version_number: 18446744073709551616 is out of range; expected a whole number from 0 to 65535.");
        assertThat(errors(set(TEMPLATE, "feature.amx", "3"))).containsExactly(
                "feature.amx: 3 is out of range; expected a whole number from 0 to 2.");
    }

    @Test
    void badTypes() {
        assertThat(errors(set(TEMPLATE, "metadata.debuggable", "\"yes\""))).containsExactly(
                "metadata.debuggable: \"yes\" is a string; expected true or false.");
        assertThat(errors(set(TEMPLATE, "feature.enable_edmm", "1"))).containsExactly(
                "feature.enable_edmm: 1 is a number; expected true or false.");
        assertThat(errors(set(TEMPLATE, "resource_limits", "[]"))).containsExactly(
                "resource_limits: found an array; expected an object with the keys kernel_space_stack_size,"
                        + " kernel_space_heap_size, kernel_space_heap_max_size, user_space_size, user_space_max_size,"
                        + " init_num_of_threads, max_num_of_threads.");
        assertThat(errors(set(TEMPLATE, "entry_points", "\"/bin\""))).containsExactly(
                "entry_points: \"/bin\" is a string; expected an array of absolute paths.");
        assertThat(errors(set(TEMPLATE, "entry_points", "[\"bin\", 7]"))).containsExactly(
                "entry_points[1]: 7 is a number; expected an absolute path.");
        assertThat(errors(set(TEMPLATE, "entry_points", "[\"bin\"]"))).containsExactly(
                "entry_points[0]: \"bin\" is not an absolute path; expected a path inside the enclave such as \"/bin\".");
        assertThat(errors(set(TEMPLATE, "env.default", "[\"OCCLUM\"]"))).containsExactly(
                "env.default[0]: \"OCCLUM\" is not a variable assignment; expected \"NAME=value\", e.g. \"OCCLUM=yes\".");
        assertThat(errors(set(TEMPLATE, "metadata", "null"))).containsExactly(
                "metadata: found null; expected an object with the keys product_id, version_number, debuggable,"
                        + " enable_kss, family_id, ext_prod_id, disable_log.");
    }

    @Test
    void parserMessagesNameTheProblemWithoutJacksonInternals() {
        String[][] cases = {
            {"{", " at line 1, column 2: the file ends inside an object (a closing '}' is missing)"},
            {"{\"a\": 1,", " at line 1, column 9: the file ends inside an object (a closing '}' is missing)"},
            {"{\"a\": [1,", " at line 1, column 10: the file ends inside an array (a closing ']' is missing)"},
            {"{\"a\": \"x", " at line 1, column 9: the file ends inside a string (a closing '\"' is missing)"},
            {"{\"a\": NaN}", " at line 1, column 10: 'NaN' is not a JSON number"},
            {"{\"a\":1 \"b\":2}", " at line 1, column 8: unexpected character '\"': a ',' or '}' was expected"},
            {"{a: 1}", " at line 1, column 2: unexpected character 'a': a key must be a string in double quotes"},
            {"{\"a\": yes}", " at line 1, column 7: 'yes' is not a JSON value (strings need double quotes; the literals are"
                    + " true, false and null)"},
            {"{\"a\": \"x\ny\"}", " at line 1, column 9: a string holds a control character (code 10); write it with a"
                    + " backslash escape such as \\n"},
            {"[".repeat(1001) + "]".repeat(1001), ": values are nested more than 500 levels deep"},
            {"{\"a\": -", " at line 1, column 8: the file ends too early"},
            {"{\"a\" 1}", " at line 1, column 6: unexpected character '1': a ':' was expected after the key"},
            {"{\"a\": 0x1}", " at line 1, column 8: unexpected character 'x': hexadecimal numbers are not JSON; write the"
                    + " number in decimal"},
            {"{\"a\": 1.}", " at line 1, column 9: unexpected character '}' in a number: decimal point not followed by a digit"},
            {"{\"a\": 01}", " at line 1, column 8: invalid numeric value: Leading zeroes not allowed"},
            {"{} {}", " at line 1, column 4: something follows the end of the first value; a JSON file holds one value"},
            {"{\"a\": " + "1".repeat(1001) + "}", ": a number is 1001 characters long; at most 1000 are allowed"},
            {"{\"" + "k".repeat(50001) + "\": 1}", ": a key is 50001 characters long; at most 50000 are allowed"},
        };
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (String[] c : cases) {
            ConfigException e = catchThrowableOfType(ConfigException.class,
                    () -> OcclumJson.load(bytes(c[0]), "Occlum.json", BuildRequest.defaults()));
            soft.assertThat(e.getMessage()).as(c[0].length() > 40 ? c[0].substring(0, 40) + "..." : c[0])
                    .isEqualTo("Occlum.json is not valid JSON" + c[1] + " (comments and trailing commas are allowed).");
        }
        soft.assertAll();
    }

    @Test
    void bytesThatAreNotUtf8AreSaidToBeSo() {
        byte[] json = {'{', '"', 'a', '"', ':', ' ', '"', (byte) 0xC3, 'A', '"', '}'};
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(json, "Occlum.json", BuildRequest.defaults()));
        assertThat(e.getMessage()).contains("the file is not UTF-8 text (an invalid byte sequence)")
                .doesNotContain("middle byte").doesNotContain("0x");
    }

    @Test
    void notJson() {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(bytes("{\n  \"process\": {,\n}"), "Occlum.json", BuildRequest.defaults()));
        assertThat(e.getMessage()).startsWith("Occlum.json is not valid JSON at line 2, column 15: ")
                .endsWith(" (comments and trailing commas are allowed).").doesNotContain("\n");
        assertThat(errors(bytes("[1, 2]"))).containsExactly("holds an array; expected an object with the sections"
                + " resource_limits, process, entry_points, env, metadata, feature and mount.");
        assertThat(errors(bytes("  "))).hasSize(1).first().asString().startsWith("is empty;");
        // a key twice is a mistake, not a last-one-wins
        String dup = new String(TEMPLATE, java.nio.charset.StandardCharsets.UTF_8).replace("\"entry_points\"",
                "\"env\": {}, \"entry_points\"");
        assertThat(errors(bytes(dup))).hasSize(1).first().asString().contains("the key \"env\" appears twice in one object");
    }

    @Test
    void unknownKeysAreWarningsNamingTheClosestKnownKey() {
        byte[] json = set(TEMPLATE, "resource_limits.user_space_max", "\"1GB\"");
        json = set(json, "resource_limits.kernal_space_heap_size", "\"1GB\"");
        json = set(json, "feature.enable_edm", "true");
        json = set(json, "untrusted_unix_socks", "[]");
        assertThat(warnings(json)).containsExactly(
                "resource_limits.user_space_max: unknown key, ignored; did you mean user_space_max_size?",
                "resource_limits.kernal_space_heap_size: unknown key, ignored; did you mean kernel_space_heap_size?",
                "feature.enable_edm: unknown key, ignored; did you mean enable_edmm?",
                "untrusted_unix_socks: unknown key, ignored; did you mean entry_points?");
        byte[] mac = bytes(new String(TEMPLATE, java.nio.charset.StandardCharsets.UTF_8).replace("\"MAC\"", "\"mac\""));
        List<String> e = errors(mac);
        assertThat(e).containsExactly("mount[0].options.layers: no layer has target \"/\", type \"sefs\" and an"
                + " options.MAC key; expected one such layer, where the build puts the image's MAC.");
        ConfigException ce = catchThrowableOfType(ConfigException.class,
                () -> OcclumJson.load(mac, "Occlum.json", BuildRequest.defaults()));
        assertThat(ce.warnings()).extracting(ConfigProblem::toString).containsExactly(
                "mount[0].options.layers[0].options.mac: unknown key, ignored; did you mean MAC?");
    }

    @Test
    void badMounts() {
        assertThat(errors(set(TEMPLATE, "mount", "[]"))).containsExactly("mount: no mount has target \"/\"; expected a"
                + " unionfs root mount whose layers include the image (target \"/\", type \"sefs\", options.MAC), as in"
                + " Occlum's template.");
        assertThat(errors(set(TEMPLATE, "mount", "[{\"target\": \"/\", \"type\": \"sefs\", \"options\": {\"MAC\": \"\"}}]")))
                .containsExactly("mount[0].type: \"sefs\" is not allowed for the root; expected \"unionfs\" for the mount"
                        + " with target \"/\".");
        assertThat(errors(set(TEMPLATE, "mount", "[{\"target\": \"/\", \"type\": \"unionfs\"}]"))).containsExactly(
                "mount[0].options.layers: required key missing; expected the root's layers, one of them with target"
                        + " \"/\", type \"sefs\" and options.MAC (the image).");
        assertThat(errors(set(TEMPLATE, "mount", "[{\"target\": \"/\", \"type\": \"unionfs\", \"options\": {\"layers\":"
                + " [{\"target\": \"/\", \"type\": \"sefs\"}]}}]"))).containsExactly(
                "mount[0].options.layers: no layer has target \"/\", type \"sefs\" and an options.MAC key; expected one"
                        + " such layer, where the build puts the image's MAC.");
        String root = "{\"target\": \"/\", \"type\": \"unionfs\", \"options\": {\"layers\": [{\"target\": \"/\", \"type\":"
                + " \"sefs\", \"source\": \"./build/mount/__ROOT\", \"options\": {\"MAC\": \"\"}}]}}";
        assertThat(errors(set(TEMPLATE, "mount", "[" + root + ", {\"target\": \"host\", \"type\": \"hostfz\"}]")))
                .containsExactly(
                        "mount[1].target: \"host\" is not an absolute path; expected a path inside the enclave such as \"/host\".",
                        "mount[1].type: \"hostfz\" is not a file system type; expected one of sefs, hostfs, ramfs, unionfs,"
                                + " devfs, procfs, async_sfs, ext2.");
        assertThat(errors(set(TEMPLATE, "mount", "[" + root + ", " + root + "]"))).containsExactly(
                "mount[1].target: \"/\" is already mounted by mount[0]; expected one root mount.");
        assertThat(errors(set(TEMPLATE, "mount", "[" + root + ", {\"target\": \"/data\", \"type\": \"sefs\", \"options\":"
                + " {\"cache_size\": \"128KB\"}}, {\"target\": \"/d2\", \"type\": \"sefs\", \"options\": {\"cache_size\":"
                + " \"198KB\"}}]"))).containsExactly(
                "mount[1].options.cache_size: \"128KB\" is too small; expected at least 192KB.",
                "mount[2].options.cache_size: \"198KB\" is not a multiple of 4KB; expected whole pages.");
        assertThat(errors(set(TEMPLATE, "mount", "[" + root + ", {\"target\": \"/ext\", \"type\": \"ext2\"},"
                + " {\"target\": \"/ext2\", \"type\": \"ext2\", \"options\": {\"disk_size\": \"4GB\"}}]"))).containsExactly(
                "mount[1].options.disk_size: required key missing; expected a size of at least 5GB for an ext2 mount.",
                "mount[2].options.disk_size: \"4GB\" is too small; an ext2 mount needs at least 5GB.");
    }

    @Test
    void cacheSizeMustFitTheResolvedKernelHeapMax() {
        String root = "{\"target\": \"/\", \"type\": \"unionfs\", \"options\": {\"layers\": [{\"target\": \"/\", \"type\":"
                + " \"sefs\", \"source\": \"./build/mount/__ROOT\", \"options\": {\"MAC\": \"\", \"cache_size\":"
                + " \"64MB\"}}]}}";
        byte[] json = set(TEMPLATE, "mount", "[" + root + "]");
        // non-EDMM: the heap is 32MB, too small; EDMM raises its Max to 1GB, where 64MB fits
        assertThat(errors(json)).containsExactly("mount[0].options.layers[0].options.cache_size: \"64MB\" is larger than"
                + " the kernel heap Max of 32MB; a file system cache lives in the kernel heap and must fit there.");
        ResolutionInvariants.check(OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, true)));
    }

    @Test
    void kssIdsMustBeHexThatFits64BitsWhenKssIsOn() {
        byte[] kss = set(TEMPLATE, "metadata.enable_kss", "true");
        assertThat(errors(set(kss, "metadata.family_id", "{\"high\": \"0xZZ\", \"low\": \"0x1ffffffffffffffff\"}")))
                .containsExactly(
                        "metadata.family_id.high: \"0xZZ\" is not a hex number; write up to 16 hex digits, \"0x\" prefix"
                                + " optional, e.g. \"0x1f\".",
                        "metadata.family_id.low: \"0x1ffffffffffffffff\" does not fit 64 bits; the largest id is"
                                + " \"0xffffffffffffffff\".");
        assertThat(errors(set(kss, "metadata.ext_prod_id", "{\"high\": \"0x\", \"low\": 5}"))).containsExactly(
                "metadata.ext_prod_id.low: 5 is a number; expected a 64-bit hex string such as \"0x0\".");
        ResolvedConfig ok = OcclumJson.load(set(set(kss, "metadata.family_id",
                        "{\"high\": \"FFFFFFFFFFFFFFFF\", \"low\": \"0x00000000000000001\"}"),
                "metadata.ext_prod_id", "{\"high\": \"0x2\", \"low\": \"abc\"}"), "Occlum.json", BuildRequest.defaults());
        ResolutionInvariants.check(ok);
        assertThat(ok.enclaveXml().enableKss()).isEqualTo(1);
        assertThat(ok.enclaveXml().isvFamilyIdH()).isEqualTo(-1L);
        assertThat(ok.enclaveXml().isvFamilyIdL()).isEqualTo(1L);
        assertThat(ok.enclaveXml().isvExtProdIdH()).isEqualTo(2L);
        assertThat(ok.enclaveXml().isvExtProdIdL()).isEqualTo(0xabcL);
        // without KSS the ids are ignored: a bad one is only a warning, and Enclave.xml carries zeros
        byte[] noKss = set(TEMPLATE, "metadata.family_id", "{\"high\": \"0xZZ\", \"low\": \"0x5\"}");
        assertThat(warnings(noKss)).containsExactly("metadata.family_id.high: \"0xZZ\" is not a hex number; write up to"
                + " 16 hex digits, \"0x\" prefix optional, e.g. \"0x1f\"; ignored because metadata.enable_kss is false.");
        EnclaveXml x = OcclumJson.load(noKss, "Occlum.json", BuildRequest.defaults()).enclaveXml();
        assertThat(x.isvFamilyIdL()).isZero();
        assertThat(x.enableKss()).isZero();
    }

    @Test
    void everyProblemOfTheFileIsReportedAtOnce() {
        byte[] json = set(TEMPLATE, "resource_limits.user_space_size", "\"300mb\"");
        json = set(json, "resource_limits.max_num_of_threads", "1.5");
        json = set(json, "metadata.product_id", "-3");
        json = set(json, "feature.pkru", "\"on\"");
        json = remove(json, "entry_points");
        json = set(json, "mount", "[]");
        assertThat(errors(json)).extracting(s -> s.substring(0, Math.max(0, s.indexOf(':')))).containsExactly(
                "", "resource_limits.user_space_size", "resource_limits.max_num_of_threads", "metadata.product_id",
                "feature.pkru", "mount");
    }

    @Test
    void initAboveMaxNamesBothValuesAsWritten() {
        byte[] json = set(TEMPLATE, "resource_limits.user_space_max_size", "\"204800KB\"");
        assertThat(errors(json)).containsExactly("resource_limits.user_space_size: \"300MB\" is larger than the user space"
                + " Max user_space_max_size \"204800KB\"; the user space Init must not exceed its Max.");
        byte[] heap = set(set(TEMPLATE, "resource_limits.kernel_space_heap_size", "\"2GB\""),
                "resource_limits.kernel_space_heap_max_size", "\"1536MB\"");
        assertThat(errorsEdmm(heap)).containsExactly("resource_limits.kernel_space_heap_size: \"2GB\" is larger than the"
                + " kernel heap Max of 1536MB (the larger of kernel_space_heap_max_size \"1536MB\" and the EDMM default 1GB);"
                + " the kernel heap Init must not exceed its Max.");
        // the same file on the non-EDMM path: heap_max is the static heap, heap_size has no effect
        ResolvedConfig nonEdmm = ResolutionInvariants.check(OcclumJson.load(heap, "Occlum.json", BuildRequest.defaults()));
        assertThat(nonEdmm.kernelHeapMax()).isEqualTo(1536L << 20);
        byte[] user = set(set(TEMPLATE, "resource_limits.user_space_size", "\"20GB\""),
                "resource_limits.user_space_max_size", "\"1GB\"");
        assertThat(errorsEdmm(user)).containsExactly("resource_limits.user_space_size: \"20GB\" is larger than the user"
                + " space Max of 16GB (the larger of user_space_max_size \"1GB\" and the EDMM default 16GB); the user space"
                + " Init must not exceed its Max.");
    }

    @Test
    void anImageLayerElsewhereIsAWarning() {
        byte[] json = bytes(new String(TEMPLATE, java.nio.charset.StandardCharsets.UTF_8)
                .replace("./build/mount/__ROOT", "./elsewhere"));
        assertThat(warnings(json)).containsExactly("mount[0].options.layers[0].source: \"./elsewhere\" is not"
                + " \"./build/mount/__ROOT\", where the build puts the image snapshot; the LibOS will look for the image"
                + " there.");
    }

    @Test
    void parseAloneThrowsWithEveryError() {
        assertThatThrownBy(() -> OcclumJson.parse(set(TEMPLATE, "feature.amx", "true"), "x.json"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("x.json: feature.amx: true is a boolean; expected a whole number from 0 to 2.");
    }
}
