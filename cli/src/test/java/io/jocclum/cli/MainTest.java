package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command-line framework: help, version, and errors as one sentence with an exit code. */
class MainTest {
    @TempDir
    Path tmp;

    @Test
    void versionAndHelp() {
        Run.Result v = Run.jocclum(tmp, "--version");
        assertThat(v.exit()).isZero();
        assertThat(v.out()).startsWith("jocclum 0.1.0 (LibOS 0.1.0, Java ");
        Run.Result h = Run.jocclum(tmp, "--help");
        assertThat(h.exit()).isZero();
        assertThat(h.out()).contains("Usage: jocclum").contains("new").contains("init").contains("build").contains("print")
                .contains("demo").contains("--verbose");
        Run.Result bh = Run.jocclum(tmp, "build", "--help");
        assertThat(bh.exit()).isZero();
        assertThat(bh.out()).contains("--sgx-mode=HW|SIM").contains("--enable-edmm").contains("--sign-key=FILE")
                .contains("-f, --force");
    }

    @Test
    void usageErrorsAreOneSentenceInTheUsersTermsWithExitCode2() {
        Run.Result none = Run.jocclum(tmp);
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).isEqualTo("jocclum: no command given; the commands are new, init, build, run, start, exec,"
                + " stop, package, print, demo, selftest, quote, collateral, gen-image-key, replay, advise, scenario (see"
                + " 'jocclum --help').\n");
        Run.Result unknown = Run.jocclum(tmp, "build", "--bogus");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).isEqualTo("jocclum: '--bogus' is not an option of 'jocclum build' (see 'jocclum build"
                + " --help').\n");
        Run.Result cmd = Run.jocclum(tmp, "frobnicate");
        assertThat(cmd.exit()).isEqualTo(2);
        assertThat(cmd.err()).isEqualTo("jocclum: 'frobnicate' is not a jocclum command; the commands are new, init, build,"
                + " run, start, exec, stop, package, print, demo, selftest, quote, collateral, gen-image-key, replay,"
                + " advise, scenario.\n");
        Run.Result typo = Run.jocclum(tmp, "buidl");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).isEqualTo("jocclum: 'buidl' is not a jocclum command; did you mean 'build'?\n");
        assertThat(UsageErrors.distance("frobnicate", "collateral")).as("not a typo").isGreaterThan(3);
        Run.Result missing = Run.jocclum(tmp, "new");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("jocclum: 'jocclum new' needs DIR (see 'jocclum new --help').\n");
        Run.Result what = Run.jocclum(tmp, "print", "mrsomething");
        assertThat(what.exit()).isEqualTo(2);
        assertThat(what.err()).contains("mrenclave, mrsigner").hasLineCount(1);
        Run.Result extra = Run.jocclum(tmp, "init", "surplus");
        assertThat(extra.exit()).isEqualTo(2);
        assertThat(extra.err()).isEqualTo("jocclum: 'jocclum init' takes no argument 'surplus' (see 'jocclum init --help').\n");
    }

    @Test
    void badOptionValuesNameTheOptionAndWhatIsAllowed() {
        Run.Result seed = Run.jocclum(tmp, "collateral", "export", "out", "--seed", "abc");
        assertThat(seed.exit()).isEqualTo(2);
        assertThat(seed.err()).isEqualTo("jocclum: --seed must be a whole number, not 'abc' (see 'jocclum collateral export"
                + " --help').\n");
        assertThat(seed.err()).doesNotContain("is not a long");
        Run.Result twice = Run.jocclum(tmp, "collateral", "export", "out", "--seed", "1", "--seed", "2");
        assertThat(twice.exit()).isEqualTo(2);
        assertThat(twice.err()).isEqualTo("jocclum: --seed is given more than once; give it once (see 'jocclum collateral"
                + " export --help').\n");
    }

    /** The first line of each description is what a parent's command list shows: it must be a whole sentence. */
    @Test
    void everyCommandListLineIsAWholeSentence() {
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>();
        todo.add(Main.commandLine(new Cli(System.out, System.err, Run.ENV, tmp, java.time.Clock.systemUTC())));
        int seen = 0;
        while (!todo.isEmpty()) {
            picocli.CommandLine c = todo.pop();
            String[] d = c.getCommandSpec().usageMessage().description();
            assertThat(d).as(c.getCommandSpec().qualifiedName()).isNotEmpty();
            assertThat(d[0].strip()).as(c.getCommandSpec().qualifiedName()).endsWith(".");
            todo.addAll(c.getSubcommands().values());
            seen++;
        }
        assertThat(seen).isGreaterThan(10);
    }

    @Test
    void occlumsVerbsThatAreNotOfferedGetOneSentenceSayingSo() {
        for (var e : UsageErrors.NOT_OFFERED.entrySet()) {
            Run.Result r = Run.jocclum(tmp, e.getKey(), "x");
            assertThat(r.exit()).as(e.getKey()).isEqualTo(2);
            assertThat(r.err()).isEqualTo("jocclum: " + e.getValue() + "\n").contains("occlum " + e.getKey());
        }
    }

    @Test
    void platformFilesListEveryProblemAtOnceInTheUsersTerms() throws java.io.IOException {
        java.nio.file.Path p = tmp.resolve("platform.json");
        java.nio.file.Files.writeString(p, "{\"epc\": \"lots\", \"sgx2\": \"yes\", \"speed\": 3, \"seed\": 1}");
        Run.Result r = Run.jocclum(tmp, "collateral", "export", "out", "--platform", p.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("jocclum: " + p + " has 3 problems:\n").contains("\"epc\"").contains("\"sgx2\" must be"
                + " true or false.").contains("\"speed\" is not a platform setting").hasLineCount(4);
        java.nio.file.Files.write(p, new byte[] {'{', '"', 'e', 'p', 'c', '"', ':', '"', (byte) 0xE2, 0x28, '"', '}'});
        Run.Result utf = Run.jocclum(tmp, "collateral", "export", "out", "--platform", p.toString());
        assertThat(utf.exit()).isEqualTo(2);
        assertThat(utf.err()).contains("is not valid JSON at line 1").contains("not UTF-8 text").doesNotContain("middle byte")
                .hasLineCount(1);
    }

    @Test
    void verboseIsAcceptedAnywhere() {
        assertThat(Run.jocclum(tmp, "-v", "print", "mrenclave").exit()).isEqualTo(1);
        Run.Result r = Run.jocclum(tmp, "print", "-v", "mrenclave");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("jocclum: " + tmp + " is not a jocclum instance: it has no Occlum.json; run this"
                + " inside one (jocclum new DIR or jocclum init create one).\n");
    }

    @Test
    void internalErrorsAreOneLineUnlessVerbose() {
        Cli quiet = new Cli(System.out, new java.io.PrintStream(new java.io.ByteArrayOutputStream()), Run.ENV, tmp,
                java.time.Clock.systemUTC());
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        Cli cli = new Cli(System.out, new java.io.PrintStream(buf, true), Run.ENV, tmp, java.time.Clock.systemUTC());
        assertThat(Main.handle(cli, new IllegalStateException("boom"))).isEqualTo(1);
        assertThat(buf.toString()).isEqualTo("jocclum: internal error: java.lang.IllegalStateException: boom (run with -v"
                + " for details)\n");
        assertThat(Main.handle(quiet, new UserError(2, "x"))).isEqualTo(2);
    }
}
