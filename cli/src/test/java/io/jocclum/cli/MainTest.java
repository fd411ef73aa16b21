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
    void usageErrorsAreOneLineWithExitCode1() {
        Run.Result none = Run.jocclum(tmp);
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).isEqualTo("jocclum: no command given; use one of new, init, build, run, print, demo, selftest (see"
                + " 'jocclum --help').\n");
        Run.Result unknown = Run.jocclum(tmp, "build", "--bogus");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).isEqualTo("jocclum: Unknown option: '--bogus'; see 'jocclum build --help'.\n");
        Run.Result cmd = Run.jocclum(tmp, "frobnicate");
        assertThat(cmd.exit()).isEqualTo(1);
        assertThat(cmd.err()).startsWith("jocclum: Unmatched argument at index 0: 'frobnicate'").endsWith("\n")
                .hasLineCount(1);
        Run.Result missing = Run.jocclum(tmp, "new");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("jocclum: Missing required parameter: 'DIR'; see 'jocclum new --help'.\n");
        Run.Result what = Run.jocclum(tmp, "print", "mrsomething");
        assertThat(what.exit()).isEqualTo(1);
        assertThat(what.err()).contains("expected one of [mrenclave, mrsigner]").hasLineCount(1);
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
