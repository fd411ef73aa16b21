package io.jocclum.cli.report;

import java.util.ArrayList;
import java.util.List;

/**
 * One chart as an HTML {@code <figure>}: a title, the finding in one sentence, a legend, and an
 * inline SVG with axes, lines, stacked areas and event markers.
 *
 * <p>Reading the plot back: the {@code <g class="plot">} element carries the data window
 * ({@code data-x0}, {@code data-x1}, {@code data-y0}, {@code data-y1}) and the pixel box of the plot
 * area in SVG user units ({@code data-left}, {@code data-top}, {@code data-width},
 * {@code data-height}). A data point (x, v) is drawn at
 * <pre>
 *   px = left + (x - x0) / (x1 - x0) * width
 *   py = top + height - (v - y0) / (y1 - y0) * height
 * </pre>
 * rounded to 0.01. Every line is a {@code <polyline data-series="scope:id:metric">} whose points
 * are the series' samples in order (a null sample ends one polyline and the next non-null sample
 * starts another with the same {@code data-series}). Stacked areas carry
 * {@code data-stacked-on="key key …"}: their points lie on the union of the stacked series' sample
 * times, and each is the series' value plus the values of the listed series at that time (a
 * series' value at a time is its sample at that time, else its last sample before it; null and
 * "no sample yet" count as 0). Limit lines carry {@code data-step="limits"}: their points follow
 * the cgroup's limit changes as a step function. Event markers are {@code <line class="event"
 * data-t="…">} at x = t.
 */
final class LineChart {
    static final int W = 960;
    static final int H = 330;
    static final int LEFT = 84;
    static final int RIGHT = 20;
    static final int TOP = 34;
    static final int BOTTOM = 52;
    static final int PW = W - LEFT - RIGHT;
    static final int PH = H - TOP - BOTTOM;

    /** How a legend entry is drawn: a solid line, a dashed line, a filled area, an event marker or a dot. */
    enum Mark { LINE, DASHED, AREA, EVENT, DOT, NOTE }

    record Legend(String label, String color, Mark mark) {
    }

    /** An event marker: its time, its number in the page's timeline, its colour and tooltip. */
    record Marker(double t, int number, String color, String text) {
    }

    private final String id;
    private final String title;
    private final Axis x;
    private final Axis y;
    private final StringBuilder layers = new StringBuilder();
    private final List<Legend> legend = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private String caption = "";

    LineChart(String id, String title, Axis x, Axis y) {
        this.id = id;
        this.title = title;
        this.x = x;
        this.y = y;
    }

    double px(double xv) {
        return LEFT + (xv - x.min()) / (x.max() - x.min()) * PW;
    }

    double py(double v) {
        return TOP + PH - (v - y.min()) / (y.max() - y.min()) * PH;
    }

    LineChart caption(String sentence) {
        this.caption = sentence;
        return this;
    }

    LineChart legend(String label, String color, Mark mark) {
        legend.add(new Legend(label, color, mark));
        return this;
    }

    /** A line through (xs[i], vs[i]); NaN values break it. */
    LineChart line(String key, String color, boolean dashed, double[] xs, double[] vs, String extraAttributes) {
        StringBuilder pts = new StringBuilder();
        for (int i = 0; i <= xs.length; i++) {
            if (i == xs.length || Double.isNaN(vs[i])) {
                if (!pts.isEmpty()) {
                    layers.append("<polyline class=\"series\" data-series=\"").append(Fmt.html(key)).append('"')
                            .append(extraAttributes).append(" fill=\"none\" stroke=\"").append(color)
                            .append("\" stroke-width=\"2\" stroke-linejoin=\"round\"")
                            .append(dashed ? " stroke-dasharray=\"7 4\"" : "").append(" points=\"").append(pts)
                            .append("\"/>\n");
                    pts.setLength(0);
                }
                continue;
            }
            if (!pts.isEmpty()) {
                pts.append(' ');
            }
            pts.append(Fmt.px(px(xs[i]))).append(',').append(Fmt.px(py(vs[i])));
        }
        return this;
    }

    /** A filled band between {@code base} and {@code top} (top drawn as a line carrying the key). */
    LineChart band(String key, String color, double[] xs, double[] base, double[] top, String stackedOn) {
        if (xs.length == 0) {
            return this;
        }
        StringBuilder poly = new StringBuilder();
        for (int i = 0; i < xs.length; i++) {
            poly.append(Fmt.px(px(xs[i]))).append(',').append(Fmt.px(py(top[i]))).append(' ');
        }
        for (int i = xs.length - 1; i >= 0; i--) {
            poly.append(Fmt.px(px(xs[i]))).append(',').append(Fmt.px(py(base[i])));
            if (i > 0) {
                poly.append(' ');
            }
        }
        layers.append("<polygon class=\"band\" fill=\"").append(color).append("\" fill-opacity=\"0.55\" points=\"")
                .append(poly).append("\"/>\n");
        return line(key, color, false, xs, top, " data-stacked-on=\"" + Fmt.html(stackedOn) + "\"");
    }

    /** A horizontal reference line across the plot with a label at its right end. */
    LineChart hline(double v, String color, String label, String cls) {
        double yy = py(v);
        layers.append("<line class=\"").append(cls).append("\" data-v=\"").append(Fmt.num(v)).append("\" x1=\"")
                .append(LEFT).append("\" x2=\"").append(LEFT + PW).append("\" y1=\"").append(Fmt.px(yy))
                .append("\" y2=\"").append(Fmt.px(yy)).append("\" stroke=\"").append(color)
                .append("\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>\n");
        layers.append("<text class=\"ref\" x=\"").append(LEFT + PW - 4).append("\" y=\"").append(Fmt.px(yy - 5))
                .append("\" text-anchor=\"end\" fill=\"").append(color).append("\">").append(Fmt.html(label))
                .append("</text>\n");
        return this;
    }

    /** Circles at (xs[i], vs[i]), NaN skipped, each with data-point and data-v. */
    LineChart dots(String key, String color, double[] xs, double[] vs, String[] pointNames) {
        for (int i = 0; i < xs.length; i++) {
            if (Double.isNaN(vs[i])) {
                continue;
            }
            layers.append("<circle class=\"point\" data-series=\"").append(Fmt.html(key)).append("\" data-point=\"")
                    .append(Fmt.html(pointNames[i])).append("\" data-x=\"").append(Fmt.num(xs[i])).append("\" data-v=\"")
                    .append(Fmt.num(vs[i])).append("\" cx=\"").append(Fmt.px(px(xs[i]))).append("\" cy=\"")
                    .append(Fmt.px(py(vs[i]))).append("\" r=\"4.5\" fill=\"").append(color)
                    .append("\" stroke=\"#fff\" stroke-width=\"1.5\"><title>").append(Fmt.html(pointNames[i]))
                    .append(": ").append(Fmt.num(vs[i])).append("</title></circle>\n");
        }
        return this;
    }

    LineChart marker(Marker m) {
        if (m.t() >= x.min() && m.t() <= x.max()) {
            markers.add(m);
        }
        return this;
    }

    boolean hasMarkers() {
        return !markers.isEmpty();
    }

    String html() {
        StringBuilder b = new StringBuilder();
        b.append("<figure class=\"chart\" id=\"").append(id).append("\">\n<figcaption><h3>").append(Fmt.html(title))
                .append("</h3><p class=\"finding\">").append(Fmt.html(caption)).append("</p></figcaption>\n");
        b.append(legendHtml(legend));
        b.append("<svg class=\"plot-svg\" viewBox=\"0 0 ").append(W).append(' ').append(H)
                .append("\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"").append(Fmt.html(title))
                .append("\">\n<defs><clipPath id=\"clip-").append(id).append("\"><rect x=\"").append(LEFT)
                .append("\" y=\"").append(TOP - 1).append("\" width=\"").append(PW).append("\" height=\"").append(PH + 2)
                .append("\"/></clipPath></defs>\n");
        axes(b);
        b.append("<g class=\"plot\" clip-path=\"url(#clip-").append(id).append(")\" data-x0=\"").append(Fmt.num(x.min()))
                .append("\" data-x1=\"").append(Fmt.num(x.max())).append("\" data-y0=\"").append(Fmt.num(y.min()))
                .append("\" data-y1=\"").append(Fmt.num(y.max())).append("\" data-left=\"").append(LEFT)
                .append("\" data-top=\"").append(TOP).append("\" data-width=\"").append(PW).append("\" data-height=\"")
                .append(PH).append("\">\n").append(layers).append("</g>\n");
        events(b);
        b.append("</svg>\n</figure>\n");
        return b.toString();
    }

    static String legendHtml(List<Legend> legend) {
        StringBuilder b = new StringBuilder("<ul class=\"legend\">");
        for (Legend l : legend) {
            String cls = switch (l.mark()) {
                case LINE -> "sw line";
                case DASHED -> "sw dashed";
                case AREA -> "sw area";
                case EVENT -> "sw event";
                case DOT -> "sw dot";
                case NOTE -> "sw note";
            };
            b.append("<li><span class=\"").append(cls).append("\" style=\"--c:").append(l.color()).append("\"></span>")
                    .append(Fmt.html(l.label())).append("</li>");
        }
        return b.append("</ul>\n").toString();
    }

    private void axes(StringBuilder b) {
        b.append("<g class=\"axes\">\n");
        for (double v : y.ticks()) {
            double yy = py(v);
            b.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + PW).append("\" y1=\"")
                    .append(Fmt.px(yy)).append("\" y2=\"").append(Fmt.px(yy)).append("\"/>")
                    .append("<text class=\"tick y-tick\" x=\"").append(LEFT - 8).append("\" y=\"").append(Fmt.px(yy + 4))
                    .append("\" text-anchor=\"end\">").append(Fmt.html(y.label().apply(v))).append("</text>\n");
        }
        xFrame(b, x, this::px, LEFT, PW, TOP, PH, H, false);
        b.append("<text class=\"axis-label y-label\" transform=\"translate(16 ").append(TOP + PH / 2)
                .append(") rotate(-90)\" text-anchor=\"middle\">").append(Fmt.html(y.title())).append("</text>\n");
        b.append("</g>\n");
    }

    /**
     * The x axis of a plot whose box is left..left+pw × top..top+ph in an SVG {@code h} high: a tick
     * label per tick (with a tick mark, or a vertical grid line across the plot when
     * {@code grid}), the two axis lines and the x axis title.
     */
    static void xFrame(StringBuilder b, Axis x, java.util.function.DoubleUnaryOperator px, int left, int pw, int top, int ph,
                       int h, boolean grid) {
        for (double v : x.ticks()) {
            String xx = Fmt.px(px.applyAsDouble(v));
            b.append("<line class=\"").append(grid ? "grid" : "tick-mark").append("\" x1=\"").append(xx).append("\" x2=\"")
                    .append(xx).append("\" y1=\"").append(grid ? top : top + ph).append("\" y2=\"").append(top + ph + (grid ? 0 : 5))
                    .append("\"/><text class=\"tick x-tick\" x=\"").append(xx).append("\" y=\"").append(top + ph + 20)
                    .append("\" text-anchor=\"middle\">").append(Fmt.html(x.label().apply(v))).append("</text>\n");
        }
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left + pw).append("\" y1=\"")
                .append(top + ph).append("\" y2=\"").append(top + ph).append("\"/>\n");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left).append("\" y1=\"")
                .append(top).append("\" y2=\"").append(top + ph).append("\"/>\n");
        b.append("<text class=\"axis-label x-label\" x=\"").append(left + pw / 2).append("\" y=\"").append(h - 8)
                .append("\" text-anchor=\"middle\">").append(Fmt.html(x.title())).append("</text>\n");
    }

    private void events(StringBuilder b) {
        if (markers.isEmpty()) {
            return;
        }
        markers.sort(java.util.Comparator.comparingDouble(Marker::t).thenComparingInt(Marker::number));
        b.append("<g class=\"events\">\n");
        for (Marker m : markers) {
            double xx = px(m.t());
            b.append("<line class=\"event\" data-t=\"").append(Fmt.num(m.t())).append("\" x1=\"").append(Fmt.px(xx))
                    .append("\" x2=\"").append(Fmt.px(xx)).append("\" y1=\"").append(TOP - 4).append("\" y2=\"")
                    .append(TOP + PH).append("\" stroke=\"").append(m.color())
                    .append("\" stroke-width=\"1.2\" stroke-dasharray=\"3 3\"><title>").append(Fmt.html(m.text()))
                    .append("</title></line>\n");
        }
        // badges: events closer than 20 px share one badge labelled with the first and last number
        int i = 0;
        while (i < markers.size()) {
            int k = i;
            double x0 = px(markers.get(i).t());
            while (k + 1 < markers.size() && px(markers.get(k + 1).t()) - x0 < 20) {
                k++;
            }
            Marker first = markers.get(i);
            Marker last = markers.get(k);
            String label = k == i ? Integer.toString(first.number())
                    : first.number() + (k == i + 1 ? "," : "–") + last.number();
            double w = 8 + 6.5 * label.length();
            StringBuilder tip = new StringBuilder();
            for (int e = i; e <= k; e++) {
                tip.append(e > i ? "\n" : "").append(markers.get(e).number()).append(". ").append(markers.get(e).text());
            }
            b.append("<g class=\"badge\"><title>").append(Fmt.html(tip.toString())).append("</title><rect x=\"")
                    .append(Fmt.px(x0 - w / 2)).append("\" y=\"").append(TOP - 22).append("\" width=\"").append(Fmt.px(w))
                    .append("\" height=\"16\" rx=\"8\" fill=\"").append(first.color()).append("\"/><text x=\"")
                    .append(Fmt.px(x0)).append("\" y=\"").append(TOP - 10).append("\" text-anchor=\"middle\">")
                    .append(Fmt.html(label)).append("</text></g>\n");
            i = k + 1;
        }
        b.append("</g>\n");
    }
}
