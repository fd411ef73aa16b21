// Prints the mutation score of each package (and optionally each class and each surviving
// mutant) from a pitest XML report. Run by the `mutation` Maven profile after pitest:
//   java bin/lib/MutationScores.java MODULE/target/pit-reports/mutations.xml [--classes] [--survivors]
// Score = detected (killed, timed out, memory error, run error) over all mutants, as pitest counts it.

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public class MutationScores {
    static final class Tally {
        int total;
        int killed;
        int timedOut;
        int otherDetected;
        int survived;
        int noCoverage;

        void add(String status, boolean detected) {
            total++;
            switch (status) {
                case "KILLED" -> killed++;
                case "TIMED_OUT" -> timedOut++;
                case "SURVIVED" -> survived++;
                case "NO_COVERAGE" -> noCoverage++;
                default -> {
                    if (detected) {
                        otherDetected++;
                    }
                }
            }
        }

        int detected() {
            return killed + timedOut + otherDetected;
        }

        String line(String name) {
            double score = total == 0 ? 100.0 : 100.0 * detected() / total;
            return String.format("%-48s %6d %7d %6d %8d %8d %6.1f%%", name, total, killed, timedOut, survived, noCoverage, score);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: MutationScores.java mutations.xml [--classes] [--survivors]");
            System.exit(2);
        }
        File xml = new File(args[0]);
        boolean classes = List.of(args).contains("--classes");
        boolean survivors = List.of(args).contains("--survivors");
        if (!xml.isFile()) {
            System.err.println("mutation scores: no report at " + xml + " (did pitest run?)");
            System.exit(1);
        }
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        NodeList ms = f.newDocumentBuilder().parse(xml).getElementsByTagName("mutation");
        Map<String, Tally> byPackage = new TreeMap<>();
        Map<String, Tally> byClass = new TreeMap<>();
        Tally all = new Tally();
        List<String> alive = new ArrayList<>();
        for (int i = 0; i < ms.getLength(); i++) {
            Element m = (Element) ms.item(i);
            String status = m.getAttribute("status");
            boolean detected = Boolean.parseBoolean(m.getAttribute("detected"));
            String cls = text(m, "mutatedClass");
            String outer = cls.contains("$") ? cls.substring(0, cls.indexOf('$')) : cls;
            String pkg = outer.contains(".") ? outer.substring(0, outer.lastIndexOf('.')) : "";
            byPackage.computeIfAbsent(pkg, k -> new Tally()).add(status, detected);
            byClass.computeIfAbsent(outer, k -> new Tally()).add(status, detected);
            all.add(status, detected);
            if (!detected) {
                String mutator = text(m, "mutator");
                alive.add(String.format("%-11s %s.%s:%s %s (%s)", status, cls.substring(cls.lastIndexOf('.') + 1), text(m, "mutatedMethod"),
                        text(m, "lineNumber"), text(m, "description"), mutator.substring(mutator.lastIndexOf('.') + 1)));
            }
        }
        String header = String.format("%-48s %6s %7s %6s %8s %8s %7s", "mutation scores", "total", "killed", "t/o", "survived", "no-cover", "score");
        System.out.println(header);
        byPackage.forEach((k, v) -> System.out.println(v.line(k)));
        if (classes) {
            byClass.forEach((k, v) -> System.out.println(v.line("  " + k.substring(k.lastIndexOf('.') + 1))));
        }
        System.out.println(all.line("all targets"));
        if (survivors) {
            alive.sort(null);
            alive.forEach(s -> System.out.println("  " + s));
        }
    }

    private static String text(Element m, String tag) {
        NodeList n = m.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent();
    }
}
