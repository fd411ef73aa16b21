package io.jocclum.cli.report;

import io.jocclum.cli.report.ScenarioData.Metric;
import io.jocclum.cli.report.SweepData.Point;
import io.jocclum.cli.report.SweepData.Vary;
import io.jocclum.libos.config.Sizes;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The report of a parameter sweep: DIR/sweep.json in, DIR/index.html out. Each metric that differs
 * between points gets a chart against the first varied parameter (its values evenly spaced in the
 * order given), one line per combination of the other parameters' values, and a caption naming
 * where it changes most; metrics that are the same at every point are listed once. A table links
 * each point's own report.
 *
 * <p>Reading a chart back: as on {@link LineChart}, with x = the index of the first parameter's
 * value (0, 1, …); each point is also a {@code <circle class="point" data-point="DIR" data-x="…"
 * data-v="…">} at the mapped position.
 */
public final class SweepReport {
    private SweepReport() {
    }

    /** Reads DIR/sweep.json and writes DIR/index.html (self-contained). */
    public static void write(Path sweepDir) throws IOException {
        SweepData d = SweepData.read(sweepDir.resolve("sweep.json"));
        Page.write(sweepDir.resolve("index.html"), render(d));
    }

    /** One line of a chart: the values of the other parameters, and the point at each x index (null if none). */
    record Line(String label, Point[] points) {
    }

    static List<Line> lines(SweepData d) {
        Vary x = d.vary().get(0);
        Map<String, Point[]> byGroup = new LinkedHashMap<>();
        for (String g : groups(d)) {
            byGroup.put(g, new Point[x.values().size()]);
        }
        for (Point p : d.points()) {
            Point[] row = byGroup.get(groupOf(d, p));
            int i = x.values().indexOf(p.params().get(x.path()));
            if (row[i] == null) {
                row[i] = p;
            }
        }
        List<Line> out = new ArrayList<>();
        byGroup.forEach((g, pts) -> out.add(new Line(g, pts)));
        return out;
    }

    /** Every combination of the second and later parameters' values, in the given order ("" if one parameter). */
    private static List<String> groups(SweepData d) {
        List<String> gs = new ArrayList<>(List.of(""));
        for (Vary v : d.vary().subList(1, d.vary().size())) {
            List<String> next = new ArrayList<>();
            for (String g : gs) {
                for (String value : v.values()) {
                    next.add((g.isEmpty() ? "" : g + ", ") + v.path() + "=" + value);
                }
            }
            gs = next;
        }
        return gs;
    }

    private static String groupOf(SweepData d, Point p) {
        StringBuilder b = new StringBuilder();
        for (Vary v : d.vary().subList(1, d.vary().size())) {
            b.append(b.isEmpty() ? "" : ", ").append(v.path()).append('=').append(p.params().get(v.path()));
        }
        return b.toString();
    }

    static double value(Point p, String metric) {
        if (p == null) {
            return Double.NaN;
        }
        Metric m = p.metrics().get(metric);
        return m == null || m.value() == null ? Double.NaN : m.value();
    }

    private static String unitOf(SweepData d, String metric) {
        for (Point p : d.points()) {
            Metric m = p.metrics().get(metric);
            if (m != null) {
                return m.unit();
            }
        }
        return "";
    }

    /** True when every point has the same value (or none) for the metric. */
    static boolean constant(SweepData d, String metric) {
        Double first = null;
        for (Point p : d.points()) {
            double v = value(p, metric);
            if (Double.isNaN(v)) {
                continue;
            }
            if (first == null) {
                first = v;
            } else if (first != v) {
                return false;
            }
        }
        return true;
    }

    static String render(SweepData d) {
        Set<String> metrics = new LinkedHashSet<>();
        d.points().forEach(p -> metrics.addAll(p.metrics().keySet()));
        List<Line> lines = lines(d);
        Vary x = d.vary().get(0);
        StringBuilder charts = new StringBuilder();
        StringBuilder findings = new StringBuilder();
        List<String> unchanged = new ArrayList<>();
        int n = 0;
        for (String metric : metrics) {
            if (constant(d, metric)) {
                unchanged.add(metric);
                continue;
            }
            String id = "metric-" + (n++);
            String unit = unitOf(d, metric);
            String caption = finding(metric, unit, x, lines);
            charts.append(chart(id, metric, unit, x, lines, caption));
            findings.append("<li>").append(Fmt.html(caption)).append(" <a class=\"jump\" href=\"#").append(id)
                    .append("\">chart</a></li>");
        }
        StringBuilder b = new StringBuilder();
        b.append("<!-- Charts are inline SVG: x = the index of the first varied parameter's value; see data-x0/x1, data-y0/y1"
                + " and data-left/top/width/height on each <g class=\"plot\">: px = left + (x - x0) / (x1 - x0) * width,"
                + " py = top + height - (v - y0) / (y1 - y0) * height, rounded to 0.01. -->\n");
        b.append("<header><h1>").append(Fmt.html(d.name())).append("</h1><dl class=\"facts\">");
        b.append(Page.fact("Points", Integer.toString(d.points().size())));
        for (Vary v : d.vary()) {
            b.append(Page.fact("Varied: " + v.path(), String.join(", ", v.values())));
        }
        b.append("</dl></header>\n");
        b.append("<section id=\"findings\"><h2>Key findings</h2><ul class=\"findings\">")
                .append(findings.isEmpty() ? "<li>Every metric had the same value at every point.</li>" : findings.toString())
                .append("</ul></section>\n");
        if (!charts.isEmpty()) {
            b.append("<section id=\"charts\"><h2>Metrics against ").append(Fmt.html(x.path())).append("</h2>\n")
                    .append(charts).append("</section>\n");
        }
        if (!unchanged.isEmpty()) {
            b.append("<section id=\"unchanged\"><h2>The same at every point</h2><div class=\"table-wrap\"><table>"
                    + "<thead><tr><th>Metric</th><th>Value</th></tr></thead><tbody>\n");
            for (String m : unchanged) {
                double v = Double.NaN;
                for (Point p : d.points()) {
                    if (!Double.isNaN(value(p, m))) {
                        v = value(p, m);
                        break;
                    }
                }
                b.append("<tr><td>").append(Fmt.html(m)).append("</td><td class=\"num\">")
                        .append(Fmt.html(Fmt.value(v, unitOf(d, m)))).append("</td></tr>\n");
            }
            b.append("</tbody></table></div></section>\n");
        }
        pointTable(b, d, metrics);
        b.append("<footer>Written by jocclum from sweep.json (").append(SweepData.SCHEMA).append(").</footer>\n");
        return Page.document("jocclum sweep: " + d.name(), b.toString());
    }

    /** The y axis title of a metric: its last name part, e.g. "throughputOpsPerS". */
    private static String what(String metric) {
        int dot = metric.lastIndexOf('.');
        return dot < 0 ? metric : metric.substring(dot + 1);
    }

    private static String chart(String id, String metric, String unit, Vary x, List<Line> lines, String caption) {
        int n = x.values().size();
        List<Double> ticks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ticks.add((double) i);
        }
        boolean sizes = x.values().stream().allMatch(SweepReport::isSize);
        Axis xa = new Axis(-0.5, n - 0.5, ticks, v -> x.values().get((int) Math.round(v)),
                x.path() + (sizes ? " (bytes)" : ""));
        double max = 0;
        for (Line l : lines) {
            for (Point p : l.points()) {
                double v = value(p, metric);
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        LineChart c = new LineChart(id, metric, xa, Axis.values(max, unit, what(metric)));
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
        }
        for (int k = 0; k < lines.size(); k++) {
            Line l = lines.get(k);
            double[] vs = new double[n];
            String[] names = new String[n];
            for (int i = 0; i < n; i++) {
                vs[i] = value(l.points()[i], metric);
                names[i] = l.points()[i] == null ? "" : l.points()[i].dir();
            }
            String key = "sweep:" + metric + ":" + l.label();
            c.line(key, Page.color(k), false, xs, vs, "");
            c.dots(key, Page.color(k), xs, vs, names);
            c.legend(l.label().isEmpty() ? metric : l.label(), Page.color(k), LineChart.Mark.DOT);
        }
        c.caption(caption);
        return c.html();
    }

    static boolean isSize(String s) {
        try {
            Sizes.parse(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Where the metric changes most, in one sentence: along the first parameter on the line that
     * changes most; when no line changes along it, between the lines.
     */
    static String finding(String metric, String unit, Vary x, List<Line> lines) {
        String best = null;
        double bestScore = 1;
        String lowest = null;
        String highest = null;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Line l : lines) {
            double[] v = new double[l.points().length];
            for (int i = 0; i < v.length; i++) {
                v[i] = value(l.points()[i], metric);
                if (!Double.isNaN(v[i]) && v[i] < lo) {
                    lo = v[i];
                    lowest = l.label();
                }
                if (!Double.isNaN(v[i]) && v[i] > hi) {
                    hi = v[i];
                    highest = l.label();
                }
            }
            String s = lineFinding(metric, unit, x.path(), x.values(), v);
            double score = spread(v);
            if (s != null && score > bestScore) {
                bestScore = score;
                best = (l.label().isEmpty() ? "" : "with " + l.label() + ", ") + s
                        + (lines.size() > 1 ? " (the line that changes most)" : "");
            }
        }
        if (best == null && lowest != null && hi > lo && lines.size() > 1) {
            return metric + " does not change with " + x.path() + "; it is " + Fmt.ratio(ratio(lo, hi)) + " higher with "
                    + highest + " than with " + lowest + " (" + Fmt.value(hi, unit) + " vs " + Fmt.value(lo, unit) + ").";
        }
        if (best == null) {
            return metric + " has fewer than two different values to compare.";
        }
        return best + ".";
    }

    /** max/min of the line's values (infinite when the minimum is 0 and the maximum is not). */
    private static double spread(double[] v) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            if (!Double.isNaN(x)) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
        }
        return hi <= lo ? 1 : lo <= 0 ? Double.MAX_VALUE : hi / lo;
    }

    private static double ratio(double a, double b) {
        double hi = Math.max(a, b);
        double lo = Math.min(a, b);
        return hi == lo ? 1 : lo <= 0 ? Double.POSITIVE_INFINITY : hi / lo;
    }

    private static boolean flat(double[] v, int from, int to, double ref) {
        for (int i = from; i <= to; i++) {
            if (!Double.isNaN(v[i]) && Math.abs(v[i] - ref) > 0.1 * Math.abs(ref)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The finding of one line (values at the x labels, NaN where missing), without the final
     * period; null if it has fewer than two values. In order of preference: the line is the same
     * everywhere; it varies by less than 10%; it has a plateau (two or more values within 10% of
     * the value at one end) and changes beyond it ("is flat from 40MB up and falls off below it");
     * else its overall change and its largest step between neighbouring values.
     */
    static String lineFinding(String metric, String unit, String param, List<String> xs, double[] v) {
        List<Integer> idx = new ArrayList<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            if (!Double.isNaN(v[i])) {
                idx.add(i);
                lo = Math.min(lo, v[i]);
                hi = Math.max(hi, v[i]);
            }
        }
        if (idx.size() < 2) {
            return null;
        }
        int first = idx.get(0);
        int last = idx.get(idx.size() - 1);
        if (hi == lo) {
            return metric + " is " + Fmt.value(v[first], unit) + " at every value of " + param;
        }
        if (lo > 0 && hi <= 1.1 * lo) {
            return metric + " varies by less than 10% over " + param + " (" + Fmt.value(v[first], unit) + " at " + xs.get(first)
                    + ", " + Fmt.value(v[last], unit) + " at " + xs.get(last) + ")";
        }
        int p = idx.size() - 1;
        while (p > 0 && flat(v, idx.get(p - 1), last, v[last])) {
            p--;
        }
        if (p >= 1 && p <= idx.size() - 2) {
            return plateau(metric, unit, "from " + xs.get(idx.get(p)) + " up", "below it", v[last], xs.get(last), v[first],
                    xs.get(first));
        }
        int q = 0;
        while (q < idx.size() - 1 && flat(v, first, idx.get(q + 1), v[first])) {
            q++;
        }
        if (q >= 1 && q <= idx.size() - 2) {
            return plateau(metric, unit, "up to " + xs.get(idx.get(q)), "above it", v[first], xs.get(first), v[last],
                    xs.get(last));
        }
        int bi = -1;
        int bj = -1;
        double br = 0;
        for (int k = 0; k + 1 < idx.size(); k++) {
            double r = ratio(v[idx.get(k)], v[idx.get(k + 1)]);
            if (r > br) {
                br = r;
                bi = idx.get(k);
                bj = idx.get(k + 1);
            }
        }
        double total = ratio(v[first], v[last]);
        String dir = v[last] > v[first] ? " higher" : v[last] < v[first] ? " lower" : "";
        return metric + " is " + (dir.isEmpty() ? "the same" : Fmt.ratio(total) + dir) + " at " + xs.get(last) + " than at "
                + xs.get(first) + " (" + Fmt.value(v[first], unit) + " → " + Fmt.value(v[last], unit)
                + "); the largest step, " + Fmt.ratio(br) + ", is between " + xs.get(bi) + " and " + xs.get(bj);
    }

    /** "M is flat WHERE and falls off/rises BEYOND: R× lower/higher at FARX than at REFX (FAR vs REF)". */
    private static String plateau(String metric, String unit, String where, String beyond, double ref, String refX, double far,
                                  String farX) {
        if (ref == 0) {
            return metric + " is 0 " + where + " and rises " + beyond + ", to " + Fmt.value(far, unit) + " at " + farX;
        }
        boolean lower = far < ref;
        return metric + " is flat " + where + " and " + (lower ? "falls off " : "rises ") + beyond + ": "
                + Fmt.ratio(ratio(far, ref)) + (lower ? " lower" : " higher") + " at " + farX + " than at " + refX + " ("
                + Fmt.value(far, unit) + " vs " + Fmt.value(ref, unit) + ")";
    }

    private static void pointTable(StringBuilder b, SweepData d, Set<String> metrics) {
        b.append("<section id=\"points\"><h2>Points</h2><div class=\"table-wrap\"><table id=\"point-table\"><thead><tr>"
                + "<th>#</th>");
        for (Vary v : d.vary()) {
            b.append("<th>").append(Fmt.html(v.path())).append("</th>");
        }
        for (String m : metrics) {
            b.append("<th>").append(Fmt.html(m)).append("</th>");
        }
        b.append("<th>Report</th></tr></thead><tbody>\n");
        for (int i = 0; i < d.points().size(); i++) {
            Point p = d.points().get(i);
            b.append("<tr data-point=\"").append(Fmt.html(p.dir())).append("\"><td class=\"num\">").append(i + 1).append("</td>");
            for (Vary v : d.vary()) {
                b.append("<td>").append(Fmt.html(p.params().get(v.path()))).append("</td>");
            }
            for (String m : metrics) {
                Metric mm = p.metrics().get(m);
                b.append("<td class=\"num\">").append(mm == null || mm.value() == null ? "–"
                        : Fmt.html(Fmt.value(mm.value(), mm.unit()))).append("</td>");
            }
            b.append("<td><a href=\"").append(Fmt.html(href(p.dir()))).append("/index.html\">")
                    .append(Fmt.html(p.dir())).append("</a></td></tr>\n");
        }
        b.append("</tbody></table></div></section>\n");
    }

    /** A relative directory as a URL path: each segment percent-encoded where needed. */
    static String href(String dir) {
        StringBuilder b = new StringBuilder();
        for (byte c : dir.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char ch = (char) (c & 0xff);
            if (Character.isLetterOrDigit(ch) && ch < 128 || "-._~/".indexOf(ch) >= 0) {
                b.append(ch);
            } else {
                b.append('%').append(String.format(java.util.Locale.ROOT, "%02X", c & 0xff));
            }
        }
        return b.toString();
    }
}
