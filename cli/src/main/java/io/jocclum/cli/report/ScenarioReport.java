package io.jocclum.cli.report;

import io.jocclum.cli.report.ScenarioData.Cgroup;
import io.jocclum.cli.report.ScenarioData.Enclave;
import io.jocclum.cli.report.ScenarioData.Event;
import io.jocclum.cli.report.ScenarioData.Limit;
import io.jocclum.cli.report.ScenarioData.Series;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The report of one scenario run: DIR/data.json in, DIR/index.html out. The page holds, in this
 * order, the scenario's facts, the key findings (each chart's caption), the EPC charts (stacked use
 * per cgroup against the host's EPC, use per cgroup against its limits), reclaim and fault rates,
 * EDMM page operations, latency and progress per enclave, start-up per enclave, and tables of the
 * enclaves, the timeline and the scalar metrics. How each chart's points map to data.json is
 * documented on {@link LineChart} and {@link BarChart}.
 */
public final class ScenarioReport {
    /** One page; a cgroup at its limit is within one page of it. */
    static final long PAGE = 4096;

    private ScenarioReport() {
    }

    /** Reads DIR/data.json (written by the engine) and writes DIR/index.html (self-contained). */
    public static void write(Path reportDir) throws IOException {
        ScenarioData d = ScenarioData.read(reportDir.resolve("data.json"));
        Page.write(reportDir.resolve("index.html"), render(d));
    }

    /** A chart's id, title and finding, for the key-findings list. */
    private record Finding(String id, String title, String sentence) {
    }

    static String render(ScenarioData d) {
        List<Finding> findings = new ArrayList<>();
        List<LineChart.Marker> markers = markers(d);
        Axis time = Axis.time(endTime(d));
        StringBuilder epc = new StringBuilder();
        StringBuilder rates = new StringBuilder();
        StringBuilder encl = new StringBuilder();

        add(epc, findings, stackedEpc(d, time, markers), "EPC in use, stacked by cgroup");
        add(epc, findings, epcAgainstLimits(d, time, markers), "EPC in use per cgroup and its sgx_epc limit");
        add(rates, findings, reclaim(d, time, markers), "EPC reclaim: pages written back (EWB) and loaded back (ELDU)");
        add(rates, findings, faults(d, time, markers), "Page faults");
        add(rates, findings, edmm(d, time, markers), "EDMM: pages added (EAUG) and trimmed at run time");
        add(encl, findings, startup(d), "Start-up per enclave");
        add(encl, findings, latency(d, time, markers), "Operation latency per enclave");
        add(encl, findings, progress(d, time, markers), "Progress per enclave");

        StringBuilder b = new StringBuilder();
        b.append("<!-- Charts are inline SVG. Each <g class=\"plot\"> carries its data window (data-x0, data-x1,"
                + " data-y0, data-y1) and pixel box (data-left, data-top, data-width, data-height); a point (x, v)"
                + " is drawn at px = left + (x - x0) / (x1 - x0) * width, py = top + height - (v - y0) / (y1 - y0) * height,"
                + " rounded to 0.01. Lines are <polyline data-series=\"scope:id:metric\"> over the series' samples. -->\n");
        header(b, d);
        b.append("<section id=\"findings\"><h2>Key findings</h2><ul class=\"findings\">");
        for (Finding f : findings) {
            b.append("<li><a href=\"#").append(f.id()).append("\">").append(Fmt.html(f.title())).append("</a>: ")
                    .append(Fmt.html(f.sentence())).append("</li>");
        }
        if (findings.isEmpty()) {
            b.append("<li>The data holds no series to chart.</li>");
        }
        b.append("</ul></section>\n");
        section(b, "epc", "EPC use", epc);
        section(b, "rates", "Reclaim, faults and EDMM", rates);
        b.append("<section id=\"enclaves\"><h2>Enclaves</h2>\n").append(encl);
        enclaveTable(b, d);
        b.append("</section>\n");
        timeline(b, d);
        metrics(b, d);
        b.append("<footer>Written by jocclum from data.json (").append(ScenarioData.SCHEMA)
                .append("); times are simulated, not wall-clock.</footer>\n");
        return Page.document("jocclum scenario: " + d.name(), b.toString());
    }

    private static void add(StringBuilder to, List<Finding> findings, Optional<Chart> chart, String title) {
        chart.ifPresent(c -> {
            to.append(c.html());
            findings.add(new Finding(c.id(), title, c.caption()));
        });
    }

    private static void section(StringBuilder b, String id, String title, StringBuilder content) {
        if (!content.isEmpty()) {
            b.append("<section id=\"").append(id).append("\"><h2>").append(title).append("</h2>\n").append(content)
                    .append("</section>\n");
        }
    }

    /** A rendered chart with its id and caption. */
    private record Chart(String id, String caption, String html) {
    }

    private static Optional<Chart> chart(String id, String caption, String html) {
        return Optional.of(new Chart(id, caption, html));
    }

    static double endTime(ScenarioData d) {
        double end = d.durationS();
        for (Series s : d.series()) {
            if (s.t().length > 0) {
                end = Math.max(end, s.t()[s.t().length - 1]);
            }
        }
        return end;
    }

    // ---- header -------------------------------------------------------------------------------

    private static void header(StringBuilder b, ScenarioData d) {
        b.append("<header><h1>").append(Fmt.html(d.name())).append("</h1>");
        if (d.description() != null && !d.description().isBlank()) {
            b.append("<p class=\"description\">").append(Fmt.html(d.description())).append("</p>");
        }
        b.append("<dl class=\"facts\">");
        var h = d.host();
        if (h.epcBytes() != null) {
            b.append(Page.fact("Host EPC", Fmt.bytes(h.epcBytes())));
        }
        if (h.sgx() != null) {
            b.append(Page.fact("SGX", "SGX" + h.sgx() + (h.sgx() >= 2 ? " (EDMM available)" : "")));
        }
        if (h.ramBytes() != null) {
            b.append(Page.fact("Host RAM", Fmt.bytes(h.ramBytes())));
        }
        if (h.costModel() != null) {
            b.append(Page.fact("Cost model", h.costModel()));
        }
        b.append(Page.fact("Simulated time", Fmt.at(d.durationS())));
        if (!Double.isNaN(d.sampleIntervalS())) {
            b.append(Page.fact("Sample interval", Fmt.seconds(d.sampleIntervalS())));
        }
        if (d.stopReason() != null) {
            b.append(Page.fact("Stopped", d.stopReason()));
        }
        b.append(Page.fact("Enclaves", Integer.toString(d.enclaves().size())));
        b.append(Page.fact("Cgroups", Long.toString(d.cgroups().stream().filter(c -> !c.path().equals("/")).count())));
        if (d.seed() != null) {
            b.append(Page.fact("Seed", Long.toString(d.seed())));
        }
        b.append("</dl></header>\n");
    }

    // ---- event markers ------------------------------------------------------------------------

    /** The events in time order, numbered from 1 as in the timeline table. */
    static List<Event> orderedEvents(ScenarioData d) {
        List<Event> e = new ArrayList<>(d.events());
        e.sort(Comparator.comparingDouble(Event::tS));
        return e;
    }

    static String eventColor(String kind) {
        return switch (kind) {
            case "limit" -> "#5D3A9B";
            case "kill", "oom-kill" -> "#B2182B";
            case "start", "started" -> "#1B7837";
            case "move" -> "#8C510A";
            default -> "#6E7781";
        };
    }

    /** Above this many events, starts and exits are left off the charts (the timeline lists them all). */
    static final int MARKED_ROUTINE_EVENTS = 20;

    private static List<LineChart.Marker> markers(ScenarioData d) {
        List<LineChart.Marker> m = new ArrayList<>();
        List<Event> events = orderedEvents(d);
        boolean many = events.size() > MARKED_ROUTINE_EVENTS;
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            if (many && List.of("start", "started", "exit").contains(e.kind())) {
                continue;
            }
            m.add(new LineChart.Marker(e.tS(), i + 1, eventColor(e.kind()), Fmt.at(e.tS()) + " " + e.kind()
                    + (e.target().isEmpty() ? "" : " " + e.target()) + (e.detail().isEmpty() ? "" : ": " + e.detail())));
        }
        return m;
    }

    private static void addMarkers(LineChart c, List<LineChart.Marker> markers) {
        markers.forEach(c::marker);
        if (c.hasMarkers()) {
            c.legend("events (numbered as in the timeline)", "#6E7781", LineChart.Mark.EVENT);
        }
    }

    // ---- EPC ----------------------------------------------------------------------------------

    /** Non-root cgroups with the given cgroup-scope series, in tree order. */
    private static List<Series> cgroupSeries(ScenarioData d, List<Cgroup> among, String metric) {
        List<Series> out = new ArrayList<>();
        for (Cgroup c : among) {
            if (!c.path().equals("/")) {
                d.find("cgroup", c.path(), metric).ifPresent(out::add);
            }
        }
        return out;
    }

    private static List<Series> enclaveSeries(ScenarioData d, String metric) {
        List<Series> out = new ArrayList<>();
        for (Enclave e : d.enclaves()) {
            d.find("enclave", e.name(), metric).ifPresent(out::add);
        }
        return out;
    }

    /** The colour of a cgroup (by its place in the tree) or an enclave (by its place in the list). */
    private static String colorOf(ScenarioData d, Series s) {
        if (s.scope().equals("cgroup")) {
            List<Cgroup> nonRoot = d.cgroups().stream().filter(c -> !c.path().equals("/")).toList();
            for (int i = 0; i < nonRoot.size(); i++) {
                if (nonRoot.get(i).path().equals(s.id())) {
                    return Page.color(i);
                }
            }
        } else if (s.scope().equals("enclave")) {
            for (int i = 0; i < d.enclaves().size(); i++) {
                if (d.enclaves().get(i).name().equals(s.id())) {
                    return Page.color(i);
                }
            }
        }
        return "#4D4D4D";
    }

    private static String nameOf(Series s) {
        return s.scope().equals("host") ? "host" : s.id();
    }

    private static Optional<Chart> stackedEpc(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Series> members = cgroupSeries(d, d.leafCgroups(), "epc.current");
        String what = "cgroup";
        if (members.isEmpty()) {
            members = enclaveSeries(d, "epc.current");
            what = "enclave";
        }
        if (members.isEmpty()) {
            members = d.find("host", "host", "epc.current").stream().toList();
            what = "host";
        }
        if (members.isEmpty()) {
            return Optional.empty();
        }
        TreeSet<Double> grid = new TreeSet<>();
        members.forEach(s -> Arrays.stream(s.t()).forEach(grid::add));
        double[] xs = grid.stream().mapToDouble(Double::doubleValue).toArray();
        double[][] tops = new double[members.size()][xs.length];
        double[] total = new double[xs.length];
        double[][] held = new double[members.size()][];
        for (int k = 0; k < members.size(); k++) {
            held[k] = members.get(k).heldOn(xs);
            for (int i = 0; i < xs.length; i++) {
                total[i] += held[k][i];
                tops[k][i] = total[i];
            }
        }
        double peak = 0;
        int peakAt = -1;
        for (int i = 0; i < xs.length; i++) {
            if (total[i] > peak) {
                peak = total[i];
                peakAt = i;
            }
        }
        Long host = d.host().epcBytes();
        Axis y = Axis.values(Math.max(peak, host == null ? 0 : host), "bytes", "EPC in use");
        LineChart c = new LineChart("epc-stacked", "EPC in use, stacked by " + what, time, y);
        StringBuilder below = new StringBuilder();
        double[] base = new double[xs.length];
        for (int k = 0; k < members.size(); k++) {
            Series s = members.get(k);
            String color = colorOf(d, s);
            c.band(s.key(), color, xs, base, tops[k], below.toString().strip());
            c.legend(nameOf(s), color, LineChart.Mark.AREA);
            below.append(s.key()).append(' ');
            base = tops[k];
        }
        if (host != null) {
            c.hline(host, "#B2182B", "host EPC " + Fmt.bytes(host), "capacity");
            c.legend("host EPC size (" + Fmt.bytes(host) + ")", "#B2182B", LineChart.Mark.DASHED);
        }
        addMarkers(c, markers);
        String caption;
        if (peakAt < 0) {
            caption = "No EPC page was in use at any sample.";
        } else {
            int top = 0;
            double topValue = -1;
            for (int k = 0; k < members.size(); k++) {
                double v = held[k][peakAt];
                if (v > topValue) {
                    topValue = v;
                    top = k;
                }
            }
            caption = "EPC use peaked at " + Fmt.bytes(peak)
                    + (host != null && host > 0 ? " of the host's " + Fmt.bytes(host) + " (" + Fmt.percent(peak / host) + ")" : "")
                    + " at " + Fmt.at(xs[peakAt])
                    + (members.size() == 1 ? ", all of it in " + nameOf(members.get(top))
                    : ", " + Fmt.bytes(topValue) + " of it in " + nameOf(members.get(top))) + ".";
        }
        c.caption(caption);
        return chart("epc-stacked", caption, c.html());
    }

    /**
     * When the cgroup first hit its own sgx_epc limit: the first sample at which its epc.events.max
     * counter went up while its EPC in use was within 5% of the limit then in effect (the counter
     * of misc.events also counts a descendant hitting its own limit), or, without that counter, the
     * first sample within one page of the limit; NaN if never, or if the cgroup has no limit.
     */
    static double hitTime(ScenarioData d, Cgroup c) {
        if (!c.hasEpcLimit()) {
            return Double.NaN;
        }
        Optional<Series> cur = d.find("cgroup", c.path(), "epc.current");
        Optional<Series> events = d.find("cgroup", c.path(), "epc.events.max");
        if (events.isPresent()) {
            Series e = events.get();
            double before = 0;
            for (int i = 0; i < e.t().length; i++) {
                double v = e.values()[i];
                if (Double.isNaN(v)) {
                    continue;
                }
                double t = e.t()[i];
                Long limit = c.epcLimitAt(t);
                if (v > before && limit != null
                        && (cur.isEmpty() || cur.get().heldOn(new double[] {t})[0] >= limit - Math.max(PAGE, 0.05 * limit))) {
                    return t;
                }
                before = v;
            }
            return Double.NaN;
        }
        if (cur.isPresent()) {
            Series s = cur.get();
            for (int i = 0; i < s.t().length; i++) {
                Long limit = c.epcLimitAt(s.t()[i]);
                if (limit != null && !Double.isNaN(s.values()[i]) && s.values()[i] >= limit - PAGE) {
                    return s.t()[i];
                }
            }
        }
        return Double.NaN;
    }

    /** Pages the cgroup wrote back (integral of its ewb.rate): NaN without that series. */
    static double writtenBack(ScenarioData d, String cgroup) {
        return d.find("cgroup", cgroup, "ewb.rate").map(Series::integral).orElse(Double.NaN);
    }

    /** The limit step line: (start, v), (end, v) per limit setting; a "max" setting breaks the line. */
    static double[][] limitSteps(Cgroup c, double end) {
        List<Limit> ls = c.limits();
        double[] xs = new double[ls.size() * 2];
        double[] vs = new double[ls.size() * 2];
        int n = 0;
        for (int i = 0; i < ls.size(); i++) {
            Limit l = ls.get(i);
            double to = i + 1 < ls.size() ? ls.get(i + 1).tS() : Math.max(end, l.tS());
            xs[n] = l.tS();
            vs[n++] = l.epcMaxBytes() == null ? Double.NaN : l.epcMaxBytes();
            if (l.epcMaxBytes() != null) {
                xs[n] = to;
                vs[n++] = l.epcMaxBytes();
            }
        }
        return new double[][] {Arrays.copyOf(xs, n), Arrays.copyOf(vs, n)};
    }

    private static Optional<Chart> epcAgainstLimits(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Cgroup> members = new ArrayList<>();
        for (Cgroup c : d.cgroups()) {
            if (!c.path().equals("/") && d.find("cgroup", c.path(), "epc.current").isPresent()) {
                members.add(c);
            }
        }
        if (members.isEmpty()) {
            return Optional.empty();
        }
        Long host = d.host().epcBytes();
        double cap = host == null ? Double.POSITIVE_INFINITY : host;
        double max = 0;
        for (Cgroup c : members) {
            max = Math.max(max, nz(d.find("cgroup", c.path(), "epc.current").get().max()));
            for (Limit l : c.limits()) {
                if (l.epcMaxBytes() != null && l.epcMaxBytes() <= cap) {
                    max = Math.max(max, l.epcMaxBytes());
                }
            }
        }
        Axis y = Axis.values(max, "bytes", "EPC in use");
        LineChart ch = new LineChart("epc-limits", "EPC in use per cgroup and its sgx_epc limit", time, y);
        for (Cgroup c : members) {
            Series s = d.find("cgroup", c.path(), "epc.current").get();
            String color = colorOf(d, s);
            ch.line(s.key(), color, false, s.t(), s.values(), "");
            ch.legend(c.path() + " in use", color, LineChart.Mark.LINE);
            if (c.hasEpcLimit()) {
                double[][] steps = limitSteps(c, time.max());
                ch.line("cgroup:" + c.path() + ":limits.epcMaxBytes", color, true, steps[0], steps[1], " data-step=\"limits\"");
                long highest = c.limits().stream().filter(l -> l.epcMaxBytes() != null).mapToLong(Limit::epcMaxBytes).max().orElse(0);
                ch.legend(c.path() + " limit" + (highest > y.max() ? " (" + Fmt.bytes(highest) + " is above the chart)" : ""),
                        color, LineChart.Mark.DASHED);
            }
        }
        addMarkers(ch, markers);
        String caption = limitFinding(d, members);
        ch.caption(caption);
        return chart("epc-limits", caption, ch.html());
    }

    static String limitFinding(ScenarioData d, List<Cgroup> members) {
        List<Cgroup> limited = members.stream().filter(Cgroup::hasEpcLimit).toList();
        if (limited.isEmpty()) {
            Cgroup top = null;
            double peak = -1;
            for (Cgroup c : members) {
                double p = nz(d.find("cgroup", c.path(), "epc.current").map(Series::max).orElse(0.0));
                if (p > peak) {
                    peak = p;
                    top = c;
                }
            }
            return "No cgroup has an sgx_epc limit; " + top.path() + " used the most EPC (peak " + Fmt.bytes(peak) + ").";
        }
        List<String> hit = new ArrayList<>();
        List<String> spared = new ArrayList<>();
        List<Cgroup> byHit = new ArrayList<>(members);
        byHit.sort(Comparator.comparingDouble(c -> Double.isNaN(hitTime(d, c)) ? Double.MAX_VALUE : hitTime(d, c)));
        for (Cgroup c : byHit) {
            double t = hitTime(d, c);
            double peak = nz(d.find("cgroup", c.path(), "epc.current").map(Series::max).orElse(0.0));
            double ewb = writtenBack(d, c.path());
            if (!Double.isNaN(t)) {
                hit.add(c.path() + " hit its limit at " + Fmt.at(t));
                continue;
            }
            Long limit = c.limits().stream().filter(l -> l.epcMaxBytes() != null).map(Limit::epcMaxBytes)
                    .min(Long::compare).orElse(null);
            String of = limit == null ? "" : " of its " + Fmt.bytes(limit) + " limit";
            if (Double.isNaN(ewb)) {
                spared.add(c.path() + (limit == null ? " has no limit" : " stayed below its limit") + " (peak "
                        + Fmt.bytes(peak) + (limit == null ? "" : " of " + Fmt.bytes(limit)) + ")");
            } else if (Math.round(ewb) == 0) {
                spared.add(c.path() + "'s EPC was untouched (peak " + Fmt.bytes(peak) + of + ", no page written back)");
            } else if (limit == null) {
                spared.add(c.path() + " has no limit but lost " + Fmt.count(Math.round(ewb)) + " pages to host-wide reclaim");
            } else {
                spared.add(c.path() + " never reached its limit but lost " + Fmt.count(Math.round(ewb))
                        + " pages to host-wide reclaim");
            }
        }
        List<String> parts = new ArrayList<>();
        if (hit.isEmpty()) {
            parts.add("No cgroup reached its sgx_epc limit");
        } else {
            parts.add(join(hit, 3, "cgroups hit their limits"));
        }
        if (!spared.isEmpty()) {
            parts.add(join(spared, hit.isEmpty() ? 3 : 2, "cgroups stayed below theirs"));
        }
        return String.join("; ", parts) + ".";
    }

    /** The first {@code n} clauses joined with commas and "and", then "and K more WHAT". */
    static String join(List<String> clauses, int n, String what) {
        List<String> shown = clauses.size() <= n + 1 ? clauses : clauses.subList(0, n);
        String s = shown.size() == 1 ? shown.get(0)
                : String.join(", ", shown.subList(0, shown.size() - 1)) + " and " + shown.get(shown.size() - 1);
        if (shown.size() < clauses.size()) {
            s = String.join(", ", shown) + " and " + (clauses.size() - shown.size()) + " more " + what;
        }
        return s;
    }

    private static double nz(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    // ---- rates --------------------------------------------------------------------------------

    /** A time chart of rate series, solid or dashed, each in its owner's colour. */
    private static LineChart rateChart(ScenarioData d, String id, String title, Axis time, List<Series> solid,
                                       List<Series> dashed, String solidName, String dashedName, String unit, String what) {
        return rateChart(d, id, title, time, solid, dashed, solidName, dashedName, unit, what, Double.NaN);
    }

    /** As above, with the value axis ending at (a nice value above) {@code yMax}, or at the highest value when NaN. */
    private static LineChart rateChart(ScenarioData d, String id, String title, Axis time, List<Series> solid,
                                       List<Series> dashed, String solidName, String dashedName, String unit, String what,
                                       double yMax) {
        double max = 0;
        for (Series s : solid) {
            max = Math.max(max, nz(s.max()));
        }
        for (Series s : dashed) {
            max = Math.max(max, nz(s.max()));
        }
        if (!Double.isNaN(yMax)) {
            max = yMax;
        }
        LineChart c = new LineChart(id, title, time, Axis.values(max, unit, what));
        for (Series s : solid) {
            c.line(s.key(), colorOf(d, s), false, s.t(), s.values(), "");
            c.legend(nameOf(s) + " " + solidName, colorOf(d, s), LineChart.Mark.LINE);
        }
        for (Series s : dashed) {
            c.line(s.key(), colorOf(d, s), true, s.t(), s.values(), "");
            c.legend(nameOf(s) + " " + dashedName, colorOf(d, s), LineChart.Mark.DASHED);
        }
        return c;
    }

    /** The series of a metric: per non-root cgroup if any has it, else per enclave, else the host's. */
    private static List<Series> owners(ScenarioData d, String metric, boolean enclavesFirst) {
        List<Series> cg = cgroupSeries(d, d.cgroups(), metric).stream().filter(Series::anyValue).toList();
        List<Series> en = enclaveSeries(d, metric).stream().filter(Series::anyValue).toList();
        List<Series> first = enclavesFirst ? en : cg;
        List<Series> second = enclavesFirst ? cg : en;
        if (!first.isEmpty()) {
            return first;
        }
        if (!second.isEmpty()) {
            return second;
        }
        return d.find("host", "host", metric).filter(Series::anyValue).stream().toList();
    }

    private static Optional<Chart> reclaim(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Series> ewb = owners(d, "ewb.rate", false);
        List<Series> eldu = owners(d, "eldu.rate", false);
        if (ewb.isEmpty() && eldu.isEmpty()) {
            return Optional.empty();
        }
        LineChart c = rateChart(d, "reclaim", "EPC reclaim: pages written back (EWB) and loaded back (ELDU)", time, ewb,
                eldu, "EWB", "ELDU", "pages/s", "rate");
        addMarkers(c, markers);
        String caption = reclaimFinding(d, ewb, eldu);
        c.caption(caption);
        return chart("reclaim", caption, c.html());
    }

    /**
     * A run's total: the scalar metric when data.json has it, else the integral of the host's rate
     * series, else the sum of the charted series' integrals.
     */
    private static double total(ScenarioData d, String metric, String rate, List<Series> charted) {
        ScenarioData.Metric m = d.metrics().get(metric);
        if (m != null && m.value() != null) {
            return m.value();
        }
        return d.find("host", "host", rate).map(Series::integral).orElse(charted.stream().mapToDouble(Series::integral).sum());
    }

    static String reclaimFinding(ScenarioData d, List<Series> ewb, List<Series> eldu) {
        double out = total(d, "host.ewbPages", "ewb.rate", ewb);
        double in = total(d, "host.elduPages", "eldu.rate", eldu);
        long outPages = Math.round(out);
        long inPages = Math.round(in);
        if (outPages == 0 && inPages == 0) {
            return "No EPC page was written back (EWB) or loaded back (ELDU): every page stayed in the EPC.";
        }
        Series peakSeries = null;
        for (Series s : ewb) {
            if (peakSeries == null || nz(s.max()) > nz(peakSeries.max())) {
                peakSeries = s;
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(Fmt.count(outPages)).append(outPages == 1 ? " page was" : " pages were").append(" written back (EWB, ")
                .append(Fmt.bytes(outPages * (double) PAGE)).append(") and ").append(Fmt.count(inPages))
                .append(" loaded back (ELDU)");
        if (peakSeries != null && peakSeries.argMax() >= 0 && peakSeries.max() > 0) {
            b.append("; EWB peaked at ").append(Fmt.count(Math.round(peakSeries.max()))).append(" pages/s at ")
                    .append(Fmt.at(peakSeries.t()[peakSeries.argMax()]));
        }
        if (ewb.size() > 1 && !ewb.get(0).scope().equals("host")) {
            double sum = ewb.stream().mapToDouble(Series::integral).sum();
            Series top = ewb.stream().max(Comparator.comparingDouble(Series::integral)).get();
            if (sum > 0) {
                b.append(", ").append(Fmt.percent(top.integral() / sum)).append(" of the write-backs in ").append(nameOf(top));
            }
        }
        return b.append('.').toString();
    }

    private static Optional<Chart> faults(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Series> f = owners(d, "faults.rate", true);
        if (f.isEmpty()) {
            return Optional.empty();
        }
        LineChart c = rateChart(d, "faults", "Page faults", time, f, List.of(), "faults", "", "1/s", "faults per second");
        addMarkers(c, markers);
        double total = f.stream().mapToDouble(Series::integral).sum();
        String caption;
        if (Math.round(total) == 0) {
            caption = "No page fault was taken.";
        } else {
            Series top = f.stream().max(Comparator.comparingDouble(Series::integral)).get();
            String peak = "peaking at " + Fmt.count(Math.round(top.max())) + "/s at " + Fmt.at(top.t()[top.argMax()]);
            caption = f.size() == 1
                    ? nameOf(top) + " took " + Fmt.count(Math.round(total)) + " page faults, " + peak + "."
                    : nameOf(top) + " took " + Fmt.percent(top.integral() / total) + " of the " + Fmt.count(Math.round(total))
                    + " page faults, " + peak + ".";
        }
        c.caption(caption);
        return chart("faults", caption, c.html());
    }

    private static Optional<Chart> edmm(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Series> aug = enclaveSeries(d, "eaug.rate").stream().filter(Series::anyNonZero).toList();
        List<Series> trim = enclaveSeries(d, "trim.rate").stream().filter(Series::anyNonZero).toList();
        if (aug.isEmpty() && trim.isEmpty()) {
            return Optional.empty();
        }
        LineChart c = rateChart(d, "edmm", "EDMM: pages added (EAUG) and trimmed at run time", time, aug, trim, "EAUG",
                "trim", "pages/s", "rate");
        addMarkers(c, markers);
        List<String> parts = new ArrayList<>();
        for (Enclave e : d.enclaves()) {
            double a = d.find("enclave", e.name(), "eaug.rate").map(Series::integral).orElse(0.0);
            double t = d.find("enclave", e.name(), "trim.rate").map(Series::integral).orElse(0.0);
            if (Math.round(a) > 0 || Math.round(t) > 0) {
                parts.add(e.name() + " added " + Fmt.count(Math.round(a)) + " pages (" + Fmt.bytes(Math.round(a) * (double) PAGE)
                        + ") and trimmed " + Fmt.count(Math.round(t)));
            }
        }
        String caption = parts.isEmpty() ? "Fewer than one page was added or trimmed at run time."
                : join(parts, 3, "enclaves added pages") + " at run time.";
        c.caption(caption);
        return chart("edmm", caption, c.html());
    }

    // ---- enclaves -----------------------------------------------------------------------------

    static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static Optional<Chart> startup(ScenarioData d) {
        if (d.enclaves().isEmpty()) {
            return Optional.empty();
        }
        double max = 0;
        for (Enclave e : d.enclaves()) {
            if (e.startupS() != null) {
                max = Math.max(max, e.startupS());
            }
        }
        Axis x = Axis.values(max, "s", "start-up, from ECREATE to the program's first instruction");
        BarChart c = new BarChart("startup", "Start-up per enclave", x);
        boolean anyEdmm = false;
        boolean anyLegacy = false;
        boolean anyUnknown = false;
        for (Enclave e : d.enclaves()) {
            String color = e.edmm() == null ? "#8C959F" : e.edmm() ? Page.color(2) : Page.color(0);
            anyEdmm |= Boolean.TRUE.equals(e.edmm());
            anyLegacy |= Boolean.FALSE.equals(e.edmm());
            anyUnknown |= e.edmm() == null;
            c.bar(e.name(), e.name(), e.startupS() == null ? Double.NaN : e.startupS(), color,
                    e.startupS() == null ? "never started (" + e.outcome() + ")" : Fmt.seconds(e.startupS()));
        }
        if (anyEdmm) {
            c.legend("EDMM", Page.color(2));
        }
        if (anyLegacy) {
            c.legend("no EDMM", Page.color(0));
        }
        if (anyUnknown) {
            c.legend("EDMM unknown", "#8C959F");
        }
        String caption = startupFinding(d.enclaves());
        c.caption(caption);
        return chart("startup", caption, c.html());
    }

    static String startupFinding(List<Enclave> enclaves) {
        List<Enclave> started = enclaves.stream().filter(e -> e.startupS() != null).toList();
        List<String> never = enclaves.stream().filter(e -> e.startupS() == null).map(Enclave::name).toList();
        String tail = never.isEmpty() ? "" : "; " + join(never, 3, "enclaves") + " never started";
        if (started.isEmpty()) {
            return "No enclave started" + (never.isEmpty() ? "" : ": " + join(never, 3, "enclaves") + " never did") + ".";
        }
        List<Enclave> edmm = started.stream().filter(e -> Boolean.TRUE.equals(e.edmm())).toList();
        List<Enclave> legacy = started.stream().filter(e -> Boolean.FALSE.equals(e.edmm())).toList();
        if (!edmm.isEmpty() && !legacy.isEmpty()) {
            double me = median(edmm.stream().map(Enclave::startupS).toList());
            double ml = median(legacy.stream().map(Enclave::startupS).toList());
            String how = me <= ml ? Fmt.ratio(ml / me) + " faster" : Fmt.ratio(me / ml) + " slower";
            if (edmm.size() == 1 && legacy.size() == 1) {
                return edmm.get(0).name() + " started " + how + " with EDMM than " + legacy.get(0).name() + " without ("
                        + Fmt.seconds(me) + " vs " + Fmt.seconds(ml) + ")" + tail + ".";
            }
            return "EDMM enclaves started " + how + " than non-EDMM ones (median " + Fmt.seconds(me) + " vs "
                    + Fmt.seconds(ml) + ")" + tail + ".";
        }
        if (started.size() == 1) {
            return started.get(0).name() + " started in " + Fmt.seconds(started.get(0).startupS()) + tail + ".";
        }
        Enclave fast = started.stream().min(Comparator.comparingDouble(Enclave::startupS)).get();
        Enclave slow = started.stream().max(Comparator.comparingDouble(Enclave::startupS)).get();
        if (Fmt.seconds(slow.startupS()).equals(Fmt.seconds(fast.startupS()))) {
            return "Every enclave that started took " + Fmt.seconds(fast.startupS()) + tail + ".";
        }
        if (slow.startupS() < 1.1 * fast.startupS()) {
            return "Start-up was within 10% for every enclave: from " + Fmt.seconds(fast.startupS()) + " (" + fast.name()
                    + ") to " + Fmt.seconds(slow.startupS()) + " (" + slow.name() + ")" + tail + ".";
        }
        return fast.name() + " started fastest (" + Fmt.seconds(fast.startupS()) + "), " + slow.name() + " slowest ("
                + Fmt.seconds(slow.startupS()) + ", " + Fmt.ratio(slow.startupS() / fast.startupS()) + " longer)" + tail + ".";
    }

    private static Optional<Chart> latency(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Series> lat = enclaveSeries(d, "latency").stream().filter(Series::anyValue).toList();
        if (lat.isEmpty()) {
            return Optional.empty();
        }
        // A lone spike would flatten every other line: when the highest sample is more than 4x the
        // 98th percentile of all samples, the axis ends above that percentile and the legend names the peak.
        List<Double> all = new ArrayList<>();
        Series peakOwner = lat.get(0);
        for (Series s : lat) {
            nonNull(s).forEach(all::add);
            if (s.max() > peakOwner.max()) {
                peakOwner = s;
            }
        }
        all.sort(Double::compare);
        double p98 = all.get((int) Math.floor(0.98 * (all.size() - 1)));
        boolean clip = p98 > 0 && all.get(all.size() - 1) > 4 * p98;
        LineChart c = rateChart(d, "latency", "Operation latency per enclave", time, lat, List.of(), "latency", "", "s",
                "mean latency per operation", clip ? 1.25 * p98 : Double.NaN);
        if (clip) {
            c.legend("clipped: " + peakOwner.id() + " peaked at " + Fmt.seconds(peakOwner.max()) + " at "
                    + Fmt.at(peakOwner.t()[peakOwner.argMax()]), "#6E7781", LineChart.Mark.NOTE);
        }
        addMarkers(c, markers);
        String caption = latencyFinding(lat);
        c.caption(caption);
        return chart("latency", caption, c.html());
    }

    private static List<Double> nonNull(Series s) {
        List<Double> v = new ArrayList<>();
        for (double x : s.values()) {
            if (!Double.isNaN(x)) {
                v.add(x);
            }
        }
        return v;
    }

    /** A series' baseline: the 10th percentile (nearest rank) of its non-null samples, its quietest tenth. */
    static double baseline(Series s) {
        List<Double> v = nonNull(s);
        v.sort(Double::compare);
        return v.isEmpty() ? Double.NaN : v.get((int) Math.floor(0.1 * (v.size() - 1)));
    }

    /** The first sample after the peak from which every sample stays within {@code factor} of the baseline; NaN if none. */
    static double backFrom(Series s, double factor) {
        double limit = factor * baseline(s);
        double back = Double.NaN;
        for (int i = s.argMax() + 1; i < s.t().length; i++) {
            double v = s.values()[i];
            if (Double.isNaN(v)) {
                continue;
            }
            if (v > limit) {
                back = Double.NaN;
            } else if (Double.isNaN(back)) {
                back = s.t()[i];
            }
        }
        return back;
    }

    static String latencyFinding(List<Series> lat) {
        List<Series> rising = new ArrayList<>();
        List<String> calm = new ArrayList<>();
        Series highest = null;
        for (Series s : lat) {
            double r = s.max() / baseline(s);
            if (highest == null || r > highest.max() / baseline(highest)) {
                highest = s;
            }
            if (r >= 1.5) {
                rising.add(s);
            } else {
                calm.add(s.id());
            }
        }
        if (rising.isEmpty()) {
            double r = highest.max() / baseline(highest);
            return Double.isNaN(r) ? "Latency was 0 in every sample."
                    : "Latency stayed flat: every enclave's peak was within 1.5× of its baseline (highest: " + highest.id()
                    + ", " + Fmt.ratio(r) + ").";
        }
        rising.sort(Comparator.comparingDouble((Series s) -> s.max() / baseline(s)).reversed());
        List<String> clauses = new ArrayList<>();
        for (Series s : rising) {
            double back = backFrom(s, 1.5);
            clauses.add(s.id() + "'s latency peaked at " + Fmt.seconds(s.max()) + " at " + Fmt.at(s.t()[s.argMax()]) + ", "
                    + Fmt.ratio(s.max() / baseline(s)) + " its baseline of " + Fmt.seconds(baseline(s))
                    + (Double.isNaN(back) ? "" : ", and was back within 1.5× of it from " + Fmt.at(back)));
        }
        StringBuilder b = new StringBuilder(clauses.size() <= 3 ? String.join("; ", clauses)
                : String.join("; ", clauses.subList(0, 2)) + "; " + (clauses.size() - 2) + " more enclaves rose above 1.5×");
        if (!calm.isEmpty()) {
            b.append("; ").append(join(calm, 3, "enclaves")).append(" stayed within 1.5× of ")
                    .append(calm.size() == 1 ? "its own" : "their own");
        }
        return b.append('.').toString();
    }

    private static Optional<Chart> progress(ScenarioData d, Axis time, List<LineChart.Marker> markers) {
        List<Series> p = enclaveSeries(d, "progress").stream().filter(Series::anyValue).toList();
        if (p.isEmpty()) {
            return Optional.empty();
        }
        LineChart c = rateChart(d, "progress", "Progress per enclave", time, p, List.of(), "operations", "",
                "operations", "operations completed");
        addMarkers(c, markers);
        List<Series> sorted = new ArrayList<>(p);
        sorted.sort(Comparator.comparingDouble((Series s) -> nz(s.max())).reversed());
        Series top = sorted.get(0);
        String caption;
        if (nz(top.max()) == 0) {
            caption = "No enclave completed an operation.";
        } else if (sorted.size() == 1) {
            caption = top.id() + " completed " + Fmt.count(Math.round(top.max())) + " operations.";
        } else if (nz(top.max()) == nz(sorted.get(sorted.size() - 1).max())) {
            caption = "Every enclave completed " + Fmt.count(Math.round(top.max())) + " operations.";
        } else {
            Series last = sorted.get(sorted.size() - 1);
            double ratio = nz(top.max()) / nz(last.max());
            caption = top.id() + " completed the most operations (" + Fmt.count(Math.round(top.max())) + "), "
                    + last.id() + " the fewest (" + Fmt.count(Math.round(nz(last.max())))
                    + (Double.isFinite(ratio) ? ", " + Fmt.ratio(ratio) + " fewer" : "") + ").";
        }
        c.caption(caption);
        return chart("progress", caption, c.html());
    }

    private static String outcomeClass(Enclave e) {
        return switch (e.outcome()) {
            case "exited" -> e.exitStatus() == null || e.exitStatus() == 0 ? "o-ok" : "o-bad";
            case "killed" -> "o-warn";
            case "running" -> "o-run";
            default -> "o-bad";
        };
    }

    private static void enclaveTable(StringBuilder b, ScenarioData d) {
        b.append("<h3>Enclaves and their outcomes</h3>\n");
        if (d.enclaves().isEmpty()) {
            b.append("<p class=\"note\" id=\"no-enclaves\">This scenario has no enclaves.</p>\n");
            return;
        }
        b.append("<div class=\"table-wrap\"><table id=\"enclave-table\"><thead><tr><th>Enclave</th><th>Cgroup</th>"
                + "<th>EDMM</th><th>Starts at</th><th>Start-up</th><th>Outcome</th><th>Runs</th><th>Operations</th>"
                + "<th>Latency p50</th><th>Latency p99</th><th>Detail</th></tr></thead><tbody>\n");
        for (Enclave e : d.enclaves()) {
            b.append("<tr data-enclave=\"").append(Fmt.html(e.name())).append("\"><td>").append(Fmt.html(e.name()))
                    .append("</td><td>").append(Fmt.html(e.cgroup() == null ? "–" : e.cgroup())).append("</td><td>")
                    .append(e.edmm() == null ? "–" : e.edmm() ? "yes" : "no").append("</td><td class=\"num\">")
                    .append(Fmt.at(e.startS())).append("</td><td class=\"num\">")
                    .append(e.startupS() == null ? "–" : Fmt.seconds(e.startupS())).append("</td><td><span class=\"outcome ")
                    .append(outcomeClass(e)).append("\">").append(Fmt.html(e.outcome()))
                    .append(e.exitStatus() == null ? "" : " (" + e.exitStatus() + ")").append("</span></td><td class=\"num\">")
                    .append(e.runs() == null ? "–" : Fmt.count(e.runs())).append("</td><td class=\"num\">")
                    .append(e.operations() == null ? "–" : Fmt.count(e.operations())).append("</td><td class=\"num\">")
                    .append(e.latencyS() == null || e.latencyS().p50() == null ? "–" : Fmt.seconds(e.latencyS().p50()))
                    .append("</td><td class=\"num\">")
                    .append(e.latencyS() == null || e.latencyS().p99() == null ? "–" : Fmt.seconds(e.latencyS().p99()))
                    .append("</td><td>").append(Fmt.html(e.detail() == null ? "" : e.detail())).append("</td></tr>\n");
        }
        b.append("</tbody></table></div>\n");
    }

    private static void timeline(StringBuilder b, ScenarioData d) {
        b.append("<section id=\"timeline\"><h2>Timeline</h2>\n");
        List<Event> events = orderedEvents(d);
        if (events.isEmpty()) {
            b.append("<p class=\"note\">No events were recorded.</p></section>\n");
            return;
        }
        b.append("<div class=\"table-wrap\"><table id=\"event-table\"><thead><tr><th>#</th><th>Time</th><th>Event</th>"
                + "<th>Target</th><th>Detail</th></tr></thead><tbody>\n");
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            b.append("<tr><td class=\"num\">").append(i + 1).append("</td><td class=\"num\">").append(Fmt.at(e.tS()))
                    .append("</td><td><span class=\"sw event\" style=\"--c:").append(eventColor(e.kind()))
                    .append("\"></span>").append(Fmt.html(e.kind())).append("</td><td>").append(Fmt.html(e.target()))
                    .append("</td><td>").append(Fmt.html(e.detail())).append("</td></tr>\n");
        }
        b.append("</tbody></table></div></section>\n");
    }

    private static void metrics(StringBuilder b, ScenarioData d) {
        if (d.metrics().isEmpty()) {
            return;
        }
        b.append("<section id=\"metrics\"><h2>Metrics</h2>\n<div class=\"table-wrap\"><table id=\"metric-table\"><thead>"
                + "<tr><th>Metric</th><th>Value</th><th>Unit</th></tr></thead><tbody>\n");
        for (Map.Entry<String, ScenarioData.Metric> m : d.metrics().entrySet()) {
            Double v = m.getValue().value();
            b.append("<tr><td>").append(Fmt.html(m.getKey())).append("</td><td class=\"num\">")
                    .append(v == null ? "–" : Fmt.html(Fmt.value(v, m.getValue().unit()))).append("</td><td>")
                    .append(Fmt.html(m.getValue().unit())).append("</td></tr>\n");
        }
        b.append("</tbody></table></div></section>\n");
    }
}
