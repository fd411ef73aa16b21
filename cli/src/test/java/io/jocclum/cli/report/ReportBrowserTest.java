package io.jocclum.cli.report;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Renders reports in headless Chromium (Debian's chromium package; skipped only when no chromium
 * is on PATH) and checks that the screenshot is not blank and that the console shows no error.
 */
class ReportBrowserTest {
    private static Path chromium;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findChromium() {
        chromium = Chromium.find().orElse(null);
    }

    private Chromium.Run shoot(Path page, Path png) throws IOException, InterruptedException {
        assumeTrue(chromium != null, "chromium is not installed");
        Chromium.Run run = Chromium.screenshot(chromium, page, png, Files.createDirectories(tmp.resolve("profile-" + png.getFileName())));
        assertThat(run.exit()).as("chromium exit status; stderr:\n" + run.stderr()).isZero();
        assertThat(png).exists();
        return run;
    }

    static void assertNotBlank(Path png) throws IOException {
        Chromium.Ink ink = Chromium.ink(png);
        assertThat(ink.width()).isEqualTo(1280);
        assertThat(ink.fraction()).as("share of pixels that are not background").isGreaterThan(0.05);
        assertThat(ink.colours()).as("distinct colours").isGreaterThan(50);
    }

    /** Renders the page: no console error, and a screenshot that is not blank. */
    private void assertRendersCleanly(Path page, String name) throws Exception {
        Chromium.Run run = shoot(page, tmp.resolve(name + ".png"));
        assertThat(run.consoleErrors()).isEmpty();
        assertNotBlank(tmp.resolve(name + ".png"));
    }

    @Test
    void aScenarioReportRendersWithChartsAndNoConsoleError() throws Exception {
        Path out = DataJson.twoPods().write(tmp.resolve("two-pods"));
        ScenarioReport.write(out);
        assertRendersCleanly(out.resolve("index.html"), "scenario");
    }

    @Test
    void aSweepReportRendersWithChartsAndNoConsoleError() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("sweep"));
        double[] tput = {130, 400, 410, 405};
        Files.writeString(out.resolve("sweep.json"), SweepReportTest.sweep(List.of("16MB", "32MB", "64MB", "128MB"), List.of(),
                new SweepReportTest.MetricFn("enclave.a1.throughputOpsPerS", "ops/s", (i, j) -> tput[i])).toString());
        SweepReport.write(out);
        assertRendersCleanly(out.resolve("index.html"), "sweep");
    }

    @Test
    void theChecksFireOnAScriptErrorAndOnABlankPage() throws Exception {
        Path bad = tmp.resolve("bad.html");
        Files.writeString(bad, "<!DOCTYPE html><html><body><script>console.error('broken chart'); noSuchFunction();</script></body></html>");
        Chromium.Run run = shoot(bad, tmp.resolve("bad.png"));
        assertThat(run.consoleErrors()).as("stderr:\n" + run.stderr()).isNotEmpty();
        assertThat(String.join("\n", run.consoleErrors())).contains("noSuchFunction");
        Chromium.Ink ink = Chromium.ink(tmp.resolve("bad.png"));
        assertThat(ink.fraction()).as("a blank page has no ink").isLessThan(0.05);
    }
}
