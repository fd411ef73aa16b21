package io.jocclum.cli.report;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
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
import java.util.function.Consumer;

import static io.jocclum.cli.report.DataJson.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SweepReportTest {
    @TempDir
    Path tmp;

    /** A sweep.json: the first parameter's values, the optional second's, and metric(x index, second index). */
    static ObjectNode sweep(List<String> xs, List<String> second, MetricFn... metrics) {
        ObjectNode root = JSON.createObjectNode().put("schema", "jocclum-sweep/1").put("name", "epc-limit-sweep");
        ArrayNode vary = root.putArray("vary");
        ObjectNode v0 = vary.addObject().put("path", "cgroups./pod-a.epcMax");
        xs.forEach(v0.putArray("values")::add);
        if (!second.isEmpty()) {
            ObjectNode v1 = vary.addObject().put("path", "enclaves.a1.edmm");
            second.forEach(v1.putArray("values")::add);
        }
        ArrayNode points = root.putArray("points");
        int n = 0;
        for (int j = 0; j < Math.max(1, second.size()); j++) {
            for (int i = 0; i < xs.size(); i++) {
                ObjectNode p = points.addObject();
                ObjectNode params = p.putObject("params").put("cgroups./pod-a.epcMax", xs.get(i));
                if (!second.isEmpty()) {
                    params.put("enclaves.a1.edmm", second.get(j));
                }
                p.put("dir", String.format("point-%03d", n++));
                ObjectNode ms = p.putObject("metrics");
                for (MetricFn m : metrics) {
                    Double v = m.value(i, j);
                    ObjectNode mo = ms.putObject(m.name());
                    if (v == null) {
                        mo.putNull("value");
                    } else {
                        mo.put("value", v);
                    }
                    mo.put("unit", m.unit());
                }
            }
        }
        return root;
    }

    record MetricFn(String name, String unit, Fn fn) {
        Double value(int i, int j) {
            return fn.at(i, j);
        }
    }

    interface Fn {
        Double at(int i, int j);
    }

    private Document render(ObjectNode sweep, String dir) throws IOException {
        Path out = Files.createDirectories(tmp.resolve(dir));
        Files.writeString(out.resolve("sweep.json"), sweep.toPrettyString());
        SweepReport.write(out);
        String html = Files.readString(out.resolve("index.html"));
        Document doc = Jsoup.parse(html);
        JsonNode data = JSON.readTree(out.resolve("sweep.json").toFile());
        PlotCheck check = PlotCheck.sweep(doc, data);
        assertThat(check.problems).isEmpty();
        assertThat(check.points).isPositive();
        ReportChecks.anatomy(doc);
        ReportChecks.selfContained(doc, html);
        return doc;
    }

    @Test
    void oneParameterThroughputFallsOffBelowALimit() throws IOException {
        double[] tput = {130, 400, 410, 405};
        Document doc = render(sweep(List.of("16MB", "32MB", "64MB", "128MB"), List.of(),
                new MetricFn("enclave.a1.throughputOpsPerS", "ops/s", (i, j) -> tput[i]),
                new MetricFn("enclave.a1.startupS", "s", (i, j) -> 0.0123),
                new MetricFn("cgroup./pod-a.epcPeakBytes", "bytes", (i, j) -> (double) Math.min(16L << (i), 40L) * DataJson.MB)),
                "one");
        assertThat(doc.select("figure.chart")).hasSize(2);
        assertThat(doc.selectFirst("figure#metric-0 p.finding").text()).isEqualTo(
                "enclave.a1.throughputOpsPerS is flat from 32MB up and falls off below it: 3.1× lower at 16MB than at 128MB"
                + " (130 ops/s vs 405 ops/s).");
        assertThat(doc.selectFirst("figure#metric-1 p.finding").text()).isEqualTo(
                "cgroup./pod-a.epcPeakBytes is flat from 64MB up and falls off below it: 2.5× lower at 16MB than at 128MB (16MB vs 40MB).");
        assertThat(doc.select("#unchanged td").eachText()).containsExactly("enclave.a1.startupS", "12.3 ms");
        assertThat(doc.select("#point-table a").eachAttr("href"))
                .containsExactly("point-000/index.html", "point-001/index.html", "point-002/index.html", "point-003/index.html");
        assertThat(doc.select("figure#metric-0 circle.point")).hasSize(4);
        assertThat(doc.select("figure#metric-0 text.x-tick").eachText()).containsExactly("16MB", "32MB", "64MB", "128MB");
        assertThat(doc.selectFirst("figure#metric-0 text.x-label").text()).isEqualTo("cgroups./pod-a.epcMax (bytes)");
    }

    @Test
    void captionsForAZeroPlateauAFlatMetricAndAPlateauAtTheLowEnd() throws IOException {
        double[] ewb = {12000, 5021, 0, 0};
        double[] peak = {44.3, 44.4, 44.4, 44.4};
        double[] lat = {50, 51, 120, 300};
        Document doc = render(sweep(List.of("16MB", "32MB", "48MB", "64MB"), List.of(),
                new MetricFn("host.ewbPages", "pages", (i, j) -> ewb[i]),
                new MetricFn("host.epcPeakBytes", "bytes", (i, j) -> peak[i] * DataJson.MB),
                new MetricFn("enclave.a.latencyP99S", "s", (i, j) -> lat[i] * 1e-6)), "plateaus");
        assertThat(doc.select("p.finding").eachText()).containsExactly(
                "host.ewbPages is 0 from 48MB up and rises below it, to 12,000 pages at 16MB.",
                "host.epcPeakBytes varies by less than 10% over cgroups./pod-a.epcMax (44.3MB at 16MB, 44.4MB at 64MB).",
                "enclave.a.latencyP99S is flat up to 32MB and rises above it: 6× higher at 64MB than at 16MB (300 µs vs 50.0 µs).");
        assertThat(doc.select("ul.findings li a.jump").eachAttr("href")).containsExactly("#metric-0", "#metric-1", "#metric-2");
    }

    @Test
    void twoParametersGiveOneLinePerSecondValue() throws IOException {
        Document doc = render(sweep(List.of("8MB", "16MB", "32MB"), List.of("true", "false"),
                new MetricFn("enclave.a1.startupS", "s", (i, j) -> j == 0 ? 0.01 * (i + 1) : 0.5 * (i + 1)),
                new MetricFn("host.ewbPages", "pages", (i, j) -> i == 1 && j == 1 ? null : (double) (100 - 10 * i))),
                "two");
        assertThat(doc.select("figure#metric-0 polyline").eachAttr("data-series")).containsExactly(
                "sweep:enclave.a1.startupS:enclaves.a1.edmm=true", "sweep:enclave.a1.startupS:enclaves.a1.edmm=false");
        assertThat(doc.select("figure#metric-0 ul.legend li").eachText())
                .containsExactly("enclaves.a1.edmm=true", "enclaves.a1.edmm=false");
        // a missing value is a gap, not a zero
        assertThat(doc.select("figure#metric-1 circle.point")).hasSize(5);
        assertThat(doc.select("figure#metric-1 polyline")).hasSize(3);
        assertThat(doc.selectFirst("figure#metric-0 p.finding").text()).isEqualTo("with enclaves.a1.edmm=true, enclave.a1.startupS is"
                + " 3× higher at 32MB than at 8MB (10.0 ms → 30.0 ms); the largest step, 2×, is between 8MB and 16MB (the line that"
                + " changes most).");
        assertThat(doc.select("#point-table tbody tr")).hasSize(6);
    }

    @Test
    void aMetricThatOnlyTheSecondParameterChangesIsComparedBetweenLines() throws IOException {
        Document doc = render(sweep(List.of("16MB", "32MB"), List.of("true", "false"),
                new MetricFn("enclave.a1.startupS", "s", (i, j) -> j == 0 ? 0.012 : 0.624)), "lines");
        assertThat(doc.selectFirst("figure#metric-0 p.finding").text()).isEqualTo("enclave.a1.startupS does not change with"
                + " cgroups./pod-a.epcMax; it is 52× higher with enclaves.a1.edmm=false than with enclaves.a1.edmm=true"
                + " (624 ms vs 12.0 ms).");
    }

    @Test
    void randomSweepsPlotEveryPointWhereSweepJsonPutsIt() throws IOException {
        long seed = System.nanoTime();
        System.out.println("SweepReportTest.randomSweepsPlotEveryPointWhereSweepJsonPutsIt seed=" + seed);
        Random r = new Random(seed);
        for (int round = 0; round < 10; round++) {
            int nx = 1 + r.nextInt(6);
            List<String> xs = new java.util.ArrayList<>();
            for (int i = 0; i < nx; i++) {
                xs.add((8 << i) + "MB");
            }
            List<String> second = r.nextBoolean() ? List.of() : List.of("a", "b", "c").subList(0, 1 + r.nextInt(3));
            double scale = Math.pow(10, r.nextInt(12) - 6);
            ObjectNode s = sweep(xs, second,
                    new MetricFn("m.bytes", "bytes", (i, j) -> r.nextInt(8) == 0 ? null : Math.floor(r.nextDouble() * 1e9)),
                    new MetricFn("m.seconds", "s", (i, j) -> r.nextDouble() * scale),
                    new MetricFn("m.count", "count", (i, j) -> (double) r.nextInt(100)));
            Path out = Files.createDirectories(tmp.resolve("r" + round));
            Files.writeString(out.resolve("sweep.json"), s.toString());
            SweepReport.write(out);
            Document doc = Jsoup.parse(Files.readString(out.resolve("index.html")));
            PlotCheck check = PlotCheck.sweep(doc, JSON.readTree(out.resolve("sweep.json").toFile()));
            assertThat(check.problems).as("seed " + seed + " round " + round).isEmpty();
            ReportChecks.anatomy(doc);
        }
    }

    @Test
    void theCheckerFiresOnAMovedDot() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("moved"));
        Files.writeString(out.resolve("sweep.json"), sweep(List.of("1MB", "2MB"), List.of(),
                new MetricFn("x", "count", (i, j) -> (double) i + 1)).toString());
        SweepReport.write(out);
        Document doc = Jsoup.parse(Files.readString(out.resolve("index.html")));
        doc.selectFirst("circle.point").attr("cy", "10");
        assertThat(PlotCheck.sweep(doc, JSON.readTree(out.resolve("sweep.json").toFile())).problems)
                .anyMatch(p -> p.contains("the dot of point-000"));
    }

    private void assertBad(Consumer<ObjectNode> change, String part) throws IOException {
        ObjectNode s = sweep(List.of("16MB", "32MB"), List.of(), new MetricFn("x", "count", (i, j) -> 1.0));
        change.accept(s);
        Path dir = Files.createDirectories(tmp.resolve("bad" + System.nanoTime()));
        Files.writeString(dir.resolve("sweep.json"), s.toString());
        assertThatThrownBy(() -> SweepReport.write(dir)).isInstanceOf(IOException.class)
                .satisfies(e -> ReportChecks.oneSentence(e.getMessage()))
                .hasMessageContaining(dir.resolve("sweep.json").toString()).hasMessageContaining(part);
    }

    @Test
    void badSweepJsonIsOneSentenceNamingTheFileAndThePath() throws IOException {
        assertBad(s -> s.put("schema", "x"), "$.schema must be \"jocclum-sweep/1\", not \"x\"");
        assertBad(s -> s.putArray("vary"), "$.vary is empty");
        assertBad(s -> ((ObjectNode) s.get("points").get(1).get("params")).put("cgroups./pod-a.epcMax", "48MB"),
                "$.points[1].params[\"cgroups./pod-a.epcMax\"] is \"48MB\", which is not one of the values of $.vary (16MB, 32MB)");
        assertBad(s -> ((ObjectNode) s.get("points").get(0).get("params")).remove("cgroups./pod-a.epcMax"),
                "$.points[0].params[\"cgroups./pod-a.epcMax\"] is missing");
        assertBad(s -> ((ObjectNode) s.get("points").get(0)).put("dir", "../elsewhere"), "$.points[0].dir is \"../elsewhere\"");
        assertBad(s -> ((ObjectNode) s.get("points").get(1)).put("dir", "https://example.org"), "$.points[1].dir");
        assertBad(s -> ((ObjectNode) s.get("points").get(1).get("metrics").get("x")).put("value", "many"),
                "$.points[1].metrics.x.value must be a number or null, not \"many\"");
        assertBad(s -> s.remove("points"), "$.points is missing");
    }
}
