package io.jocclum.cli.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A horizontal bar chart as an HTML {@code <figure>} (title, finding, legend, inline SVG): one row
 * per item, bars from 0. Reading it back: {@code <g class="plot">} carries {@code data-x0},
 * {@code data-x1}, {@code data-left} and {@code data-width}; a bar {@code <rect class="bar"
 * data-item="…" data-v="…">} has width = (v - x0) / (x1 - x0) * width, rounded to 0.01. An item
 * without a value gets a {@code <text class="no-value">} in its row and no bar.
 */
final class BarChart {
    static final int W = 960;
    static final int LEFT = 150;
    static final int RIGHT = 90;
    static final int TOP = 12;
    static final int BOTTOM = 52;
    static final int ROW = 28;
    static final int PW = W - LEFT - RIGHT;

    record Bar(String item, String label, double value, String color, String note) {
    }

    private final String id;
    private final String title;
    private final Axis x;
    private final List<Bar> bars = new ArrayList<>();
    private final List<LineChart.Legend> legend = new ArrayList<>();
    private String caption = "";

    BarChart(String id, String title, Axis x) {
        this.id = id;
        this.title = title;
        this.x = x;
    }

    BarChart bar(String item, String label, double value, String color, String note) {
        bars.add(new Bar(item, label, value, color, note));
        return this;
    }

    BarChart legend(String label, String color) {
        legend.add(new LineChart.Legend(label, color, LineChart.Mark.AREA));
        return this;
    }

    BarChart caption(String sentence) {
        caption = sentence;
        return this;
    }

    double width(double v) {
        return (v - x.min()) / (x.max() - x.min()) * PW;
    }

    String html() {
        int ph = bars.size() * ROW;
        int h = TOP + ph + BOTTOM;
        StringBuilder b = new StringBuilder();
        b.append("<figure class=\"chart\" id=\"").append(id).append("\">\n<figcaption><h3>").append(Fmt.html(title))
                .append("</h3><p class=\"finding\">").append(Fmt.html(caption)).append("</p></figcaption>\n");
        b.append(LineChart.legendHtml(legend));
        b.append("<svg class=\"plot-svg\" viewBox=\"0 0 ").append(W).append(' ').append(h)
                .append("\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"").append(Fmt.html(title))
                .append("\">\n<g class=\"axes\">\n");
        LineChart.xFrame(b, x, v -> LEFT + width(v), LEFT, PW, TOP, ph, h, true);
        b.append("</g>\n");
        b.append("<g class=\"plot\" data-x0=\"").append(Fmt.num(x.min())).append("\" data-x1=\"").append(Fmt.num(x.max()))
                .append("\" data-left=\"").append(LEFT).append("\" data-width=\"").append(PW).append("\">\n");
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            double top = TOP + i * ROW + 5;
            b.append("<text class=\"tick y-tick\" x=\"").append(LEFT - 8).append("\" y=\"").append(Fmt.px(top + 13))
                    .append("\" text-anchor=\"end\">").append(Fmt.html(bar.label())).append("</text>\n");
            if (Double.isNaN(bar.value())) {
                b.append("<text class=\"no-value\" data-item=\"").append(Fmt.html(bar.item())).append("\" x=\"")
                        .append(LEFT + 6).append("\" y=\"").append(Fmt.px(top + 13)).append("\">")
                        .append(Fmt.html(bar.note())).append("</text>\n");
                continue;
            }
            double w = width(bar.value());
            b.append("<rect class=\"bar\" data-item=\"").append(Fmt.html(bar.item())).append("\" data-v=\"")
                    .append(Fmt.num(bar.value())).append("\" x=\"").append(LEFT).append("\" y=\"").append(Fmt.px(top))
                    .append("\" width=\"").append(Fmt.px(w)).append("\" height=\"18\" rx=\"2\" fill=\"")
                    .append(bar.color()).append("\"><title>").append(Fmt.html(bar.label() + ": " + bar.note()))
                    .append("</title></rect>\n");
            b.append("<text class=\"bar-value\" x=\"").append(Fmt.px(LEFT + w + 6)).append("\" y=\"")
                    .append(Fmt.px(top + 13)).append("\">").append(Fmt.html(bar.note())).append("</text>\n");
        }
        b.append("</g>\n</svg>\n</figure>\n");
        return b.toString();
    }
}
