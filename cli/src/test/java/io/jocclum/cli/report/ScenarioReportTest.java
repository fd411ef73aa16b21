package io.jocclum.cli.report;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static io.jocclum.cli.report.DataJson.MB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScenarioReportTest {
    @TempDir
    Path tmp;

    /** Writes data.json, renders the report, parses it; checks every point and every chart's anatomy. */
    private Document render(DataJson d, String dir) throws IOException {
        Path out = d.write(tmp.resolve(dir));
        ScenarioReport.write(out);
        Document doc = Jsoup.parse(out.resolve("index.html").toFile(), "UTF-8");
        JsonNode data = DataJson.JSON.readTree(out.resolve("data.json").toFile());
        PlotCheck check = PlotCheck.scenario(doc, data);
        assertThat(check.problems).as("plotted points that do not match data.json").isEmpty();
        ReportChecks.anatomy(doc);
        ReportChecks.selfContained(doc, Files.readString(out.resolve("index.html")));
        return doc;
    }

    private static String finding(Document doc, String chart) {
        Element f = doc.selectFirst("figure#" + chart + " p.finding");
        assertThat(f).as("chart " + chart).isNotNull();
        return f.text();
    }

    @Test
    void twoPodsShowsEveryChartAndTheFindings() throws IOException {
        Document doc = render(DataJson.twoPods(), "two-pods");
        assertThat(doc.select("figure.chart").eachAttr("id"))
                .containsExactly("epc-stacked", "epc-limits", "reclaim", "faults", "startup");
        assertThat(finding(doc, "epc-limits")).isEqualTo(
                "/pod-b hit its limit at 12.4 s; /pod-a's EPC was untouched (peak 20MB of its 32MB limit, no page written back).");
        assertThat(finding(doc, "startup")).isEqualTo("a1 started 52× faster with EDMM than b1 without (12.0 ms vs 624 ms).");
        assertThat(finding(doc, "epc-stacked")).isEqualTo("EPC use peaked at 52MB of the host's 96MB (54%) at 12.4 s, 32MB of it in /pod-b.");
        assertThat(finding(doc, "reclaim")).isEqualTo("8,850 pages were written back (EWB, 34.6MB) and 7,965 loaded back (ELDU);"
                + " EWB peaked at 500 pages/s at 12.4 s, 100% of the write-backs in /pod-b.");
        assertThat(finding(doc, "faults")).isEqualTo("b1 took 100% of the 7,965 page faults, peaking at 450/s at 12.4 s.");
        // the limit change of /pod-b at 20 s is a step in its limit line
        assertThat(doc.select("figure#epc-limits polyline[data-step=limits]").eachAttr("data-series"))
                .containsExactly("cgroup:/pod-a:limits.epcMaxBytes", "cgroup:/pod-b:limits.epcMaxBytes");
        // the five events are markers on every time chart and rows of the timeline
        assertThat(doc.select("figure#epc-limits line.event")).hasSize(5);
        assertThat(doc.select("#event-table tbody tr")).hasSize(5);
        assertThat(doc.select("#enclave-table tbody tr")).hasSize(2);
        assertThat(doc.selectFirst("#enclave-table tr[data-enclave=b1] .outcome").text()).isEqualTo("oom-killed");
        assertThat(doc.select("ul.findings li")).hasSize(5);
    }

    @Test
    void aPodBelowItsLimitAndNoReclaimGiveOtherFindings() throws IOException {
        DataJson d = DataJson.scenario("calm", 10, 0.5);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/pod-a", "/", 0.0, 64 * MB);
        d.enclave("a1", "/pod-a", true, 0.01, "exited").enclave("a2", "/pod-a", true, 0.03, "exited");
        d.series("cgroup", "/pod-a", "epc.current", "bytes", t, fill(t.length, 16 * MB));
        d.series("cgroup", "/pod-a", "ewb.rate", "pages/s", t, fill(t.length, 0));
        d.series("cgroup", "/pod-a", "eldu.rate", "pages/s", t, fill(t.length, 0));
        Document doc = render(d, "calm");
        assertThat(finding(doc, "epc-limits")).isEqualTo(
                "No cgroup reached its sgx_epc limit; /pod-a's EPC was untouched (peak 16MB of its 64MB limit, no page written back).");
        assertThat(finding(doc, "reclaim")).isEqualTo(
                "No EPC page was written back (EWB) or loaded back (ELDU): every page stayed in the EPC.");
        assertThat(finding(doc, "startup")).isEqualTo("a1 started fastest (10.0 ms), a2 slowest (30.0 ms, 3× longer).");
        assertThat(finding(doc, "epc-stacked")).isEqualTo("EPC use peaked at 16MB of the host's 96MB (17%) at 0 s, all of it in /pod-a.");
    }

    @Test
    void manyCgroupsWithoutLimitsAndAnEnclaveThatNeverStarted() throws IOException {
        DataJson d = DataJson.scenario("many", 5, 0.25);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/pods", "/");
        for (int i = 0; i < 9; i++) {
            d.cgroup("/pods/p" + i, "/pods");
            d.series("cgroup", "/pods/p" + i, "epc.current", "bytes", t, fill(t.length, (i + 1) * MB));
            d.enclave("e" + i, "/pods/p" + i, i % 2 == 0, i == 3 ? null : 0.01 * (i + 1), i == 3 ? "failed-to-start" : "running");
        }
        d.series("cgroup", "/pods", "epc.current", "bytes", t, fill(t.length, 45 * MB));
        Document doc = render(d, "many");
        // the stack holds the nine leaves, not their parent
        assertThat(doc.select("figure#epc-stacked polyline[data-stacked-on]")).hasSize(9);
        assertThat(doc.select("figure#epc-limits polyline")).hasSize(10);
        assertThat(finding(doc, "epc-limits")).isEqualTo("No cgroup has an sgx_epc limit; /pods used the most EPC (peak 45MB).");
        assertThat(finding(doc, "startup")).endsWith("; e3 never started.");
        assertThat(finding(doc, "startup")).startsWith("EDMM enclaves started");
        assertThat(doc.selectFirst("figure#startup text.no-value[data-item=e3]").text()).contains("never started");
    }

    @Test
    void aNoisyNeighbourIsSeenInTheVictimsLatencyAndALoneSpikeIsClipped() throws IOException {
        DataJson d = DataJson.scenario("noisy", 6, 0.25);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/victim", "/").cgroup("/noisy", "/", 0.0, null, 3.0, 40 * MB);
        d.enclave("victim", "/victim", true, 0.02, "exited").enclave("noisy", "/noisy", true, 0.02, "exited");
        double[] victim = new double[t.length];
        double[] noisy = new double[t.length];
        double[] victimEwb = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            boolean thrash = t[i] >= 1 && t[i] < 3;
            victim[i] = thrash ? 160e-6 : 51e-6;
            noisy[i] = t[i] == 3 ? 0.1 : 300e-6;
            victimEwb[i] = thrash ? 1000 : 0;
        }
        d.series("enclave", "victim", "latency", "s", t, victim).series("enclave", "noisy", "latency", "s", t, noisy);
        d.series("cgroup", "/victim", "epc.current", "bytes", t, fill(t.length, 24 * MB));
        d.series("cgroup", "/noisy", "epc.current", "bytes", t, fill(t.length, 30 * MB));
        d.series("cgroup", "/victim", "ewb.rate", "pages/s", t, victimEwb);
        d.series("cgroup", "/noisy", "ewb.rate", "pages/s", t, fill(t.length, 0));
        d.event(3, "limit", "/noisy", "max -> 40MB");
        Document doc = render(d, "noisy");
        assertThat(finding(doc, "latency")).isEqualTo("noisy's latency peaked at 100 ms at 3 s, 333× its baseline of 300 µs,"
                + " and was back within 1.5× of it from 3.25 s; victim's latency peaked at 160 µs at 1 s, 3.1× its baseline of"
                + " 51.0 µs, and was back within 1.5× of it from 3 s.");
        assertThat(doc.select("figure#latency ul.legend li").eachText()).contains("clipped: noisy peaked at 100 ms at 3 s");
        assertThat(doc.selectFirst("figure#latency text.y-label").text()).isEqualTo("mean latency per operation (µs)");
        assertThat(finding(doc, "epc-limits")).isEqualTo("No cgroup reached its sgx_epc limit; /victim has no limit but lost"
                + " 2,000 pages to host-wide reclaim and /noisy's EPC was untouched (peak 30MB of its 40MB limit, no page"
                + " written back).");
    }

    @Test
    void limitChangesAreStepsAndMaxBreaksTheLine() throws IOException {
        DataJson d = DataJson.scenario("limits", 30, 1);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/job", "/", 0.0, 32 * MB, 10.0, 16 * MB, 15.0, null, 20.0, 24 * MB);
        d.series("cgroup", "/job", "epc.current", "bytes", t, fill(t.length, 8 * MB));
        d.event(10, "limit", "/job", "32MB -> 16MB").event(15, "limit", "/job", "16MB -> max").event(20, "limit", "/job", "max -> 24MB");
        Document doc = render(d, "limits");
        var lines = doc.select("figure#epc-limits polyline[data-step=limits]");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).attr("points").split(" ")).hasSize(4);
        assertThat(lines.get(1).attr("points").split(" ")).hasSize(2);
        assertThat(finding(doc, "epc-limits")).isEqualTo("No cgroup reached its sgx_epc limit; /job stayed below its limit (peak 8MB of 16MB).");
    }

    @Test
    void anOomKillIsMarkedAndTheHitComesFromCurrentWithoutEventCounts() throws IOException {
        DataJson d = DataJson.scenario("oom", 4, 0.1);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/hog", "/", 0.0, 8 * MB);
        double[] v = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            v[i] = t[i] < 2.5 ? Math.floor(t[i] * 3.2 * MB / 4096) * 4096 : t[i] < 3 ? 8 * MB : 0;
        }
        d.series("cgroup", "/hog", "epc.current", "bytes", t, v);
        d.enclave("h", "/hog", false, 0.2, "oom-killed");
        d.event(3, "oom-kill", "h", "killed by OOM at 3.000 s: /hog reached its sgx_epc limit");
        Document doc = render(d, "oom");
        assertThat(finding(doc, "epc-limits")).isEqualTo("/hog hit its limit at 2.5 s.");
        assertThat(doc.selectFirst("figure#epc-limits line.event").attr("data-t")).isEqualTo("3");
        assertThat(doc.selectFirst("#enclave-table .outcome").hasClass("o-bad")).isTrue();
    }

    @Test
    void nullsAndMissingValuesBreakLinesAndUnknownsShowAsDashes() throws IOException {
        DataJson d = DataJson.scenario("gaps", 2, 0.5);
        double[] t = d.times();
        d.hostEpc(null).cgroup("/", null).cgroup("/a", "/", 0.0, null);
        d.series("cgroup", "/a", "epc.current", "bytes", t, new double[] {0, Double.NaN, 4 * MB, Double.NaN, 2 * MB});
        d.series("enclave", "x", "latency", "s", t, new double[] {Double.NaN, 0.001, Double.NaN, 0.002, 0.001});
        d.enclave("x", "/a", null, null, "running");
        ObjectNode x = (ObjectNode) d.root.get("enclaves").get(0);
        x.remove("latencyS");
        x.remove("runs");
        x.putNull("operations");
        d.root.remove("description");
        d.root.remove("metrics");
        Document doc = render(d, "gaps");
        assertThat(doc.select("figure#epc-limits polyline[data-series='cgroup:/a:epc.current']")).hasSize(3);
        assertThat(doc.select("figure#latency polyline")).hasSize(2);
        assertThat(doc.select("figure#epc-limits polyline[data-step]")).isEmpty();
        assertThat(doc.selectFirst("#enclave-table tr[data-enclave=x]").text()).contains("–");
        assertThat(finding(doc, "startup")).isEqualTo("No enclave started: x never did.");
        assertThat(finding(doc, "latency")).isEqualTo("x's latency peaked at 2.00 ms at 1.5 s, 2× its baseline of 1.00 ms, and was back within 1.5× of it from 2 s.");
        assertThat(doc.select("#metrics")).isEmpty();
    }

    @Test
    void manyEventsLeaveStartsAndExitsOffTheChartsButNotOffTheTimeline() throws IOException {
        DataJson d = DataJson.scenario("busy", 10, 1);
        double[] t = d.times();
        d.cgroup("/", null).cgroup("/a", "/", 0.0, 8 * MB);
        d.series("cgroup", "/a", "epc.current", "bytes", t, fill(t.length, MB));
        for (int i = 0; i < 12; i++) {
            d.event(i * 0.5, "start", "e" + i, "").event(i * 0.5 + 0.25, "exit", "e" + i, "status 0");
        }
        d.event(5, "limit", "/a", "8MB -> 4MB");
        Document doc = render(d, "busy");
        assertThat(doc.select("figure#epc-limits line.event").eachAttr("data-t")).containsExactly("5");
        assertThat(doc.select("#event-table tbody tr")).hasSize(25);
        assertThat(doc.selectFirst("figure#epc-limits g.badge text").text()).isEqualTo("22");
    }

    @Test
    void zeroEnclavesAndNoSeriesStillMakeAPage() throws IOException {
        DataJson d = DataJson.scenario("empty", 0, 0.1);
        Document doc = render(d, "empty");
        assertThat(doc.select("figure.chart")).isEmpty();
        assertThat(doc.selectFirst("#no-enclaves")).isNotNull();
        assertThat(doc.selectFirst("ul.findings").text()).isEqualTo("The data holds no series to chart.");
        assertThat(doc.title()).isEqualTo("jocclum scenario: empty");
    }

    @Test
    void namesAreTextNeverMarkup() throws IOException {
        DataJson d = DataJson.scenario("<b>bold</b>", 2, 1);
        double[] t = d.times();
        String cg = "/a\"b&c'<d>";
        String en = "<script>alert(1)</script>";
        d.cgroup("/", null).cgroup(cg, "/", 0.0, 4 * MB);
        d.series("cgroup", cg, "epc.current", "bytes", t, fill(t.length, MB));
        d.enclave(en, cg, true, 0.1, "exited");
        d.series("enclave", en, "latency", "s", t, fill(t.length, 0.001));
        d.event(1, "note", en, "</svg><img src=x>");
        Document doc = render(d, "names");
        assertThat(doc.select("script, img, b")).isEmpty();
        assertThat(doc.selectFirst("h1").text()).isEqualTo("<b>bold</b>");
        assertThat(doc.selectFirst("#enclave-table td").text()).isEqualTo(en);
        assertThat(doc.select("polyline[data-series]").eachAttr("data-series")).contains("cgroup:" + cg + ":epc.current",
                "enclave:" + en + ":latency");
        assertThat(doc.selectFirst("#event-table tbody tr").text()).contains("</svg><img src=x>");
    }

    @Test
    void theSameDataGivesTheSameBytes() throws IOException {
        Path a = DataJson.twoPods().write(tmp.resolve("a"));
        Path b = DataJson.twoPods().write(tmp.resolve("b"));
        ScenarioReport.write(a);
        ScenarioReport.write(b);
        assertThat(Files.readAllBytes(a.resolve("index.html"))).isEqualTo(Files.readAllBytes(b.resolve("index.html")));
    }

    @Test
    void randomDataSetsPlotEveryPointWhereDataJsonPutsIt() throws IOException {
        long seed = System.nanoTime();
        System.out.println("ScenarioReportTest.randomDataSetsPlotEveryPointWhereDataJsonPutsIt seed=" + seed);
        Random r = new Random(seed);
        for (int round = 0; round < 12; round++) {
            DataJson d = DataJson.scenario("random-" + round, 1 + r.nextInt(60), List.of(0.05, 0.1, 0.5, 1.0).get(r.nextInt(4)));
            double[] t = d.times();
            d.hostEpc(r.nextBoolean() ? (long) (16 + r.nextInt(256)) * MB : null);
            d.cgroup("/", null);
            int cgroups = r.nextInt(5);
            for (int c = 0; c < cgroups; c++) {
                String path = "/c" + c;
                Object[] limits = r.nextBoolean() ? new Object[0]
                        : new Object[] {0.0, (long) (1 + r.nextInt(64)) * MB, t[t.length - 1] / 2, r.nextBoolean() ? null : (long) (1 + r.nextInt(64)) * MB};
                d.cgroup(path, "/", limits);
                for (String metric : List.of("epc.current", "ewb.rate", "eldu.rate")) {
                    if (r.nextInt(4) > 0) {
                        d.series("cgroup", path, metric, metric.equals("epc.current") ? "bytes" : "pages/s", t, random(r, t.length,
                                metric.equals("epc.current") ? 80.0 * MB : 5000));
                    }
                }
            }
            int enclaves = r.nextInt(4);
            for (int e = 0; e < enclaves; e++) {
                d.enclave("e" + e, "/", r.nextBoolean(), r.nextInt(5) == 0 ? null : r.nextDouble() * 2, "exited");
                for (String metric : List.of("faults.rate", "latency", "progress", "eaug.rate", "trim.rate")) {
                    if (r.nextBoolean()) {
                        d.series("enclave", "e" + e, metric, metric.equals("latency") ? "s" : "1/s", t,
                                random(r, t.length, metric.equals("latency") ? 0.01 : 1000));
                    }
                }
            }
            for (int k = r.nextInt(6); k > 0; k--) {
                d.event(Math.round(r.nextDouble() * t[t.length - 1] * 10) / 10.0, List.of("limit", "kill", "start", "note").get(r.nextInt(4)), "x", "");
            }
            Path out = d.write(tmp.resolve("random-" + round));
            ScenarioReport.write(out);
            Document doc = Jsoup.parse(out.resolve("index.html").toFile(), "UTF-8");
            PlotCheck check = PlotCheck.scenario(doc, DataJson.JSON.readTree(out.resolve("data.json").toFile()));
            assertThat(check.problems).as("seed " + seed + " round " + round).isEmpty();
            ReportChecks.anatomy(doc);
        }
    }

    /** Values up to {@code max}, about a tenth of them null. */
    private static double[] random(Random r, int n, double max) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(10) == 0 ? Double.NaN : Math.floor(r.nextDouble() * max);
        }
        return v;
    }

    private static double[] fill(int n, double v) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void theCheckerFiresOnAMovedPointAWrongBarAndAnUnknownSeries() throws IOException {
        Path out = DataJson.twoPods().write(tmp.resolve("tampered"));
        ScenarioReport.write(out);
        Document doc = Jsoup.parse(out.resolve("index.html").toFile(), "UTF-8");
        JsonNode data = DataJson.JSON.readTree(out.resolve("data.json").toFile());
        assertThat(PlotCheck.scenario(doc, data).points).isGreaterThan(1000);
        Element line = doc.selectFirst("figure#epc-limits polyline[data-series='cgroup:/pod-a:epc.current']");
        String[] pts = line.attr("points").split(" ");
        String[] xy = pts[50].split(",");
        pts[50] = xy[0] + "," + (Double.parseDouble(xy[1]) - 1);
        line.attr("points", String.join(" ", pts));
        doc.selectFirst("rect.bar").attr("width", "3");
        doc.selectFirst("figure#faults polyline").attr("data-series", "enclave:zz:faults.rate");
        doc.selectFirst("line.event").attr("x1", "100");
        List<String> problems = PlotCheck.scenario(doc, data).problems;
        assertThat(problems).anyMatch(p -> p.contains("cgroup:/pod-a:epc.current point 50"))
                .anyMatch(p -> p.startsWith("start-up bar of a1"))
                .anyMatch(p -> p.contains("enclave:zz:faults.rate is plotted but is not in data.json"))
                .anyMatch(p -> p.contains("event marker at x1=100"));
    }

    // ---- bad input ----------------------------------------------------------------------------

    private void assertBad(String json, String... parts) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad" + System.nanoTime()));
        Files.writeString(dir.resolve("data.json"), json);
        assertThatThrownBy(() -> ScenarioReport.write(dir)).isInstanceOf(IOException.class)
                .satisfies(e -> ReportChecks.oneSentence(e.getMessage()))
                .hasMessageContaining(dir.resolve("data.json").toString())
                .hasMessageContainingAll(parts);
        assertThat(dir.resolve("index.html")).doesNotExist();
    }

    private static String twoPodsWith(java.util.function.Consumer<ObjectNode> change) {
        DataJson d = DataJson.twoPods();
        change.accept(d.root);
        return d.root.toString();
    }

    @Test
    void badDataJsonIsOneSentenceNamingTheFileAndThePath() throws IOException {
        assertBad("{\"schema\": ", "is not valid JSON at line 1");
        assertBad("[1, 2]", "$ must be a JSON object");
        assertBad(twoPodsWith(r -> r.put("schema", "jocclum-scenario/2")), "$.schema must be \"jocclum-scenario/1\"");
        assertBad(twoPodsWith(r -> r.remove("durationS")), "$.durationS is missing");
        assertBad(twoPodsWith(r -> ((ArrayNode) r.get("series").get(1).get("values")).add(1)),
                "$.series[1].values has 302 entries but $.series[1].t has 301 (they must have the same length)");
        assertBad(twoPodsWith(r -> ((ArrayNode) r.get("series").get(0).get("values")).set(7, "lots")),
                "$.series[0].values[7] must be a number or null, not \"lots\"");
        assertBad(twoPodsWith(r -> ((ArrayNode) r.get("series").get(0).get("t")).set(3, 0.0)),
                "$.series[0].t[3] is 0.0, before the previous sample's 0.2");
        assertBad(twoPodsWith(r -> ((ObjectNode) r.get("enclaves").get(1)).put("outcome", "vanished")),
                "$.enclaves[1].outcome is \"vanished\"; allowed: exited, killed, oom-killed, failed-to-start, running");
        assertBad(twoPodsWith(r -> ((ObjectNode) r.get("cgroups").get(2).get("limits").get(0)).put("tS", 25.0)),
                "$.cgroups[2].limits[1].tS is 20.0, before the previous limit's 25.0");
        assertBad(twoPodsWith(r -> ((ObjectNode) r.get("series").get(2)).put("scope", "pod")),
                "$.series[2].scope is \"pod\"; allowed: host, cgroup, enclave");
        assertBad(twoPodsWith(r -> ((ObjectNode) r.get("metrics")).put("cgroup./pod-a.x", 3)),
                "$.metrics[\"cgroup./pod-a.x\"] must be an object with value and unit");
        assertBad(twoPodsWith(r -> ((ArrayNode) r.get("events")).add(3)), "$.events[5] must be an object, not 3");
        assertBad(twoPodsWith(r -> ((ObjectNode) r.get("cgroups").get(1)).put("path", "pod-a")),
                "$.cgroups[1].path must be an absolute cgroup path");
    }

    @Test
    void aMissingDataJsonIsNamed() {
        assertThatThrownBy(() -> ScenarioReport.write(tmp.resolve("nowhere"))).isInstanceOf(IOException.class)
                .hasMessage(tmp.resolve("nowhere").resolve("data.json") + " does not exist or is not a regular file.");
    }
}
