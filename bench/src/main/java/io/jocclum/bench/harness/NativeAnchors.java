package io.jocclum.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Native C anchors: C sources shipped as resources under {@code /native/} (each includes
 * {@code anchor.h}, which gives it its {@code main}), compiled once per run with the system
 * compiler ({@code cc -O2}) into a temporary directory, and run as child processes. As a side of
 * an interleaved run ({@link BenchContext.JmhRun#nativeAnchor}) an anchor serves rounds; run on
 * its own ({@link #run}) it runs a warm-up round and five rounds and prints
 * {@code result: NAME VALUE UNIT} per figure and round, which {@link #run} returns as medians.
 * Either way it measures the host's null system call after every round.
 */
public final class NativeAnchors implements AutoCloseable {
    private final Consumer<NativeReport> reports;
    private final Map<String, Path> built = new HashMap<>();
    private Path dir;

    NativeAnchors(Consumer<NativeReport> reports) {
        this.reports = reports;
    }

    /** True when a C compiler is on the PATH. */
    public static boolean compilerAvailable() {
        return compiler() != null;
    }

    private static String compiler() {
        for (String c : List.of("cc", "gcc", "clang")) {
            for (String p : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
                if (Files.isExecutable(Path.of(p, c))) {
                    return Path.of(p, c).toString();
                }
            }
        }
        return null;
    }

    /** True when {@code taskset} can pin a child process to CPU 0. */
    public static boolean canPin() {
        for (String p : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (Files.isExecutable(Path.of(p, "taskset"))) {
                return true;
            }
        }
        return false;
    }

    /** Compiles {@code /native/NAME.c} (once) and returns the executable. */
    public synchronized Path compile(String name) throws IOException, InterruptedException {
        Path exe = built.get(name);
        if (exe != null) {
            return exe;
        }
        String cc = compiler();
        if (cc == null) {
            throw new IOException("no C compiler (cc, gcc or clang) on the PATH for the native anchor " + name);
        }
        if (dir == null) {
            dir = Files.createTempDirectory("jocclum-native-");
        }
        copyResource("anchor.h", dir.resolve("anchor.h"));
        Path src = dir.resolve(name + ".c");
        try (InputStream in = NativeAnchors.class.getResourceAsStream("/native/" + name + ".c")) {
            if (in == null) {
                throw new IOException("no native anchor source /native/" + name + ".c");
            }
            Files.write(src, in.readAllBytes());
        }
        exe = dir.resolve(name);
        Process p = new ProcessBuilder(cc, "-O2", "-o", exe.toString(), src.toString(), "-lpthread")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("compiling native anchor " + name + " failed:\n" + out);
        }
        built.put(name, exe);
        return exe;
    }

    private static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = NativeAnchors.class.getResourceAsStream("/native/" + name)) {
            if (in == null) {
                throw new IOException("no native anchor resource /native/" + name);
            }
            Files.write(to, in.readAllBytes());
        }
    }

    /**
     * Runs a compiled anchor on its own (pinned to CPU 0 with taskset when {@code pinCpu0}) and
     * returns the median of its rounds per figure NAME (unit as printed; higherIsBetter if the
     * unit ends with "/s"). Not interleaved with anything: for reference figures; a comparison's
     * anchor belongs in its {@link BenchContext.JmhRun}.
     */
    public Map<String, Figure> run(String name, boolean pinCpu0, String... args) throws IOException, InterruptedException {
        Path exe = compile(name);
        List<String> cmd = new ArrayList<>();
        if (pinCpu0 && canPin()) {
            cmd.addAll(List.of("taskset", "-c", "0"));
        }
        cmd.add(exe.toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("native anchor " + name + " failed:\n" + out);
        }
        Map<String, List<Double>> values = new LinkedHashMap<>();
        Map<String, String> units = new HashMap<>();
        Map<String, Double> entries = new HashMap<>();
        List<Double> nul = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && f[0].equals("result:")) {
                values.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[2]));
                units.put(f[1], f[3]);
            } else if (f.length == 3 && f[0].equals("null-syscall:")) {
                nul.add(Double.parseDouble(f[1]));
            } else if (f.length == 3 && f[0].equals("entries:")) {
                entries.put(f[1], Double.parseDouble(f[2]));
            }
        }
        if (values.isEmpty()) {
            throw new IOException("native anchor " + name + " printed no result line:\n" + out);
        }
        Map<String, Figure> results = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            String u = units.get(k);
            Figure fig = new Figure(Rounds.median(v.stream().mapToDouble(Double::doubleValue).toArray()), u, u.endsWith("/s"));
            results.put(k, fig);
            if (!nul.isEmpty()) {
                reports.accept(NativeReport.of(k, fig, nul.stream().mapToDouble(Double::doubleValue).toArray(),
                        entries.getOrDefault(k, Double.NaN)));
            }
        });
        return results;
    }

    @Override
    public void close() throws IOException {
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
