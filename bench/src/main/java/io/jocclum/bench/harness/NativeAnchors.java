package io.jocclum.bench.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Native C anchors: C sources shipped as resources under {@code /native/}, compiled once per run
 * with the system compiler ({@code cc -O2}) into a temporary directory, and run as child
 * processes. A native anchor prints lines {@code result: NAME VALUE UNIT}; {@link #run} returns
 * them by NAME.
 */
public final class NativeAnchors implements AutoCloseable {
    private final PrintStream log;
    private final Map<String, Path> built = new HashMap<>();
    private Path dir;

    NativeAnchors(PrintStream log) {
        this.log = log;
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

    /**
     * Runs a compiled anchor (pinned to CPU 0 with taskset when {@code pinCpu0}) and returns its
     * {@code result:} lines as NAME -> Figure (unit as printed; higherIsBetter if the unit ends
     * with "/s").
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
        Map<String, Figure> results = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && f[0].equals("result:")) {
                results.put(f[1], new Figure(Double.parseDouble(f[2]), f[3], f[3].endsWith("/s")));
            }
        }
        if (results.isEmpty()) {
            throw new IOException("native anchor " + name + " printed no result line:\n" + out);
        }
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
