package io.jocclum.libos.os;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Every built-in answers --help (and -h) with its usage on stdout and status 0, and an unknown option with status 2. */
class BuiltinHelpTest extends OsTestBase {
    @ParameterizedTest
    @ValueSource(strings = {"memtest", "spawntest", "pipebench", "epollecho", "dcap-test"})
    void helpPrintsTheUsageAndSucceeds(String name) throws InterruptedException {
        Booted os = os(Matrix.EDMM_ON_SGX2);
        for (String flag : new String[]{"--help", "-h"}) {
            Booted.Result r = os.runPath("/bin/" + name, flag);
            assertThat(r.status()).as(name + " " + flag + ": " + r.err()).isZero();
            assertThat(r.out()).startsWith("usage: " + name + " ");
            assertThat(r.err()).isEmpty();
        }
        Booted.Result bad = os.runPath("/bin/" + name, "--no-such-option");
        assertThat(bad.status()).isEqualTo(io.jocclum.api.Wait.exited(2));
        assertThat(bad.err()).contains("usage: " + name);
    }
}
