package io.jocclum.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The HTML page around the charts: one self-contained file (inline CSS, no script, no external
 * font, image or link), written atomically.
 */
final class Page {
    /**
     * Okabe and Ito's colour-universal palette ("Color Universal Design", 2002), without its yellow
     * (too light on white), followed by darker shades for a ninth and later series.
     */
    static final String[] PALETTE = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
        "#7F6A00", "#5D3A9B", "#1B7837", "#B2182B", "#4D4D4D"};

    static String color(int i) {
        return PALETTE[Math.floorMod(i, PALETTE.length)];
    }

    private static final String CSS = """
            :root { --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --card:#fff; }
            * { box-sizing: border-box; }
            body { margin: 0; background: var(--bg); color: var(--ink);
              font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
            main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
            header h1 { font-size: 26px; margin: 0 0 4px; }
            header p.description { margin: 0 0 12px; color: var(--muted); }
            dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px 16px;
              margin: 12px 0 0; padding: 12px 16px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
            dl.facts div { min-width: 0; }
            dl.facts dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
            dl.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
            section { margin-top: 28px; }
            h2 { font-size: 19px; margin: 0 0 10px; }
            ul.findings { margin: 0; padding: 12px 16px 12px 34px; background: var(--card); border: 1px solid var(--line);
              border-left: 4px solid #0072B2; border-radius: 8px; }
            ul.findings li { margin: 3px 0; }
            ul.findings a { color: inherit; text-decoration: none; border-bottom: 1px dotted var(--muted); }
            figure.chart { margin: 0 0 20px; padding: 14px 16px 8px; background: var(--card); border: 1px solid var(--line);
              border-radius: 8px; }
            figure.chart figcaption h3 { font-size: 16px; margin: 0; }
            figure.chart p.finding { margin: 2px 0 6px; color: var(--muted); }
            svg.plot-svg { display: block; width: 100%; height: auto; font-size: 12px; }
            svg .grid { stroke: #e6eaef; stroke-width: 1; }
            svg .axis, svg .tick-mark { stroke: #8c959f; stroke-width: 1; }
            svg .tick { fill: var(--muted); }
            svg .axis-label { fill: var(--ink); font-size: 13px; font-weight: 600; }
            svg .ref { font-size: 11px; }
            svg .badge text { fill: #fff; font-size: 10.5px; font-weight: 700; }
            svg .bar-value, svg .no-value { fill: var(--ink); font-size: 12px; }
            svg .no-value { fill: var(--muted); font-style: italic; }
            ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0 6px; padding: 0;
              font-size: 13px; }
            ul.legend li { display: flex; align-items: center; gap: 6px; }
            .sw { display: inline-block; width: 22px; height: 0; border-top: 3px solid var(--c); }
            .sw.dashed { border-top-style: dashed; }
            .sw.area { height: 12px; border: 0; background: var(--c); opacity: .75; border-radius: 2px; }
            .sw.event { width: 0; height: 14px; border: 0; border-left: 2px dashed var(--c); margin: 0 10px; }
            .sw.dot { width: 10px; height: 10px; border: 0; border-radius: 50%; background: var(--c); }
            .sw.note { width: auto; height: auto; border: 0; color: var(--c); font-weight: 700; }
            .sw.note::before { content: "↑"; }
            .table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
            table { border-collapse: collapse; width: 100%; font-size: 14px; }
            th, td { padding: 6px 10px; text-align: left; border-bottom: 1px solid #eaeef2; vertical-align: top; }
            th { background: #f0f3f6; font-weight: 600; white-space: nowrap; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            tr:last-child td { border-bottom: 0; }
            .outcome { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
              color: #fff; white-space: nowrap; }
            .o-ok { background: #1a7f37; } .o-bad { background: #cf222e; } .o-warn { background: #bc4c00; }
            .o-run { background: #0969da; }
            p.note { color: var(--muted); }
            footer { margin-top: 32px; color: var(--muted); font-size: 13px; }
            """;

    private Page() {
    }

    static String document(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" + Fmt.html(title)
                + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n<main>\n" + body + "</main>\n</body>\n</html>\n";
    }

    /** Writes {@code html} to {@code file} through a temporary file, so readers never see half a page. */
    static void write(Path file, String html) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, html, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A definition-list entry of the facts box. */
    static String fact(String name, String value) {
        return "<div><dt>" + Fmt.html(name) + "</dt><dd>" + Fmt.html(value) + "</dd></div>";
    }
}
