package io.jocclum.cli.report;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium for the browser tests: finds the binary (Debian's {@code chromium} package),
 * takes a screenshot of a local page, and collects the console errors it logs to stderr.
 */
public final class Chromium {
    private Chromium() {
    }

    /** The chromium binary on PATH (chromium, then chromium-browser), if any. */
    public static Optional<Path> find() {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : List.of("chromium", "chromium-browser")) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** What one headless run gave: its exit status, its console errors and its stderr. */
    public record Run(int exit, List<String> consoleErrors, String stderr) {
    }

    /** Renders {@code page} at 1280 pixels wide into {@code png}. */
    public static Run screenshot(Path chromium, Path page, Path png, Path profile) throws IOException, InterruptedException {
        Path err = Files.createTempFile(profile.getParent(), "chromium", ".log");
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--window-size=1280,2000",
                "--screenshot=" + png, page.toUri().toString())
                .redirectErrorStream(false).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
        // a guard against a hung browser, not a timing assertion
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("chromium did not finish within 180 s");
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        return new Run(p.exitValue(), consoleErrors(stderr), stderr);
    }

    /**
     * The console errors in chromium's stderr log: CONSOLE lines of level ERROR or WARNING, and any
     * uncaught exception or failed resource load, whatever its level.
     */
    static List<String> consoleErrors(String stderr) {
        List<String> out = new ArrayList<>();
        for (String line : stderr.split("\n")) {
            boolean console = line.contains(":CONSOLE");
            if (console && (line.contains(":ERROR:") || line.contains(":WARNING:") || line.contains("Uncaught")
                    || line.contains("Failed to load") || line.contains("rror"))) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /** Pixels that differ from the most frequent colour (the background), as a fraction, and distinct colours. */
    public record Ink(double fraction, int colours, int width, int height) {
    }

    public static Ink ink(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        Map<Integer, Integer> counts = new HashMap<>();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                counts.merge(img.getRGB(x, y) & 0xffffff, 1, Integer::sum);
            }
        }
        int background = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        long total = (long) img.getWidth() * img.getHeight();
        return new Ink((total - background) / (double) total, counts.size(), img.getWidth(), img.getHeight());
    }
}
