package io.jocclum.cli;

import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.Templates;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.layout.LayoutInvariants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BuildTest {
    /**
     * MRENCLAVE of a default instance ({@code jocclum new}, non-EDMM HW build). A regression lock:
     * it changes when the template, the layout, the internal config format or the LibOS version
     * changes, each of which must be deliberate.
     */
    static final String DEFAULT_MRENCLAVE = "e4d59209dc27de26e0a94d090dd2202d6d37a585e7947513bac4a90030a9b682";

    @TempDir
    Path tmp;

    Path instance(String name) {
        assertThat(Run.jocclum(tmp, "new", name).exit()).isZero();
        return tmp.resolve(name);
    }

    static String golden(String name) throws IOException {
        try (InputStream in = io.jocclum.libos.config.Templates.class.getResourceAsStream(name + ".Enclave.xml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    static String mrenclave(Path inst) {
        Run.Result r = Run.jocclum(inst, "print", "mrenclave");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).matches("[0-9a-f]{64}\n");
        return r.out().strip();
    }

    static String mrsigner(Path inst) {
        Run.Result r = Run.jocclum(inst, "print", "mrsigner");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).matches("[0-9a-f]{64}\n");
        return r.out().strip();
    }

    Run.Result build(Path inst, Map<String, String> env, String... args) {
        String[] all = Stream.concat(Stream.of("build", "--sign-key", Run.key(tmp, "key-a.pem").toString()),
                Stream.of(args)).toArray(String[]::new);
        return Run.jocclum(inst, env, all);
    }

    static BuiltEnclave built(Path inst) throws IOException {
        BuiltEnclave b = BuiltEnclave.load(new InstancePaths(inst));
        LayoutInvariants.check(b.layout());
        assertThat(b.consistent()).as("re-measured layout equals the SIGSTRUCT's ENCLAVEHASH").isTrue();
        assertThat(b.sigStruct().verify()).isTrue();
        return b;
    }

    @Test
    void theDefaultInstanceBuildsToTheGoldenOutputs() throws IOException {
        Path inst = instance("a");
        Run.Result r = build(inst, Map.of());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(read(inst.resolve("build/Enclave.xml"))).isEqualTo(golden("template-non-edmm"));
        assertThat(mrenclave(inst)).isEqualTo(DEFAULT_MRENCLAVE);
        assertThat(r.out()).contains("Built " + inst + " for a non-EDMM platform (HW mode, EDMM not requested).\n")
                .contains("MRENCLAVE " + DEFAULT_MRENCLAVE + "\n")
                .contains("At load:   364.5MB committed (93315 EADD pages, 133168 EEXTEND records), in an address range"
                        + " of 512MB.\n")
                .contains("On demand: nothing;");
        built(inst);
        // the image snapshot and its digest in the internal config
        assertThat(inst.resolve("build/mount/__ROOT/bin")).isDirectory();
        assertThat(read(inst.resolve("build/Occlum_sys.json"))).contains("\"source\": \"./build/mount/__ROOT\"");
        // stable across instances and runs
        Path other = instance("b");
        assertThat(build(other, Map.of()).exit()).isZero();
        assertThat(mrenclave(other)).isEqualTo(DEFAULT_MRENCLAVE);
        assertThat(Files.readAllBytes(other.resolve("build/enclave.sigstruct")))
                .isEqualTo(Files.readAllBytes(inst.resolve("build/enclave.sigstruct")));
    }

    @Test
    void edmmByEnvironmentOrFlagGivesTheEdmmGolden() throws IOException {
        Path inst = instance("e");
        Run.Result r = build(inst, Map.of("ENABLE_EDMM", "Y"));
        assertThat(r.exit()).isZero();
        assertThat(read(inst.resolve("build/Enclave.xml"))).isEqualTo(golden("template-edmm"));
        assertThat(r.out()).contains("for an EDMM (SGX2) platform (HW mode, EDMM requested by ENABLE_EDMM=Y).")
                .contains("  kernel heap     32MB       1GB\n")
                .contains("  user space      300MB      16GB  (user region 17GB)\n")
                .contains("  threads (TCS)   16         4096\n")
                .contains("  - kernel heap Max raised from 32MB (kernel_space_heap_size) to 1GB:")
                .contains("  - TCS Max raised from 32 (max_num_of_threads) to 4096:")
                .contains("On demand: up to ");
        String edmm = mrenclave(inst);
        assertThat(edmm).isNotEqualTo(DEFAULT_MRENCLAVE);
        built(inst);
        Path flag = instance("f");
        assertThat(build(flag, Map.of(), "--enable-edmm").exit()).isZero();
        assertThat(read(flag.resolve("build/Enclave.xml"))).isEqualTo(golden("template-edmm"));
        assertThat(mrenclave(flag)).isEqualTo(edmm);
    }

    @Test
    void simOutranksEdmmWithAWarning() throws IOException {
        Path inst = instance("s");
        Run.Result r = build(inst, Map.of("ENABLE_EDMM", "yes", "SGX_MODE", "SIM"));
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEqualTo("warning: EDMM was requested by ENABLE_EDMM=yes, but SGX_MODE=SIM outranks it:"
                + " simulation mode never uses EDMM, so this is a non-EDMM build.\n");
        assertThat(read(inst.resolve("build/Enclave.xml"))).isEqualTo(golden("template-non-edmm"));
        assertThat(r.out()).contains("(SIM mode from SGX_MODE=SIM, which never uses EDMM)");
    }

    @Test
    void theGuidesExampleBuildsOnBothPaths() throws IOException {
        Path inst = instance("g");
        Files.write(inst.resolve("Occlum.json"), Templates.guideExample());
        assertThat(build(inst, Map.of()).exit()).isZero();
        assertThat(read(inst.resolve("build/Enclave.xml"))).isEqualTo(golden("guide-non-edmm"));
        Run.Result r = build(inst, Map.of(), "--enable-edmm");
        assertThat(r.exit()).isZero();
        assertThat(read(inst.resolve("build/Enclave.xml"))).isEqualTo(golden("guide-edmm"));
        built(inst);
    }

    @Test
    void anUnchangedInstanceIsNotRebuiltUnlessForced() throws IOException {
        Path inst = instance("n");
        assertThat(build(inst, Map.of()).exit()).isZero();
        Map<String, String> before = Run.files(inst.resolve("build"));
        Run.Result again = build(inst, Map.of());
        assertThat(again.exit()).isZero();
        assertThat(again.out()).isEqualTo("Nothing changed since the last build of " + inst + " (Occlum.json, image/,"
                + " platform and signing key are the same); build/ is up to date. Use -f to rebuild.\n");
        assertThat(Run.files(inst.resolve("build"))).isEqualTo(before);
        byte[] sig = Files.readAllBytes(inst.resolve("build/enclave.sigstruct"));
        Run.Result forced = build(inst, Map.of(), "-f");
        assertThat(forced.out()).startsWith("Built ");
        assertThat(Files.readAllBytes(inst.resolve("build/enclave.sigstruct")))
                .as("the same inputs give the same SIGSTRUCT").isEqualTo(sig);
        assertThat(Run.files(inst.resolve("build"))).as("-f rewrote the outputs").isNotEqualTo(before);
        // another platform, another key, a touched Occlum.json: each is a change
        assertThat(build(inst, Map.of("ENABLE_EDMM", "1")).out()).startsWith("Built ");
        assertThat(Run.jocclum(inst, "build", "--enable-edmm", "--sign-key", Run.key(tmp, "key-b.pem").toString()).out())
                .startsWith("Built ");
    }

    @Test
    void commentsRebuildToTheSameMrenclaveAndImageBytesChangeIt() throws IOException {
        Path inst = instance("c");
        assertThat(build(inst, Map.of()).exit()).isZero();
        String base = mrenclave(inst);
        Path json = inst.resolve("Occlum.json");
        String text = read(json);
        Files.writeString(json, "// my enclave\n" + text.replace("\"max_num_of_threads\": 32", "\"max_num_of_threads\":   32"));
        Run.Result r = build(inst, Map.of());
        assertThat(r.out()).startsWith("Built ");
        assertThat(mrenclave(inst)).isEqualTo(base);
        Files.writeString(json, text.replace("\"max_num_of_threads\": 32", "\"max_num_of_threads\": 31"));
        build(inst, Map.of());
        assertThat(mrenclave(inst)).isNotEqualTo(base);
        Files.writeString(json, text);
        build(inst, Map.of());
        assertThat(mrenclave(inst)).isEqualTo(base);

        Files.writeString(inst.resolve("image/bin/hello"), "hello\n");
        build(inst, Map.of());
        String withFile = mrenclave(inst);
        assertThat(withFile).isNotEqualTo(base);
        assertThat(read(inst.resolve("build/mount/__ROOT/bin/hello"))).isEqualTo("hello\n");
        Files.writeString(inst.resolve("image/bin/hello"), "hellp\n");
        build(inst, Map.of());
        assertThat(mrenclave(inst)).isNotEqualTo(withFile).isNotEqualTo(base);
        assertThat(read(inst.resolve("build/mount/__ROOT/bin/hello"))).isEqualTo("hellp\n");
        built(inst);
    }

    @Test
    void theKeyChangesMrsignerButNotMrenclave() throws IOException {
        Path a = instance("ka");
        Path b = instance("kb");
        assertThat(build(a, Map.of()).exit()).isZero();
        assertThat(Run.jocclum(b, "build", "--sign-key", Run.key(tmp, "key-b.pem").toString()).exit()).isZero();
        assertThat(mrenclave(a)).isEqualTo(mrenclave(b));
        assertThat(mrsigner(a)).isNotEqualTo(mrsigner(b));
        Run.Result weak = Run.jocclum(b, "build", "-f", "--sign-key", Run.key(tmp, "key-rsa2048.pem").toString());
        assertThat(weak.exit()).isEqualTo(1);
        assertThat(weak.err()).isEqualTo("jocclum: " + tmp.resolve("key-rsa2048.pem") + " is an RSA-2048 key with exponent"
                + " 65537; enclave signing keys must be RSA-3072 with exponent 3 (openssl genrsa -3 3072).\n");
        Run.Result none = Run.jocclum(b, "build", "--sign-key", "nope.pem");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).isEqualTo("jocclum: the signing key " + b.resolve("nope.pem") + " does not exist; give an"
                + " RSA-3072 key with exponent 3 (openssl genrsa -3 3072).\n");
    }

    @Test
    void withoutSignKeyTheInstanceGetsItsOwnKeyOnce() throws IOException {
        Path inst = instance("own");
        Run.Result first = Run.jocclum(inst, "build");
        assertThat(first.exit()).isZero();
        Path key = inst.resolve(".jocclum/signing-key.pem");
        assertThat(first.out()).contains("(new key " + key + ")");
        assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String signer = mrsigner(inst);
        Run.Result again = Run.jocclum(inst, "build", "-f");
        assertThat(again.out()).contains("(key " + key + ")");
        assertThat(mrsigner(inst)).isEqualTo(signer);
        assertThat(mrenclave(inst)).isEqualTo(DEFAULT_MRENCLAVE);
    }

    @Test
    void aFailedBuildLeavesThePreviousOutputsAsTheyWere() throws IOException {
        Path inst = instance("x");
        assertThat(build(inst, Map.of()).exit()).isZero();
        Map<String, String> before = Run.files(inst.resolve("build"));
        Path json = inst.resolve("Occlum.json");
        String good = read(json);

        Files.writeString(json, good.replace("\"300MB\"", "\"300mb\""));
        Run.Result bad = build(inst, Map.of());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(Run.files(inst.resolve("build"))).isEqualTo(before);

        Files.writeString(json, good.replace("\"32MB\"", "\"64MB\""));
        assertThat(Run.jocclum(inst, "build", "--sign-key", Run.key(tmp, "key-rsa2048.pem").toString()).exit()).isEqualTo(1);
        assertThat(Run.files(inst.resolve("build"))).isEqualTo(before);

        // a failure after every output was staged, before the commit
        Files.writeString(inst.resolve("image/etc/hosts"), "127.0.0.1 localhost\n");
        InstanceBuild b = new InstanceBuild(new Cli(System.out, System.err, Run.ENV, inst, java.time.Clock.systemUTC()),
                new InstancePaths(inst), new InstanceBuild.Options(BuildRequest.defaults(), false,
                Run.key(tmp, "key-a.pem"))).faults(stage -> {
                    if (stage.equals("staged")) {
                        throw new IOException("disk full (injected)");
                    }
                });
        assertThatThrownBy(b::run).isInstanceOf(UserError.class)
                .hasMessage("cannot build " + inst + " (the previous outputs in build/ are unchanged): disk full (injected).");
        assertThat(Run.files(inst.resolve("build"))).isEqualTo(before);
        try (Stream<Path> s = Files.list(inst.resolve("build"))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".staging-"));
        }
        // and the next build goes through
        assertThat(build(inst, Map.of()).exit()).isZero();
        assertThat(read(inst.resolve("build/mount/__ROOT/etc/hosts"))).startsWith("127.0.0.1");
    }

    InstanceBuild failingBuild(Path inst, Path signKey, String failAt) {
        return new InstanceBuild(new Cli(System.out, System.err, Run.ENV, inst, java.time.Clock.systemUTC()),
                new InstancePaths(inst), new InstanceBuild.Options(BuildRequest.defaults(), true, signKey))
                .faults(stage -> {
                    if (stage.equals(failAt)) {
                        throw new IOException("rename failed at " + stage + " (injected)");
                    }
                });
    }

    @Test
    void aFailureDuringTheCommitUndoesTheRenamesDoneSoFar() throws IOException {
        Path inst = instance("c");
        assertThat(build(inst, Map.of()).exit()).isZero();
        String mr = mrenclave(inst);
        Map<String, String> before = Run.files(inst.resolve("build"));
        Files.writeString(inst.resolve("image/etc/hosts"), "127.0.0.1 localhost\n");
        Path json = inst.resolve("Occlum.json");
        Files.writeString(json, read(json).replace("\"32MB\"", "\"64MB\""));
        for (String stage : java.util.List.of("commit", "commit:Enclave.xml", "commit:enclave.sigstruct", "commit:snapshot")) {
            assertThatThrownBy(failingBuild(inst, Run.key(tmp, "key-a.pem"), stage)::run).isInstanceOf(UserError.class)
                    .hasMessageContaining("rename failed at " + stage).hasMessageContaining("previous outputs in build/ are unchanged");
            assertThat(Run.files(inst.resolve("build"))).as("build/ after a failure at " + stage).isEqualTo(before);
            assertThat(mrenclave(inst)).isEqualTo(mr);
        }
        Run.Result skipped = build(inst, Map.of());
        assertThat(skipped.out()).as("the inputs changed, so the next build runs").startsWith("Built ");
        assertThat(mrenclave(inst)).isNotEqualTo(mr);
        built(inst);
    }

    @Test
    void aFirstBuildFailingInItsCommitLeavesNoKeyAndNoOutputs() throws IOException {
        Path inst = instance("first");
        assertThatThrownBy(failingBuild(inst, null, "commit:snapshot")::run).isInstanceOf(UserError.class);
        assertThat(inst.resolve(".jocclum/signing-key.pem")).doesNotExist();
        assertThat(Run.files(inst.resolve("build"))).containsOnlyKeys("/");
        assertThat(inst.resolve(".jocclum")).doesNotExist();
        Run.Result r = Run.jocclum(inst, "build");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("(new key ");
        built(inst);
    }

    @Test
    void staleStagingOfAnInterruptedBuildIsRemovedEvenWhenNothingChanged() throws IOException {
        Path inst = instance("stale");
        assertThat(build(inst, Map.of()).exit()).isZero();
        Path stale = Files.createDirectories(inst.resolve("build/.staging-123/mount/__ROOT/bin"));
        Files.writeString(stale.resolve("big"), "left by a killed build");
        Run.Result again = build(inst, Map.of());
        assertThat(again.out()).startsWith("Nothing changed");
        assertThat(inst.resolve("build/.staging-123")).doesNotExist();
    }

    @Test
    void aBuildThatHashesALotWarnsBeforeMeasuring() throws IOException {
        Path inst = instance("slow");
        Run.Result normal = build(inst, Map.of());
        assertThat(normal.err()).as("the default instance is quick to measure").isEmpty();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Cli cli = new Cli(System.out, new java.io.PrintStream(err, true, StandardCharsets.UTF_8), Run.ENV, inst,
                java.time.Clock.systemUTC());
        BuildReport r = new InstanceBuild(cli, new InstancePaths(inst), new InstanceBuild.Options(BuildRequest.defaults(),
                true, Run.key(tmp, "key-a.pem"))).slowMeasurementBytes(1 << 20).run();
        String expected = "warning: this build adds 364.5MB (" + r.layout().eaddCount() + " pages) to the enclave before"
                + " it starts, and MRENCLAVE hashes a record for each page: ";
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith(expected)
                .contains("without EDMM everything up to Max is added at load; lower user_space_max_size")
                .contains("interrupting the build leaves build/ unchanged").endsWith(".\n");
        assertThat(InstanceBuild.SLOW_MEASUREMENT_BYTES).as("about 8 s of hashing").isEqualTo(8L << 30);
    }

    @Test
    void onATerminalALongMeasurementShowsAProgressBarThatReachesTheEnd() throws IOException {
        Path inst = instance("bar");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Cli cli = new Cli(System.out, new java.io.PrintStream(err, true, StandardCharsets.UTF_8), Run.ENV, inst,
                java.time.Clock.systemUTC());
        cli.terminal = true;
        BuildReport r = new InstanceBuild(cli, new InstancePaths(inst), new InstanceBuild.Options(BuildRequest.defaults(),
                true, Run.key(tmp, "key-a.pem"))).slowMeasurementBytes(1 << 20).run();
        String shown = err.toString(StandardCharsets.UTF_8);
        long pages = r.layout().eaddCount();
        assertThat(shown).contains("Measuring").contains("100%").contains(pages + "/" + pages);
        cli.terminal = false;
        err.reset();
        new InstanceBuild(cli, new InstancePaths(inst), new InstanceBuild.Options(BuildRequest.defaults(), true,
                Run.key(tmp, "key-a.pem"))).slowMeasurementBytes(1 << 20).run();
        assertThat(err.toString(StandardCharsets.UTF_8)).as("no bar when stderr is not a terminal").doesNotContain("Measuring")
                .startsWith("warning: this build adds");
    }

    @Test
    void occlumsEnableEdmmYesOrNoSpelling() throws IOException {
        Path inst = instance("yn");
        assertThat(build(inst, Map.of(), "--enable-edmm", "Y").out()).contains("EDMM");
        String edmm = mrenclave(inst);
        assertThat(build(inst, Map.of(), "--enable-edmm").exit()).isZero();
        assertThat(mrenclave(inst)).as("a bare --enable-edmm is Y").isEqualTo(edmm);
        Run.Result no = build(inst, Map.of("ENABLE_EDMM", "Y"), "--enable-edmm", "N");
        assertThat(no.exit()).isZero();
        assertThat(no.err()).contains("--enable-edmm N overrides ENABLE_EDMM=Y from the environment.");
        assertThat(mrenclave(inst)).as("N builds without EDMM").isNotEqualTo(edmm);
        Run.Result bad = build(inst, Map.of(), "--enable-edmm", "maybe");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("jocclum: --enable-edmm maybe is not Y or N (also accepted: YES, Yes, yes, True,"
                + " true, 1 and NO, No, no, False, false, 0).\n");
    }

    @Test
    void aNoOpBuildOfAReadOnlyUpToDateInstanceSaysItIsUpToDate() throws IOException {
        Path inst = instance("ro");
        assertThat(build(inst, Map.of()).exit()).isZero();
        java.util.List<Path> dirs;
        try (Stream<Path> all = Files.walk(inst)) {
            dirs = all.filter(Files::isDirectory).toList();
        }
        Path lock = inst.resolve("build/.lock");
        Files.deleteIfExists(lock);
        try {
            dirs.forEach(d -> d.toFile().setWritable(false, false));
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(inst.resolve("build")),
                    "read-only directories are writable for this user (root)");
            Run.Result r = build(inst, Map.of());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("build/ is up to date");
            // Occlum.json is a file and stays writable: a change makes the build necessary, which cannot be done
            byte[] json = Files.readAllBytes(inst.resolve("Occlum.json"));
            Files.write(inst.resolve("Occlum.json"), (new String(json, StandardCharsets.UTF_8) + "\n// changed\n")
                    .getBytes(StandardCharsets.UTF_8));
            Run.Result stale = build(inst, Map.of());
            assertThat(stale.exit()).isEqualTo(1);
            assertThat(stale.err()).startsWith("jocclum: cannot build " + inst + ": build/ is not writable and not up to date")
                    .hasLineCount(1);
        } finally {
            dirs.forEach(d -> d.toFile().setWritable(true, true));
        }
    }

    @Test
    void newWritesOcclumJsonReadableByAll() throws IOException {
        Path inst = tmp.resolve("perm");
        assertThat(Run.jocclum(tmp, "new", inst.toString()).exit()).isZero();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(inst.resolve("Occlum.json"))))
                .isEqualTo("rw-r--r--");
    }

    @Test
    void configurationErrorsExitWith2AndListEveryProblem() throws IOException {
        Path inst = instance("err");
        Files.write(inst.resolve("Occlum.json"), Templates.guideSections());
        Run.Result r = build(inst, Map.of());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("jocclum: Occlum.json lacks the required sections entry_points, env, metadata,"
                + " feature and mount; an Occlum.json needs all of resource_limits, process, entry_points, env, metadata,"
                + " feature and mount, as in Occlum's template (jocclum new writes one).\n");
        assertThat(r.out()).isEmpty();
        String t = new String(Templates.occlumTemplate(), StandardCharsets.UTF_8);
        Files.writeString(inst.resolve("Occlum.json"), t.replace("\"300MB\"", "\"300mb\"").replace("\"32MB\"", "\"1.5GB\"")
                .replace("\"max_num_of_threads\": 32", "\"max_num_of_threads\": 32, \"user_space_max\": \"1GB\""));
        Run.Result many = build(inst, Map.of());
        assertThat(many.exit()).isEqualTo(2);
        assertThat(many.err()).isEqualTo("""
                warning: resource_limits.user_space_max: unknown key, ignored; did you mean user_space_max_size?
                jocclum: Occlum.json has 3 problems:
                  Occlum.json: resource_limits.kernel_space_heap_size: "1.5GB" is not a size; write an unsigned integer \
                followed by one of the units B, KB, MB, GB, TB (case-sensitive), e.g. "300MB".
                  Occlum.json: resource_limits.user_space_size: "300mb" is not a size; write an unsigned integer followed \
                by one of the units B, KB, MB, GB, TB (case-sensitive), e.g. "300MB".
                  Occlum.json: process.default_heap_size: "1.5GB" is not a size; write an unsigned integer followed by one \
                of the units B, KB, MB, GB, TB (case-sensitive), e.g. "300MB".
                """);
        Files.write(inst.resolve("Occlum.json"), Templates.occlumTemplate());
        Run.Result mode = build(inst, Map.of("SGX_MODE", "HYPER"));
        assertThat(mode.exit()).isEqualTo(2);
        assertThat(mode.err()).isEqualTo("jocclum: SGX_MODE=HYPER is not an SGX mode; allowed: HW (the default) or SIM.\n");
        Run.Result flag = build(inst, Map.of(), "--sgx-mode", "sim");
        assertThat(flag.exit()).isEqualTo(2);
        assertThat(flag.err()).isEqualTo("jocclum: --sgx-mode sim is not an SGX mode; allowed: HW (the default) or SIM.\n");
    }

    @Test
    void unknownKeysWarnButBuild() throws IOException {
        Path inst = instance("w");
        Files.writeString(inst.resolve("Occlum.json"), read(inst.resolve("Occlum.json"))
                .replace("\"amx\": 0,", "\"amx\": 0, \"enable_edm\": true,"));
        Run.Result r = build(inst, Map.of());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEqualTo("warning: feature.enable_edm: unknown key, ignored; did you mean enable_edmm?\n");
        assertThat(mrenclave(inst)).isEqualTo(DEFAULT_MRENCLAVE);
    }

    @Test
    void printAndBuildNeedAnInstance() throws IOException {
        Path inst = instance("p");
        Run.Result notBuilt = Run.jocclum(inst, "print", "mrsigner");
        assertThat(notBuilt.exit()).isEqualTo(1);
        assertThat(notBuilt.err()).isEqualTo("jocclum: " + inst + " has not been built yet (no build/enclave.sigstruct);"
                + " run jocclum build first.\n");
        Run.Result outside = Run.jocclum(tmp, "build");
        assertThat(outside.exit()).isEqualTo(1);
        assertThat(outside.err()).isEqualTo("jocclum: " + tmp + " is not a jocclum instance: it has no Occlum.json; run"
                + " this inside one (jocclum new DIR or jocclum init create one).\n");
        Files.delete(inst.resolve("image/bin"));
        Files.delete(inst.resolve("image/lib"));
        Files.delete(inst.resolve("image/etc"));
        Files.delete(inst.resolve("image/tmp"));
        Files.delete(inst.resolve("image/host"));
        Files.delete(inst.resolve("image"));
        Run.Result noImage = build(inst, Map.of());
        assertThat(noImage.exit()).isEqualTo(1);
        assertThat(noImage.err()).isEqualTo("jocclum: " + inst + " has no image/ directory; an instance needs one (jocclum"
                + " new creates bin, lib, etc, tmp and host in it).\n");
    }
}
