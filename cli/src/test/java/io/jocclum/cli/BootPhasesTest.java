package io.jocclum.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Boot phases are shown only once the quiet period is over, then each as it begins. */
class BootPhasesTest {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);

    private String[] lines() {
        String s = buf.toString(StandardCharsets.UTF_8);
        return s.isEmpty() ? new String[0] : s.split("\n");
    }

    @Test
    void aShortBootPrintsNothing() {
        try (BootPhases p = new BootPhases(err, Long.MAX_VALUE)) {
            p.accept("loading");
            p.accept("EINIT");
        }
        assertThat(lines()).isEmpty();
    }

    @Test
    void aLongBootShowsTheCurrentPhaseThenEachNewOneAndTheEnd() {
        try (BootPhases p = new BootPhases(err, Long.MAX_VALUE)) {
            p.accept("starting the platform");
            p.accept("loading the enclave");
            p.show();
            p.accept("EINIT");
            p.show();
        }
        String[] l = lines();
        assertThat(l).hasSize(3);
        assertThat(l[0]).matches("jocclum: \\[ *\\d+\\.\\d s\\] loading the enclave");
        assertThat(l[1]).endsWith("] EINIT");
        assertThat(l[2]).endsWith("] booted");
    }

    @Test
    void nothingIsShownAfterTheBootEnded() {
        BootPhases p = new BootPhases(err, Long.MAX_VALUE);
        p.accept("loading");
        p.close();
        p.show();
        assertThat(lines()).isEmpty();
    }
}
