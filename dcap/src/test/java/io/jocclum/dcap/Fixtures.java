package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;

/** The two genuine quotes with their collateral (test resources under fixtures/). */
public enum Fixtures {
    PHALA("phala", "sgx_quote", "sgx_quote_collateral.json"),
    UDSAMANI("udsamani", "quote_sgx.bin", "full_collateral_sgx.json");

    private final String dir;
    private final String quote;
    private final String collateral;

    Fixtures(String dir, String quote, String collateral) {
        this.dir = dir;
        this.quote = quote;
        this.collateral = collateral;
    }

    public static byte[] resource(String path) {
        try (InputStream in = Fixtures.class.getResourceAsStream("fixtures/" + path)) {
            if (in == null) {
                throw new IllegalStateException("no test resource fixtures/" + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public byte[] quote() {
        return resource(dir + "/" + quote);
    }

    public byte[] collateralJson() {
        return resource(dir + "/" + collateral);
    }

    public Collateral collateral() {
        return Collateral.fromJson(collateralJson());
    }

    /** The collateral written in the directory layout under {@code parent}. */
    public Collateral collateralDirectory(Path parent) {
        try {
            Path d = parent.resolve(dir + "-collateral");
            collateral().writeDirectory(d);
            return Collateral.fromDirectory(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode expected() {
        return JsonMapper.builder().build().readTree(resource(dir + "/expected.json"));
    }

    /** The time the fixture's README says to verify at. */
    public Instant at() {
        return Instant.ofEpochSecond(expected().get("verification_time_unix").longValue());
    }

    /** Start and end of the window in which all collateral is valid. */
    public Instant windowStart() {
        return Instant.parse(expected().get("collateral_common_validity_window_utc").get(0).stringValue());
    }

    public Instant windowEnd() {
        return Instant.parse(expected().get("collateral_common_validity_window_utc").get(1).stringValue());
    }
}
