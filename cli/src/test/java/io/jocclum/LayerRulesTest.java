package io.jocclum;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layer rules of the code base, checked on the compiled main classes of every module (test
 * classes and test jars are left out):
 * <ul>
 *   <li>{@code api} sees no other part of jocclum; {@code dcap} stands alone;</li>
 *   <li>{@code sgx} never sees the LibOS or the CLI (its simulated quoting enclave builds quotes with dcap's
 *       model);</li>
 *   <li>inside {@code libos} and {@code sgx}, each package sees only the packages
 *       docs/architecture.md draws below it ({@link #LIBOS}, {@link #SGX}).</li>
 * </ul>
 * {@link #aForbiddenDependencyIsReported} shows that a rule fires.
 */
class LayerRulesTest {

    /** libos package → the libos packages it may use (besides itself). */
    static final Map<String, Set<String>> LIBOS = new LinkedHashMap<>();
    /** sgx package → the sgx packages it may use (besides itself). */
    static final Map<String, Set<String>> SGX = new LinkedHashMap<>();

    static {
        LIBOS.put("config", Set.of());
        LIBOS.put("kheap", Set.of());
        LIBOS.put("events", Set.of());
        LIBOS.put("vm", Set.of("kheap"));
        LIBOS.put("fs.sefs", Set.of());
        LIBOS.put("fs", Set.of("events", "fs.sefs", "kheap", "vm"));
        LIBOS.put("signal", Set.of("events"));
        LIBOS.put("pipe", Set.of("events", "fs", "kheap", "vm"));
        LIBOS.put("eventfd", Set.of("events", "fs", "vm"));
        LIBOS.put("epoll", Set.of("events", "fs", "kheap", "vm"));
        LIBOS.put("net", Set.of("events", "fs", "kheap", "vm"));
        LIBOS.put("programs", Set.of("fs"));
        LIBOS.put("layout", Set.of("config"));
        LIBOS.put("attest", Set.of("fs", "vm"));
        LIBOS.put("build", Set.of("config", "fs.sefs", "layout"));
        LIBOS.put("process", Set.of("config", "events", "fs", "kheap", "programs", "signal", "vm"));
        LIBOS.put("syscall", Set.of("config", "epoll", "eventfd", "events", "fs", "kheap", "net", "pipe", "process", "programs",
                "signal", "vm"));
        LIBOS.put("boot", Set.of("attest", "build", "config", "layout", "epoll", "eventfd", "events", "fs", "fs.sefs", "kheap", "net", "pipe", "process",
                "programs", "signal", "syscall", "vm"));
        LIBOS.put("replay", Set.of("boot", "config", "kheap", "layout", "programs"));
        LIBOS.put("scenario", Set.of("boot", "build", "config", "events", "fs", "fs.sefs", "layout", "process", "programs",
                "replay", "syscall", "vm"));

        SGX.put("arch", Set.of());
        SGX.put("cost", Set.of("arch"));
        SGX.put("cgroup", Set.of("arch"));
        SGX.put("crypto", Set.of("arch"));
        SGX.put("measure", Set.of("arch"));
        SGX.put("cpu", Set.of("arch", "cost", "crypto", "measure"));
        SGX.put("epc", Set.of("arch", "cgroup", "cpu"));
        SGX.put("epccg", Set.of("arch", "cgroup", "epc"));
        SGX.put("enclave", Set.of("arch", "cgroup", "cost", "cpu", "epc"));
        SGX.put("image", Set.of("arch", "cpu", "measure"));
        SGX.put("attest", Set.of("arch", "cgroup", "cpu", "crypto", "driver", "enclave", "image", "measure"));
        SGX.put("driver", Set.of("arch", "cgroup", "cost", "cpu", "crypto", "enclave", "epc", "epccg", "image", "measure"));
        SGX.put("selftest", Set.of("arch", "cgroup", "cpu", "driver", "enclave", "epc", "image", "measure"));
    }

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(LayerRulesTest::notATestJar)
                .importPackages("io.jocclum");
        assertThat(main).as("the main classes of every module are on the class path")
                .anyMatch(c -> c.getPackageName().startsWith("io.jocclum.libos."))
                .anyMatch(c -> c.getPackageName().startsWith("io.jocclum.sgx."))
                .anyMatch(c -> c.getPackageName().startsWith("io.jocclum.api"))
                .anyMatch(c -> c.getPackageName().startsWith("io.jocclum.dcap"));
    }

    private static boolean notATestJar(Location l) {
        return !l.contains("-tests.jar") && !l.contains("/test-classes/");
    }

    /** Every rule; each is checked on its own so that one report names every broken rule. */
    static List<ArchRule> rules() {
        List<ArchRule> rules = new ArrayList<>();
        rules.add(noClasses().that().resideInAPackage("io.jocclum.api..")
                .should().dependOnClassesThat().resideInAnyPackage("io.jocclum.dcap..", "io.jocclum.sgx..",
                        "io.jocclum.libos..", "io.jocclum.cli..", "io.jocclum.bench..")
                .because("api is what guest programs compile against and sees nothing else").allowEmptyShould(true));
        rules.add(noClasses().that().resideInAPackage("io.jocclum.dcap..")
                .should().dependOnClassesThat().resideInAnyPackage("io.jocclum.api..", "io.jocclum.sgx..",
                        "io.jocclum.libos..", "io.jocclum.cli..", "io.jocclum.bench..")
                .because("the DCAP verifier is a standalone library").allowEmptyShould(true));
        rules.add(noClasses().that().resideInAPackage("io.jocclum.sgx..")
                .should().dependOnClassesThat().resideInAnyPackage("io.jocclum.libos..", "io.jocclum.cli..",
                        "io.jocclum.bench..")
                .because("the simulated platform never sees the LibOS").allowEmptyShould(true));
        rules.add(noClasses().that().resideInAPackage("io.jocclum.libos..")
                .should().dependOnClassesThat().resideInAnyPackage("io.jocclum.cli..", "io.jocclum.bench..")
                .because("the LibOS does not know its front ends").allowEmptyShould(true));
        rules.addAll(packageRules("io.jocclum.libos", LIBOS));
        rules.addAll(packageRules("io.jocclum.sgx", SGX));
        return rules;
    }

    private static List<ArchRule> packageRules(String base, Map<String, Set<String>> allowed) {
        List<ArchRule> rules = new ArrayList<>();
        for (var e : allowed.entrySet()) {
            Set<String> forbidden = new TreeSet<>(allowed.keySet());
            forbidden.remove(e.getKey());
            forbidden.removeAll(e.getValue());
            if (forbidden.isEmpty()) {
                continue;
            }
            // a package with a ruled sub-package (fs with fs.sefs) is forbidden by its exact name
            String[] packages = forbidden.stream()
                    .map(p -> allowed.keySet().stream().anyMatch(k -> k.startsWith(p + ".")) ? base + "." + p : base + "." + p + "..")
                    .toArray(String[]::new);
            rules.add(noClasses().that().resideInAPackage(base + "." + e.getKey() + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(packages)
                    .because(base + "." + e.getKey() + " may only use " + e.getValue() + " of " + base)
                    .allowEmptyShould(true));
        }
        return rules;
    }

    @Test
    void everyPackageOfLibosAndSgxHasARule() {
        Set<String> unruled = new TreeSet<>();
        for (var c : main) {
            String p = c.getPackageName();
            for (var base : Map.of("io.jocclum.libos.", LIBOS, "io.jocclum.sgx.", SGX).entrySet()) {
                if (p.startsWith(base.getKey())) {
                    String top = p.substring(base.getKey().length()).split("\\.")[0];
                    if (!base.getValue().containsKey(top)) {
                        unruled.add(p);
                    }
                }
            }
        }
        assertThat(unruled).as("packages without a layer rule (add them to LIBOS or SGX)").isEmpty();
    }

    @Test
    void layersAreRespected() {
        List<String> broken = new ArrayList<>();
        for (ArchRule r : rules()) {
            EvaluationResult result = r.evaluate(main);
            if (result.hasViolation()) {
                broken.add(result.getFailureReport().toString());
            }
        }
        assertThat(broken).as("layer rules broken").isEmpty();
    }

    @Test
    void noTestingPackageInMain() {
        assertThat(main).noneMatch(c -> c.getPackageName().contains(".testing"));
    }

    /**
     * The rules fire: two fixture classes of this test's class path break them on purpose, one
     * in an sgx package that uses the LibOS and one in libos.vm that uses the process layer.
     */
    @Test
    void aForbiddenDependencyIsReported() {
        JavaClasses withViolations = new ClassFileImporter().importClasses(
                io.jocclum.sgx.arch.LayerViolationFixture.class, io.jocclum.libos.vm.LayerViolationFixture.class);
        List<String> reports = new ArrayList<>();
        for (ArchRule r : rules()) {
            EvaluationResult result = r.evaluate(withViolations);
            if (result.hasViolation()) {
                reports.add(result.getFailureReport().toString());
            }
        }
        assertThat(reports).hasSize(2);
        assertThat(reports.get(0)).contains("the simulated platform never sees the LibOS")
                .contains("io.jocclum.sgx.arch.LayerViolationFixture").contains("io.jocclum.libos.config.SgxMode");
        assertThat(reports.get(1)).contains("io.jocclum.libos.vm may only use [kheap]")
                .contains("io.jocclum.libos.vm.LayerViolationFixture").contains("io.jocclum.libos.process.");
    }
}
