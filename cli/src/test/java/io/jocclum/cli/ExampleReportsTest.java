package io.jocclum.cli;

import io.jocclum.cli.report.Chromium;
import io.jocclum.cli.report.PlotCheck;
import io.jocclum.cli.report.ReportChecks;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reports of the examples in examples/scenarios: every plotted point matches data.json (or
 * sweep.json), every chart has its parts, the captions state what each example shows, and headless
 * Chromium renders the page with no console error into a screenshot that is not blank (that last
 * part is skipped only when no chromium is on PATH).
 */
class ExampleReportsTest {
    @TempDir
    Path tmp;

    static Path examples() {
        return Run.example("scenarios");
    }

    /** Runs an example with --report, checks its page, and returns it parsed. */
    private Document scenario(String name) throws Exception {
        Path out = tmp.resolve(name);
        Run.Result r = Run.jocclum(examples(), "scenario", "run", name + ".json", "--report", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        String html = Files.readString(out.resolve("index.html"));
        Document doc = Jsoup.parse(html);
        PlotCheck check = PlotCheck.scenario(doc, JsonMapper.builder().build().readTree(out.resolve("data.json").toFile()));
        assertThat(check.problems).as(name + ": plotted points that do not match data.json").isEmpty();
        assertThat(check.points).isGreaterThan(100);
        ReportChecks.anatomy(doc);
        ReportChecks.selfContained(doc, html);
        return doc;
    }

    private static String finding(Document doc, String chart) {
        return doc.selectFirst("figure#" + chart + " p.finding").text();
    }

    /** Renders the page in headless Chromium: no console error, a screenshot that is not blank. */
    private void rendersInChromium(Path page) throws Exception {
        Optional<Path> chromium = Chromium.find();
        assumeTrue(chromium.isPresent(), "chromium is not installed");
        Path png = tmp.resolve(page.getParent().getFileName() + ".png");
        Chromium.Run run = Chromium.screenshot(chromium.get(), page, png, Files.createDirectories(tmp.resolve("profile")));
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.consoleErrors()).isEmpty();
        Chromium.Ink ink = Chromium.ink(png);
        assertThat(ink.fraction()).as("share of pixels that are not background").isGreaterThan(0.05);
        assertThat(ink.colours()).isGreaterThan(50);
    }

    @Test
    void twoPods() throws Exception {
        Document doc = scenario("two-pods");
        assertThat(finding(doc, "epc-limits")).startsWith("/pod-b hit its limit at ").contains("/pod-a's EPC was untouched");
        assertThat(finding(doc, "reclaim")).contains("of the write-backs in /pod-b");
        rendersInChromium(tmp.resolve("two-pods/index.html"));
    }

    @Test
    void edmmVersusNonEdmm() throws Exception {
        Document doc = scenario("edmm-vs-non-edmm");
        assertThat(finding(doc, "startup")).matches("EDMM enclaves started \\d+× faster than non-EDMM ones \\(median .*\\)\\.");
        rendersInChromium(tmp.resolve("edmm-vs-non-edmm/index.html"));
    }

    @Test
    void noisyNeighbour() throws Exception {
        Document doc = scenario("noisy-neighbour");
        assertThat(finding(doc, "epc-limits")).startsWith("/noisy hit its limit at 3");
        assertThat(finding(doc, "latency")).containsPattern("victim's latency peaked at [^;]*, and was back within 1\\.5× of it from 3");
        rendersInChromium(tmp.resolve("noisy-neighbour/index.html"));
    }

    @Test
    void libosPrograms() throws Exception {
        Document doc = scenario("libos-programs");
        assertThat(finding(doc, "epc-limits")).startsWith("/pod-mem hit its limit at ");
        assertThat(doc.select("table").text()).contains("enclave.mem.runS").contains("enclave.pipe.syscalls");
        rendersInChromium(tmp.resolve("libos-programs/index.html"));
    }

    @Test
    void epcLimitSweep() throws Exception {
        Path out = tmp.resolve("sweep");
        Run.Result r = Run.jocclum(examples(), "scenario", "sweep", "epc-limit-sweep.json", "--vary",
                "cgroups./app.epcMax=16MB,32MB,48MB,64MB", "--report", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        String html = Files.readString(out.resolve("index.html"));
        Document doc = Jsoup.parse(html);
        PlotCheck check = PlotCheck.sweep(doc, JsonMapper.builder().build().readTree(out.resolve("sweep.json").toFile()));
        assertThat(check.problems).isEmpty();
        assertThat(check.points).isPositive();
        ReportChecks.anatomy(doc);
        ReportChecks.selfContained(doc, html);
        assertThat(doc.select("p.finding").eachText()).anyMatch(s -> s.matches(
                "enclave\\.kv\\.throughputOpsPerS is flat from 48MB up and falls off below it: .* lower at 16MB than at 64MB .*"));
        assertThat(doc.select("#point-table a").eachAttr("href")).hasSize(4)
                .allSatisfy(h -> assertThat(out.resolve(h)).exists());
        rendersInChromium(out.resolve("index.html"));
    }
}
