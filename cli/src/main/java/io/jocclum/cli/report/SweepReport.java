package io.jocclum.cli.report;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The report of a parameter sweep: DIR/sweep.json in, DIR/index.html out. */
public final class SweepReport {
    private SweepReport() {
    }

    /** Reads DIR/sweep.json and writes DIR/index.html (self-contained). */
    public static void write(Path sweepDir) throws IOException {
        Path data = sweepDir.resolve("sweep.json");
        JsonNode root;
        try {
            root = JsonMapper.builder().build().readTree(Files.readAllBytes(data));
        } catch (JacksonException e) {
            throw new IOException(data + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (!"jocclum-sweep/1".equals(root.path("schema").asString(""))) {
            throw new IOException(data + ": $.schema must be \"jocclum-sweep/1\".");
        }
        String name = root.path("name").asString("sweep");
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                + ScenarioReport.escape(name) + "</title></head><body><h1>" + ScenarioReport.escape(name)
                + "</h1></body></html>\n";
        Files.writeString(sweepDir.resolve("index.html"), html, StandardCharsets.UTF_8);
    }
}
