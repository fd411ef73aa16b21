package io.jocclum.cli.report;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The report of one scenario run: DIR/data.json in, DIR/index.html out. */
public final class ScenarioReport {
    private ScenarioReport() {
    }

    /** Reads DIR/data.json (written by the engine) and writes DIR/index.html (self-contained). */
    public static void write(Path reportDir) throws IOException {
        Path data = reportDir.resolve("data.json");
        JsonNode root;
        try {
            root = JsonMapper.builder().build().readTree(Files.readAllBytes(data));
        } catch (JacksonException e) {
            throw new IOException(data + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (!"jocclum-scenario/1".equals(root.path("schema").asString(""))) {
            throw new IOException(data + ": $.schema must be \"jocclum-scenario/1\".");
        }
        String name = root.path("name").asString("scenario");
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
                + escape(name) + "</title></head><body><h1>" + escape(name) + "</h1></body></html>\n";
        Files.writeString(reportDir.resolve("index.html"), html, StandardCharsets.UTF_8);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
