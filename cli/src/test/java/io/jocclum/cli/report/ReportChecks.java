package io.jocclum.cli.report;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** What every report page and chart must have, checked on the parsed HTML. */
public final class ReportChecks {
    /** An axis title names its unit in parentheses: "EPC in use (bytes)", "simulated time (s)". */
    private static final Pattern WITH_UNIT = Pattern.compile(".+ \\([^()]+\\)$");

    private ReportChecks() {
    }

    /** Every chart has a title, a one-sentence finding, a legend, axis titles with units and tick labels. */
    public static void anatomy(Document doc) {
        for (Element fig : doc.select("figure.chart")) {
            String id = fig.id();
            assertThat(fig.select("figcaption h3").text()).as(id + " title").isNotBlank();
            oneSentence(fig.select("p.finding").text());
            assertThat(fig.select("ul.legend li")).as(id + " legend").isNotEmpty();
            assertThat(fig.select("ul.legend li").eachText()).as(id + " legend labels").allMatch(s -> !s.isBlank());
            assertThat(fig.select("svg")).as(id + " svg").hasSize(1);
            Element svg = fig.selectFirst("svg");
            assertThat(svg.attr("viewBox")).as(id + " viewBox").matches("0 0 \\d+ \\d+");
            assertThat(svg.select("text.x-label").text()).as(id + " x axis title").matches(WITH_UNIT);
            if (!svg.select("text.y-label").isEmpty()) {
                assertThat(svg.select("text.y-label").text()).as(id + " y axis title").matches(WITH_UNIT);
                assertThat(svg.select("text.y-tick")).as(id + " y ticks").hasSizeGreaterThanOrEqualTo(2);
            }
            assertThat(svg.select("text.x-tick")).as(id + " x ticks").hasSizeGreaterThanOrEqualTo(1);
            assertThat(svg.select("text.tick").eachText()).as(id + " tick labels").allMatch(s -> !s.isBlank());
        }
    }

    /** One sentence: starts with a capital letter or a name, ends with a period, no line break, one period-space. */
    public static void oneSentence(String s) {
        assertThat(s).as("one sentence").isNotBlank().endsWith(".").doesNotContain("\n");
        assertThat(s.substring(0, s.length() - 1)).as("one sentence: " + s).doesNotContainPattern("[.!?] [A-Z]");
    }

    /** No network resource: no src, href, or CSS url() to anything but the page itself or a relative file. */
    public static void selfContained(Document doc, String html) {
        for (Element e : doc.select("[src], [href], [xlink:href]")) {
            for (String attr : new String[] {"src", "href", "xlink:href"}) {
                String v = e.attr(attr);
                assertThat(v).as(e.tagName() + " " + attr).doesNotContain("://").doesNotStartWith("//").doesNotStartWith("data:");
            }
        }
        assertThat(doc.select("script[src], link[rel=stylesheet], img, iframe, object, embed")).isEmpty();
        assertThat(html).doesNotContain("@import").doesNotContainPattern("url\\((?!#)").doesNotContain("http://")
                .doesNotContain("https://");
    }
}
