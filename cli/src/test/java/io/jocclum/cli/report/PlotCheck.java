package io.jocclum.cli.report;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads the plotted points back from a report's SVG (inverting the mapping documented on
 * LineChart and BarChart) and compares each with data.json or sweep.json, parsed here on its own
 * with Jackson. {@link #problems} lists every mismatch; {@link #points} counts the points checked.
 */
public final class PlotCheck {
    public final List<String> problems = new ArrayList<>();
    public int points;

    /** The data window and pixel box of one {@code <g class="plot">}. */
    record Window(double x0, double x1, double y0, double y1, double left, double top, double width, double height) {
        static Window of(Element g) {
            return new Window(d(g, "data-x0"), d(g, "data-x1"), g.hasAttr("data-y0") ? d(g, "data-y0") : 0,
                    g.hasAttr("data-y1") ? d(g, "data-y1") : 1, d(g, "data-left"),
                    g.hasAttr("data-top") ? d(g, "data-top") : 0, d(g, "data-width"),
                    g.hasAttr("data-height") ? d(g, "data-height") : 1);
        }

        double x(double px) {
            return x0 + (px - left) / width * (x1 - x0);
        }

        double v(double py) {
            return y0 + (top + height - py) / height * (y1 - y0);
        }

        /** Half a rounding step (0.005 px) in data units, with a little slack. */
        double tolX() {
            return 0.0051 * (x1 - x0) / width;
        }

        double tolV() {
            return 0.0051 * (y1 - y0) / height;
        }
    }

    private static double d(Element e, String attr) {
        return Double.parseDouble(e.attr(attr));
    }

    /** The (x, v) points of a polyline, read back through the window. */
    static List<double[]> points(Window w, Element polyline) {
        List<double[]> out = new ArrayList<>();
        for (String pair : polyline.attr("points").trim().split("\\s+")) {
            String[] xy = pair.split(",");
            out.add(new double[] {w.x(Double.parseDouble(xy[0])), w.v(Double.parseDouble(xy[1]))});
        }
        return out;
    }

    private boolean close(double a, double b, double tol) {
        return Math.abs(a - b) <= tol + 1e-9 * Math.max(Math.abs(a), Math.abs(b));
    }

    private void expect(boolean ok, String what) {
        points++;
        if (!ok) {
            problems.add(what);
        }
    }

    static JsonNode series(JsonNode data, String key) {
        for (JsonNode s : data.get("series")) {
            if (key.equals(s.get("scope").stringValue() + ":" + s.get("id").stringValue() + ":" + s.get("metric").stringValue())) {
                return s;
            }
        }
        return null;
    }

    /** The value of a series at time t as the stacked chart defines it (sample at t or the last before; null = 0). */
    static double heldAt(JsonNode s, double t) {
        double v = 0;
        for (int i = 0; i < s.get("t").size() && s.get("t").get(i).doubleValue() <= t; i++) {
            JsonNode n = s.get("values").get(i);
            v = n.isNull() ? 0 : n.doubleValue();
        }
        return v;
    }

    public static PlotCheck scenario(Document doc, JsonNode data) {
        PlotCheck c = new PlotCheck();
        for (Element g : doc.select("g.plot[data-y0]")) {
            Window w = Window.of(g);
            String chart = g.closest("figure").id();
            Map<String, List<Element>> byKey = new LinkedHashMap<>();
            for (Element pl : g.select("polyline[data-series]")) {
                byKey.computeIfAbsent(pl.attr("data-series"), k -> new ArrayList<>()).add(pl);
            }
            TreeSet<Double> stackGrid = new TreeSet<>();
            byKey.forEach((key, pls) -> {
                if (pls.get(0).hasAttr("data-stacked-on")) {
                    for (String k : (key + " " + pls.get(0).attr("data-stacked-on")).trim().split("\\s+")) {
                        JsonNode s = series(data, k);
                        if (s != null) {
                            s.get("t").forEach(n -> stackGrid.add(n.doubleValue()));
                        }
                    }
                }
            });
            for (var e : byKey.entrySet()) {
                String key = e.getKey();
                Element first = e.getValue().get(0);
                List<double[]> pts = new ArrayList<>();
                e.getValue().forEach(pl -> pts.addAll(points(w, pl)));
                if (first.attr("data-step").equals("limits")) {
                    c.limits(data, chart, key, w, pts);
                } else if (first.hasAttr("data-stacked-on")) {
                    c.stacked(data, chart, key, first.attr("data-stacked-on"), w, pts, stackGrid);
                } else {
                    c.plain(data, chart, key, w, pts);
                }
            }
            for (Element ev : g.closest("svg").select("line.event")) {
                double t = Double.parseDouble(ev.attr("data-t"));
                c.expect(c.close(w.x(Double.parseDouble(ev.attr("x1"))), t, w.tolX()),
                        chart + ": event marker at x1=" + ev.attr("x1") + " is not at t=" + t);
                boolean known = false;
                for (JsonNode n : data.get("events")) {
                    known |= n.get("tS").doubleValue() == t;
                }
                c.expect(known, chart + ": event marker at t=" + t + " matches no event of data.json");
            }
            for (Element cap : g.select("line.capacity")) {
                double v = w.v(Double.parseDouble(cap.attr("y1")));
                c.expect(c.close(v, data.get("host").get("epcBytes").doubleValue(), w.tolV()),
                        chart + ": the host EPC line is at " + v + ", not at host.epcBytes");
            }
        }
        for (Element g : doc.select("g.plot:not([data-y0])")) {
            Window w = Window.of(g);
            for (Element bar : g.select("rect.bar")) {
                String name = bar.attr("data-item");
                JsonNode enclave = null;
                for (JsonNode e : data.get("enclaves")) {
                    if (e.get("name").stringValue().equals(name)) {
                        enclave = e;
                    }
                }
                if (enclave == null || enclave.get("startupS").isNull()) {
                    c.expect(false, "a start-up bar for " + name + ", which has no start-up time in data.json");
                    continue;
                }
                double v = w.x0() + Double.parseDouble(bar.attr("width")) / w.width() * (w.x1() - w.x0());
                c.expect(c.close(v, enclave.get("startupS").doubleValue(), w.tolX()),
                        "start-up bar of " + name + " shows " + v + ", data.json has " + enclave.get("startupS"));
            }
        }
        return c;
    }

    private void plain(JsonNode data, String chart, String key, Window w, List<double[]> pts) {
        JsonNode s = series(data, key);
        if (s == null) {
            expect(false, chart + ": " + key + " is plotted but is not in data.json");
            return;
        }
        List<double[]> expected = new ArrayList<>();
        for (int i = 0; i < s.get("t").size(); i++) {
            JsonNode v = s.get("values").get(i);
            if (!v.isNull()) {
                expected.add(new double[] {s.get("t").get(i).doubleValue(), v.doubleValue()});
            }
        }
        expect(expected.size() == pts.size(), chart + ": " + key + " has " + pts.size() + " plotted points, data.json "
                + expected.size() + " non-null samples");
        for (int i = 0; i < Math.min(expected.size(), pts.size()); i++) {
            double[] p = pts.get(i);
            double[] x = expected.get(i);
            expect(close(p[0], x[0], w.tolX()) && close(p[1], x[1], w.tolV()), chart + ": " + key + " point " + i
                    + " reads (" + p[0] + ", " + p[1] + "), data.json has (" + x[0] + ", " + x[1] + ")");
        }
    }

    private void stacked(JsonNode data, String chart, String key, String below, Window w, List<double[]> pts,
                         TreeSet<Double> grid) {
        List<JsonNode> members = new ArrayList<>();
        for (String k : (key + " " + below).trim().split("\\s+")) {
            JsonNode s = series(data, k);
            if (s == null) {
                expect(false, chart + ": stacked series " + k + " is not in data.json");
                return;
            }
            members.add(s);
        }
        expect(pts.size() == grid.size(), chart + ": " + key + " has " + pts.size() + " stacked points, expected one per"
                + " sample time (" + grid.size() + ")");
        List<Double> times = new ArrayList<>(grid);
        for (int i = 0; i < Math.min(pts.size(), times.size()); i++) {
            double t = times.get(i);
            double sum = 0;
            for (JsonNode m : members) {
                sum += heldAt(m, t);
            }
            double[] p = pts.get(i);
            expect(close(p[0], t, w.tolX()) && close(p[1], sum, w.tolV()), chart + ": stacked " + key + " point " + i
                    + " reads (" + p[0] + ", " + p[1] + "), expected (" + t + ", " + sum + ")");
        }
    }

    private void limits(JsonNode data, String chart, String key, Window w, List<double[]> pts) {
        String path = key.substring("cgroup:".length(), key.length() - ":limits.epcMaxBytes".length());
        JsonNode cg = null;
        for (JsonNode c : data.get("cgroups")) {
            if (c.get("path").stringValue().equals(path)) {
                cg = c;
            }
        }
        if (cg == null) {
            expect(false, chart + ": limit line of unknown cgroup " + path);
            return;
        }
        JsonNode ls = cg.get("limits");
        for (double[] p : pts) {
            boolean ok = false;
            for (int i = 0; i < ls.size(); i++) {
                JsonNode l = ls.get(i);
                double from = l.get("tS").doubleValue();
                double to = i + 1 < ls.size() ? ls.get(i + 1).get("tS").doubleValue() : Double.POSITIVE_INFINITY;
                ok |= !l.get("epcMaxBytes").isNull() && close(p[1], l.get("epcMaxBytes").doubleValue(), w.tolV())
                        && p[0] >= from - w.tolX() && p[0] <= to + w.tolX();
            }
            expect(ok, chart + ": limit point (" + p[0] + ", " + p[1] + ") of " + path + " matches no limit setting");
        }
    }

    /** Checks a sweep report's lines and dots against sweep.json. */
    public static PlotCheck sweep(Document doc, JsonNode sweep) {
        PlotCheck c = new PlotCheck();
        JsonNode vary = sweep.get("vary");
        String xPath = vary.get(0).get("path").stringValue();
        List<String> xValues = new ArrayList<>();
        vary.get(0).get("values").forEach(v -> xValues.add(v.asString()));
        for (Element g : doc.select("g.plot")) {
            Window w = Window.of(g);
            String chart = g.closest("figure").id();
            String metric = g.closest("figure").selectFirst("h3").text();
            for (Element pl : g.select("polyline[data-series]")) {
                String group = pl.attr("data-series").substring(("sweep:" + metric + ":").length());
                for (double[] p : points(w, pl)) {
                    int i = (int) Math.round(p[0]);
                    c.expect(c.close(p[0], i, w.tolX()) && i >= 0 && i < xValues.size(), chart + ": x=" + p[0]
                            + " is not the index of a value of " + xPath);
                    JsonNode point = c.point(sweep, xPath, xValues.get(Math.max(0, Math.min(i, xValues.size() - 1))), group);
                    c.expect(point != null && c.close(p[1], point.get("metrics").get(metric).get("value").doubleValue(), w.tolV()),
                            chart + ": (" + xValues.get(i) + ", " + group + ") reads " + p[1] + ", not the point's " + metric);
                }
            }
            for (Element dot : g.select("circle.point")) {
                JsonNode point = null;
                for (JsonNode p : sweep.get("points")) {
                    if (p.get("dir").stringValue().equals(dot.attr("data-point"))) {
                        point = p;
                    }
                }
                if (point == null) {
                    c.expect(false, chart + ": a dot for unknown point " + dot.attr("data-point"));
                    continue;
                }
                double x = xValues.indexOf(point.get("params").get(xPath).asString());
                double v = point.get("metrics").get(metric).get("value").doubleValue();
                c.expect(c.close(w.x(Double.parseDouble(dot.attr("cx"))), x, w.tolX())
                        && c.close(w.v(Double.parseDouble(dot.attr("cy"))), v, w.tolV()),
                        chart + ": the dot of " + dot.attr("data-point") + " is not at (" + x + ", " + v + ")");
            }
        }
        return c;
    }

    /** The sweep point with the given first parameter value whose other parameters spell {@code group}. */
    private JsonNode point(JsonNode sweep, String xPath, String xValue, String group) {
        for (JsonNode p : sweep.get("points")) {
            StringBuilder g = new StringBuilder();
            for (int k = 1; k < sweep.get("vary").size(); k++) {
                String path = sweep.get("vary").get(k).get("path").stringValue();
                g.append(g.isEmpty() ? "" : ", ").append(path).append('=').append(p.get("params").get(path).asString());
            }
            if (p.get("params").get(xPath).asString().equals(xValue) && g.toString().equals(group)) {
                return p;
            }
        }
        return null;
    }
}
