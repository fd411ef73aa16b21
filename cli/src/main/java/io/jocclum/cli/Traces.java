package io.jocclum.cli;

import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.build.EnclaveBuilder;
import io.jocclum.libos.replay.Replay;
import io.jocclum.libos.replay.ReplayRun;
import io.jocclum.libos.replay.StraceReader;
import io.jocclum.libos.replay.TraceEvent;
import io.jocclum.libos.replay.TraceFormatException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What {@code replay} and {@code advise} share: reading traces and replaying them in a build of an instance. */
final class Traces {
    /** Exit code for input that cannot be read as a trace. */
    static final int UNREADABLE = 2;
    private static final Pattern FF_SUFFIX = Pattern.compile(".*\\.(\\d+)$");
    private static final Pattern TIME = Pattern.compile("^(\\d{2}):(\\d{2}):(\\d{2})(?:\\.(\\d+))?\\s|^(\\d+)\\.(\\d+)\\s");

    private Traces() {
    }

    /**
     * The events of {@code files}: one file as it is; several {@code -ff} files (NAME.PID) merged by
     * their {@code -tt} or {@code -ttt} timestamps, each line given its file's pid.
     */
    static List<TraceEvent> read(Cli cli, List<Path> files) {
        if (files.size() == 1) {
            Path f = cli.resolve(files.getFirst());
            return parse(f, text(f), 0);
        }
        record Stamped(long micros, int order, String line) {
        }
        List<Stamped> all = new ArrayList<>();
        for (Path given : files) {
            Path f = cli.resolve(given);
            Matcher m = FF_SUFFIX.matcher(f.getFileName().toString());
            if (!m.matches()) {
                throw new UserError(UNREADABLE, f + " is not a per-process file of strace -ff (NAME.PID); give one file,"
                        + " or every NAME.PID file of one trace.");
            }
            String pid = m.group(1);
            String[] lines = text(f).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                long t = micros(lines[i]);
                if (t < 0) {
                    throw new UserError(UNREADABLE, f + ": line " + (i + 1) + " has no timestamp; record with strace -ff -tt"
                            + " (or -ttt) so that the files can be merged in time order.");
                }
                all.add(new Stamped(t, all.size(), pid + " " + lines[i]));
            }
        }
        all.sort(Comparator.comparingLong(Stamped::micros).thenComparingInt(Stamped::order));
        String merged = String.join("\n", all.stream().map(Stamped::line).toList());
        return parse(Path.of("the merged -ff files"), merged, 0);
    }

    private static long micros(String line) {
        Matcher m = TIME.matcher(line);
        if (!m.find()) {
            return -1;
        }
        if (m.group(1) != null) {
            String frac = m.group(4) == null ? "0" : (m.group(4) + "000000").substring(0, 6);
            return ((Long.parseLong(m.group(1)) * 60 + Long.parseLong(m.group(2))) * 60 + Long.parseLong(m.group(3)))
                    * 1_000_000 + Long.parseLong(frac);
        }
        return Long.parseLong(m.group(5)) * 1_000_000 + Long.parseLong((m.group(6) + "000000").substring(0, 6));
    }

    private static String text(Path f) {
        try {
            byte[] b = Files.readAllBytes(f);
            return new String(b, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserError(UNREADABLE, "the trace " + f + " does not exist.");
        } catch (IOException e) {
            throw new UserError(UNREADABLE, "cannot read the trace " + f + " (" + e.getMessage() + ").");
        }
    }

    private static List<TraceEvent> parse(Path f, String text, int pid) {
        try {
            List<TraceEvent> ev = new StraceReader().read(new BufferedReader(new StringReader(text)), pid).events();
            if (ev.isEmpty()) {
                throw new UserError(UNREADABLE, f + " holds no system call; record it with strace -f -tt -T -o FILE PROGRAM.");
            }
            return ev;
        } catch (TraceFormatException e) {
            throw new UserError(UNREADABLE, f + ": " + e.getMessage() + ".");
        } catch (IOException e) {
            throw new UserError(UNREADABLE, "cannot read the trace " + f + " (" + e.getMessage() + ").");
        }
    }

    /**
     * A build of the instance in {@code root} for EDMM or not, with {@code json} as its Occlum.json:
     * made in a temporary copy (Occlum.json and image/), so the instance's own build/ is never touched.
     */
    static BuiltEnclave build(Cli cli, InstancePaths instance, byte[] json, boolean edmm, Path work) {
        try {
            Path copy = Files.createTempDirectory(work, "build-");
            InstancePaths p = new InstancePaths(copy);
            Files.write(p.occlumJson(), json);
            copyTree(instance.image(), p.image());
            Cli quiet = new Cli(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                    new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), cli.env, copy, cli.clock);
            new InstanceBuild(quiet, p, new InstanceBuild.Options(BuildRequest.of(SgxMode.HW, edmm), true, null)).run();
            return BuiltEnclave.load(p);
        } catch (IOException e) {
            throw Instance.io("cannot make a build of " + instance.root() + " to replay in", e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path s : (Iterable<Path>) walk::iterator) {
                Path d = to.resolve(from.relativize(s).toString());
                if (Files.isSymbolicLink(s)) {
                    Files.createSymbolicLink(d, Files.readSymbolicLink(s));
                } else if (Files.isDirectory(s)) {
                    Files.createDirectories(d);
                } else {
                    Files.copy(s, d);
                }
            }
        }
    }

    /** Replays {@code events} in {@code built} on the default platform. */
    static ReplayRun.Outcome replay(Cli cli, BuiltEnclave built, List<TraceEvent> events, Replay.Touch touch) {
        try {
            return ReplayRun.run(built, BootOptions.defaults().withPlatform(PlatformSettings.defaults())
                    .withStdio(java.io.InputStream.nullInputStream(), java.io.OutputStream.nullOutputStream(), cli.err),
                    events, touch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while replaying.");
        } catch (io.jocclum.libos.boot.BootException e) {
            throw new UserError(e.getMessage());
        } catch (TraceFormatException e) {
            throw new UserError(UNREADABLE, "the trace cannot be replayed: " + e.getMessage() + ".");
        }
    }

    /** A temporary directory for builds, removed by {@code cleanup}. */
    static Path workDir(Consumer<Path> register) {
        try {
            Path d = Files.createTempDirectory("jocclum-replay-");
            register.accept(d);
            return d;
        } catch (IOException e) {
            throw Instance.io("cannot create a temporary directory", e);
        }
    }

    static void delete(Path d) {
        try {
            EnclaveBuilder.deleteTree(d);
        } catch (IOException e) {
            // a temporary directory left behind is not worth failing the command for
        }
    }
}
