package io.jocclum.bench.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A native anchor serving rounds ({@code native/anchor.h}): started once per fork with
 * {@code --serve}, it does its set-up, prints {@code entries: NAME E} for each of its figures and
 * {@code ready}; then each {@code round MS} line on its standard input runs one round of at least
 * MS milliseconds, which prints {@code result: NAME VALUE UNIT} per figure, then
 * {@code null-syscall: NS ns} (the host's getppid cost measured right after) and {@code end}. It
 * runs in the fork's CPU set, so it is pinned exactly when ours is.
 */
final class NativeSide implements AutoCloseable {
    /** One figure of one round. */
    record Score(String name, double value, String unit) {
    }

    /** What one round printed. */
    record RoundResult(List<Score> scores, double nullSyscallNs) {
    }

    private final String command;
    private final Process process;
    private final BufferedReader in;
    private final Writer out;
    private final Map<String, Double> entries = new LinkedHashMap<>();

    NativeSide(List<String> cmd) throws IOException {
        command = String.join(" ", cmd);
        List<String> c = new ArrayList<>(cmd);
        c.add(1, "--serve");
        process = new ProcessBuilder(c).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        out = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        for (String line = readLine(); !line.equals("ready"); line = readLine()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals("entries:")) {
                entries.put(f[1], Double.parseDouble(f[2]));
            }
        }
    }

    /** Kernel entries per unit of work of each figure, as the anchor declares them. */
    Map<String, Double> entries() {
        return entries;
    }

    RoundResult round(long budgetMs) throws IOException {
        out.write("round " + budgetMs + "\n");
        out.flush();
        List<Score> scores = new ArrayList<>();
        double nullNs = Double.NaN;
        for (String line = readLine(); !line.equals("end"); line = readLine()) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && f[0].equals("result:")) {
                scores.add(new Score(f[1], Double.parseDouble(f[2]), f[3]));
            } else if (f.length == 3 && f[0].equals("null-syscall:")) {
                nullNs = Double.parseDouble(f[1]);
            }
        }
        if (scores.isEmpty()) {
            throw new IOException("native anchor " + command + " printed no result in a round");
        }
        return new RoundResult(scores, nullNs);
    }

    private String readLine() throws IOException {
        String line = in.readLine();
        if (line == null) {
            int status;
            try {
                status = process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = -1;
            }
            throw new IOException("native anchor " + command + " ended (status " + status + ")");
        }
        return line;
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
            if (process.waitFor() != 0) {
                throw new IOException("native anchor " + command + " exited with status " + process.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroy();
        }
    }
}
