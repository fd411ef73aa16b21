package io.jocclum.cli;

import io.jocclum.cli.report.ScenarioReport;
import io.jocclum.cli.report.SweepReport;
import io.jocclum.libos.build.EnclaveBuilder;
import io.jocclum.libos.config.Sizes;
import io.jocclum.libos.scenario.Durations;
import io.jocclum.libos.scenario.Engine;
import io.jocclum.libos.scenario.ReportFiles;
import io.jocclum.libos.scenario.RunData;
import io.jocclum.libos.scenario.Scenario;
import io.jocclum.libos.scenario.ScenarioException;
import io.jocclum.libos.scenario.ScenarioFile;
import io.jocclum.libos.scenario.Sweep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** {@code jocclum scenario run|sweep|merge}: many enclaves on one simulated host (docs/scenarios.md). */
@Command(name = "scenario", description = "Run many enclaves on one simulated host in simulated time, and sweep parameters.",
        subcommands = {ScenarioCommand.Run.class, ScenarioCommand.SweepCmd.class, ScenarioCommand.Merge.class})
final class ScenarioCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UserError(UsageErrors.EXIT, "no scenario command given; use 'jocclum scenario run FILE', 'jocclum scenario sweep"
                + " FILE --vary PATH=V1,V2' or 'jocclum scenario merge DIR' (see 'jocclum scenario --help').");
    }

    // ============================================================================ shared

    /** Reads and validates FILE with the settings and the seed; ConfigException lists every problem. */
    static Scenario load(Cli cli, Path file, List<String> sets, List<ScenarioFile.Setting> more, Long seed) {
        Path f = cli.resolve(file);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserError(UsageErrors.EXIT, "there is no scenario file " + file + ".");
        } catch (IOException e) {
            throw new UserError(UsageErrors.EXIT, "the scenario file " + file + " cannot be read (" + e.getMessage() + ").");
        }
        List<ScenarioFile.Setting> settings = new ArrayList<>(settings(sets));
        settings.addAll(more);
        String base = f.getFileName().toString().replaceFirst("\\.jsonc?$", "");
        Scenario sc = ScenarioFile.parse(bytes, file.toString(), f.getParent(), base, settings);
        return seed == null ? sc : sc.withSeed(seed);
    }

    static List<ScenarioFile.Setting> settings(List<String> sets) {
        List<ScenarioFile.Setting> out = new ArrayList<>();
        for (String s : sets == null ? List.<String>of() : sets) {
            try {
                out.add(ScenarioFile.Setting.parse(s));
            } catch (IllegalArgumentException e) {
                throw new UserError(UsageErrors.EXIT, e.getMessage() + ".");
            }
        }
        return out;
    }

    /** Runs the engine; a scenario that cannot run is a one-sentence user error. */
    static RunData simulate(Scenario sc, Engine.Progress progress) {
        try {
            return Engine.run(sc, progress);
        } catch (ScenarioException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** Writes what {@code writer} puts into a fresh directory, then replaces {@code dir} with it: a failure leaves {@code dir} as it was. */
    static void writeAtomically(Path dir, IoWriter writer) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new UserError(UsageErrors.EXIT, "--report " + dir + " is a file, not a directory.");
        }
        Path tmp = null;
        try {
            Files.createDirectories(abs.getParent());
            tmp = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".new-");
            if (Files.getFileStore(tmp).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
                // a report directory is an ordinary directory, not a private temporary one
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            writer.write(tmp);
            if (Files.exists(abs)) {
                Path old = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".old-");
                Files.delete(old);
                Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
                EnclaveBuilder.deleteTree(old);
            } else {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UserError("the report cannot be written to " + dir + ": " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    EnclaveBuilder.deleteTree(tmp);
                } catch (IOException e) {
                    // best effort: a leftover hidden directory
                }
            }
        }
    }

    interface IoWriter {
        void write(Path dir) throws IOException;
    }

    /** data.json, the CSVs and index.html of one run into {@code dir}. */
    static void writeRun(RunData d, Path dir) throws IOException {
        ReportFiles.write(d, dir);
        ScenarioReport.write(dir);
    }

    /** The summary table of a run. */
    static List<String> summary(RunData d, double wallSeconds) {
        List<String> l = new ArrayList<>();
        l.add(String.format(Locale.ROOT, "Scenario %s (seed %d): %s simulated in %.1f s of wall time (%s); stopped: %s.", d.name(),
                d.seed(), Durations.show(d.duration()), wallSeconds,
                wallSeconds > 0 ? String.format(Locale.ROOT, "%.2f simulated s per wall s", d.duration() / 1e9 / wallSeconds) : "-",
                d.stopReason()));
        l.add(String.format(Locale.ROOT, "  %-14s %-12s %-5s %11s %-15s %5s %10s %11s %11s %10s", "enclave", "cgroup", "edmm",
                "start-up", "outcome", "runs", "ops", "ops/s", "p99 lat.", "EPC peak"));
        for (RunData.EnclaveData e : d.enclaves()) {
            RunData.Metric tp = d.metrics().get("enclave." + e.name() + ".throughputOpsPerS");
            RunData.Metric peak = d.metrics().get("enclave." + e.name() + ".epcPeakBytes");
            // LibOS programs have no operations (only workload models count them)
            boolean ops = d.metrics().containsKey("enclave." + e.name() + ".operations");
            l.add(String.format(Locale.ROOT, "  %-14s %-12s %-5s %11s %-15s %5d %10s %11s %11s %10s", e.name(), e.cgroup(),
                    e.edmm() ? "yes" : "no", e.startup() == null ? "-" : ms(e.startup()), e.outcome(), e.runs(),
                    ops ? Long.toString(e.operations()) : "-",
                    tp == null ? "-" : tp.value().setScale(1, java.math.RoundingMode.HALF_EVEN).toPlainString(),
                    e.latencyP99() == null ? "-" : ms(e.latencyP99()), Sizes.human(peak.value().longValue())));
        }
        if (!d.cgroups().isEmpty()) {
            l.add(String.format(Locale.ROOT, "  %-14s %12s %12s %10s %10s", "cgroup", "EPC limit", "EPC peak", "max events",
                    "OOM kills"));
            for (RunData.CgroupData c : d.cgroups()) {
                Long lim = c.limits().getLast().epcMax();
                l.add(String.format(Locale.ROOT, "  %-14s %12s %12s %10s %10s", c.path(), lim == null ? "max" : Sizes.human(lim),
                        Sizes.human(d.metrics().get("cgroup." + c.path() + ".epcPeakBytes").value().longValue()),
                        d.metrics().get("cgroup." + c.path() + ".epcEventsMax").value().toPlainString(),
                        d.metrics().get("cgroup." + c.path() + ".oomKills").value().toPlainString()));
            }
        }
        l.add(String.format(Locale.ROOT, "  host: EPC %s, peak %s; EWB %s pages, ELDU %s pages", Sizes.human(d.host().epcBytes()),
                Sizes.human(d.metrics().get("host.epcPeakBytes").value().longValue()),
                d.metrics().get("host.ewbPages").value().toPlainString(), d.metrics().get("host.elduPages").value().toPlainString()));
        return l;
    }

    private static String ms(long ns) {
        return String.format(Locale.ROOT, "%.3f ms", ns / 1e6);
    }

    // ============================================================================ run

    @Command(name = "run", description = {
        "Run a scenario file in simulated time: many enclaves on one simulated host.",
        "Prints a summary table; with --report DIR writes data.json, a CSV per series, events.csv, enclaves.csv and"
                + " index.html there (DIR is replaced only when the run succeeded). The same file and seed give the same files."})
    static final class Run implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "FILE", description = "The scenario file (JSON with comments; see docs/scenarios.md).")
        Path file;

        @Option(names = "--report", paramLabel = "DIR", description = "Write the report files into DIR.")
        Path report;

        @Option(names = "--seed", paramLabel = "N", description = "Seed of the run instead of host.seed of the file.")
        Long seed;

        @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a value of the file, e.g."
                + " --set cgroups./pod-a.epcMax=16MB or --set enclaves.a1.edmm=false (repeatable).")
        List<String> sets;

        Run(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            Scenario sc = load(cli, file, sets, List.of(), seed);
            long t0 = System.nanoTime();
            RunData d;
            if (cli.terminal) {
                try (me.tongfei.progressbar.ProgressBar bar = new me.tongfei.progressbar.ProgressBarBuilder()
                        .setTaskName("Simulating").setInitialMax(sc.stop().time() / 1_000_000).setUnit(" s", 1000)
                        .setStyle(me.tongfei.progressbar.ProgressBarStyle.ASCII).showSpeed()
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(cli.err)).build()) {
                    d = simulate(sc, (t, stop) -> bar.stepTo(t / 1_000_000));
                    bar.maxHint(d.duration() / 1_000_000);
                    bar.stepTo(d.duration() / 1_000_000);
                }
            } else {
                d = simulate(sc, (t, stop) -> { });
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            if (report != null) {
                RunData data = d;
                writeAtomically(cli.resolve(report), dir -> writeRun(data, dir));
            }
            summary(d, wall).forEach(cli.out::println);
            if (report != null) {
                cli.out.println("Report: " + report.resolve("index.html"));
            }
            return 0;
        }
    }

    // ============================================================================ sweep

    @Command(name = "sweep", description = {
        "Run a scenario once per point of a parameter grid, in parallel on the local cores.",
        "Writes DIR/point-NNN (a report each), DIR/sweep.json and DIR/index.html, which plots each metric against the varied"
                + " parameters.",
        "--plan prints one self-contained command per point instead (for Kubernetes Jobs, Slurm, GNU parallel, ...): run"
                + " them anywhere, collect their directories under DIR, then 'jocclum scenario merge DIR'."})
    static final class SweepCmd implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "FILE", description = "The scenario file.")
        Path file;

        @Option(names = "--vary", paramLabel = "PATH=V1,V2,...", required = true,
                description = "A parameter and its values, e.g. cgroups./pod-a.epcMax=16MB,32MB,64MB (repeatable: a grid).")
        List<String> vary;

        @Option(names = "--report", paramLabel = "DIR", required = true, description = "The sweep's directory.")
        Path report;

        @Option(names = "--jobs", paramLabel = "N", description = "Points run at once (default: the number of cores).")
        Integer jobs;

        @Option(names = "--plan", description = "Print one command per point instead of running them.")
        boolean plan;

        @Option(names = "--seed", paramLabel = "N", description = "Seed of every point instead of host.seed of the file.")
        Long seed;

        @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override a value of the file for every point (repeatable).")
        List<String> sets;

        SweepCmd(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            List<Sweep.Vary> vs = new ArrayList<>();
            List<Sweep.Point> points;
            try {
                for (String v : vary) {
                    vs.add(Sweep.Vary.parse(v));
                }
                points = Sweep.grid(vs);
            } catch (IllegalArgumentException e) {
                throw new UserError(UsageErrors.EXIT, e.getMessage() + ".");
            }
            int n = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
            if (n < 1) {
                throw new UserError(UsageErrors.EXIT, "--jobs must be 1 or more, not " + n + ".");
            }
            List<Scenario> scenarios = new ArrayList<>();
            for (Sweep.Point p : points) {
                scenarios.add(load(cli, file, sets, p.settings(), seed)); // every point is validated before any runs
            }
            if (plan) {
                for (Sweep.Point p : points) {
                    cli.out.println(command(p));
                }
                cli.err.println("# " + points.size() + " point(s); when all have run: jocclum scenario merge " + Sweep.shellWord(report.toString()));
                return 0;
            }
            Path out = cli.resolve(report);
            long t0 = System.nanoTime();
            writeAtomically(out, dir -> {
                ExecutorService pool = Executors.newFixedThreadPool(Math.min(n, points.size()));
                try {
                    List<Future<RunData>> fs = new ArrayList<>();
                    for (int i = 0; i < points.size(); i++) {
                        Scenario sc = scenarios.get(i);
                        Path pd = dir.resolve(points.get(i).dir());
                        fs.add(pool.submit(() -> {
                            RunData d = simulate(sc, (t, stop) -> { });
                            writeRun(d, pd);
                            return d;
                        }));
                    }
                    int done = 0;
                    for (Future<RunData> f : fs) {
                        f.get();
                        done++;
                        if (cli.terminal) {
                            cli.err.printf(Locale.ROOT, "\rpoints done: %d of %d", done, points.size());
                        }
                    }
                    if (cli.terminal) {
                        cli.err.println();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IOException(e.getCause());
                } finally {
                    pool.shutdownNow();
                }
                List<Path> pds = new ArrayList<>();
                for (Sweep.Point p : points) {
                    pds.add(dir.resolve(p.dir()));
                }
                Sweep.merge(pds, dir);
                SweepReport.write(dir);
            });
            cli.out.printf(Locale.ROOT, "Sweep of %d point(s) in %.1f s of wall time with %d job(s): %s%n", points.size(),
                    (System.nanoTime() - t0) / 1e9, n, report.resolve("index.html"));
            return 0;
        }

        private String command(Sweep.Point p) {
            List<String> w = new ArrayList<>(List.of("jocclum", "scenario", "run", file.toString()));
            for (String s : sets == null ? List.<String>of() : sets) {
                w.add("--set");
                w.add(s);
            }
            for (ScenarioFile.Setting s : p.settings()) {
                w.add("--set");
                w.add(s.toString());
            }
            if (seed != null) {
                w.add("--seed");
                w.add(seed.toString());
            }
            w.add("--report");
            w.add(report.resolve(p.dir()).toString());
            return String.join(" ", w.stream().map(Sweep::shellWord).toList());
        }
    }

    // ============================================================================ merge

    @Command(name = "merge", description = {
        "Build a sweep's sweep.json and index.html from the directories of its points.",
        "Each DIR is a point directory (made by 'jocclum scenario run FILE --set PATH=VALUE ... --report DIR/point-NNN', as"
                + " 'sweep --plan' prints them) or holds point directories."})
    static final class Merge implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "DIR", arity = "1..*", description = "Point directories, or directories holding them.")
        List<Path> dirs;

        @Option(names = "--report", paramLabel = "OUT", description = "Where sweep.json and index.html go (default: the DIR when"
                + " only one is given).")
        Path report;

        Merge(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            if (report == null && dirs.size() > 1) {
                throw new UserError(UsageErrors.EXIT, "'jocclum scenario merge' with several directories needs --report OUT.");
            }
            Path out = cli.resolve(report == null ? dirs.getFirst() : report);
            List<Path> points;
            try {
                points = Sweep.pointDirs(dirs.stream().map(cli::resolve).toList());
                Sweep.merge(points, out);
                SweepReport.write(out);
            } catch (IOException e) {
                throw new UserError(e.getMessage());
            }
            cli.out.println("Merged " + points.size() + " point(s): " + out.resolve("sweep.json"));
            return 0;
        }
    }

}
