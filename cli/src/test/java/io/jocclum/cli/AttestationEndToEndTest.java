package io.jocclum.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attestation evidence end to end: for every programmed TCB state of the platform file, a quote
 * made in an enclave by {@code /bin/dcap-test} gets the expected verdict from VER_DCAP_QUOTE inside
 * the enclave and from {@code jocclum quote verify} on the host with the collateral of
 * {@code jocclum collateral export} and the simulated root; Intel's root rejects it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttestationEndToEndTest {
    @TempDir
    static Path tmp;
    Path inst;
    private final JsonMapper json = JsonMapper.builder().build();

    /**
     * A programmed state.
     *
     * @param name        what it is
     * @param tcb         the platform file's {@code tcb} object
     * @param inEnclave   the verdict VER_DCAP_QUOTE returns, or null when the ioctl must fail (terminal verdicts)
     * @param host        the verdict of {@code jocclum quote verify}
     * @param expired     the collateral expiration status
     */
    record State(String name, String tcb, String inEnclave, String host, boolean expired) {
    }

    static final List<State> STATES = List.of(
            new State("up-to-date", "{\"current\": 0}", "SGX_QL_QV_RESULT_OK", "SGX_QL_QV_RESULT_OK", false),
            new State("configuration-needed", "{\"current\": 1}", "SGX_QL_QV_RESULT_CONFIG_NEEDED",
                    "SGX_QL_QV_RESULT_CONFIG_NEEDED", false),
            new State("sw-hardening-needed", "{\"current\": 2}", "SGX_QL_QV_RESULT_SW_HARDENING_NEEDED",
                    "SGX_QL_QV_RESULT_SW_HARDENING_NEEDED", false),
            new State("configuration-and-sw-hardening-needed", "{\"current\": 3}",
                    "SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED", "SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED", false),
            new State("out-of-date", "{\"current\": 4}", "SGX_QL_QV_RESULT_OUT_OF_DATE", "SGX_QL_QV_RESULT_OUT_OF_DATE", false),
            new State("out-of-date-configuration-needed", "{\"current\": 5}", "SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED",
                    "SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED", false),
            new State("revoked-tcb-level", "{\"current\": 6}", null, "SGX_QL_QV_RESULT_REVOKED", false),
            new State("revoked-pck", "{\"revoked\": [\"pck\"]}", null, "SGX_QL_QV_RESULT_REVOKED", false),
            new State("out-of-date-qe", "{\"qe\": {\"isvsvn\": 7}}", "SGX_QL_QV_RESULT_OUT_OF_DATE", "SGX_QL_QV_RESULT_OUT_OF_DATE",
                    false),
            new State("expired-collateral", "{\"issue_date\": \"2025-01-01T00:00:00Z\", \"next_update\": \"2025-02-01T00:00:00Z\"}",
                    "SGX_QL_QV_RESULT_OK", "SGX_QL_QV_RESULT_OK", true));

    @BeforeAll
    void build() throws IOException {
        assertThat(Run.jocclum(tmp, "new", "att").exit()).isZero();
        inst = tmp.resolve("att");
        Path j = inst.resolve("Occlum.json");
        Files.writeString(j, Files.readString(j).replace("\"300MB\"", "\"64MB\"").replace("\"32MB\"", "\"8MB\"")
                .replace("\"100MB\"", "\"8MB\"").replace("\"4MB\"", "\"256KB\""));
        Run.Result r = Run.jocclum(inst, "build", "--sign-key", Run.key(tmp, "key-a.pem").toString());
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @Test
    void everyProgrammedStateGetsItsVerdictInTheEnclaveAndOnTheHost() throws IOException {
        List<String> failures = new ArrayList<>();
        for (State s : STATES) {
            Path platform = tmp.resolve(s.name() + ".json");
            Files.writeString(platform, "{\"seed\": 5, \"tcb\": " + s.tcb() + "}");
            Run.Result run = Run.jocclum(inst, "run", "--platform", platform.toString(), "/bin/dcap-test", "--report-data",
                    "state " + s.name(), "--quote-out", "/host/" + s.name() + ".quote");
            Path quote = inst.resolve(s.name() + ".quote");
            assertThat(quote).as(s.name() + ": " + run.out() + run.err()).exists();
            assertThat(run.out()).contains("DCAP generate quote successfully", "'state " + s.name() + "' exactly matches.");
            if (s.inEnclave() == null) {
                assertThat(run.exit()).as(s.name()).isEqualTo(1);
                assertThat(run.out()).as(s.name()).contains("OS error: Invalid argument (os error 22)", "DCAP verify quote failed");
            } else {
                assertThat(run.exit()).as(s.name() + ": " + run.out()).isZero();
                assertThat(run.out()).as(s.name()).contains("Quote verification result: " + s.inEnclave(),
                        "Collateral expiration status: " + (s.expired() ? 1 : 0));
            }

            Path dir = tmp.resolve("collateral-" + s.name());
            Run.Result export = Run.jocclum(tmp, "collateral", "export", dir.toString(), "--platform", platform.toString());
            assertThat(export.exit()).as(export.err()).isZero();
            assertThat(dir.resolve("root_ca.pem")).exists();
            Run.Result verify = Run.jocclum(tmp, "quote", "verify", quote.toString(), "--collateral", dir.toString(), "--root",
                    dir.resolve("root_ca.pem").toString(), "--json");
            JsonNode v = json.readTree(verify.out());
            if (!v.get("result").stringValue().equals(s.host()) || v.get("collateralExpired").booleanValue() != s.expired()) {
                failures.add(s.name() + ": host verdict " + v.get("result").stringValue() + " expired "
                        + v.get("collateralExpired").booleanValue() + " (" + v.get("detail").stringValue() + ")");
            }
            assertThat(verify.exit()).as(s.name()).isEqualTo(s.inEnclave() == null ? 1 : 0);
            assertThat(v.get("quote").get("reportData").stringValue()).as("the report data reaches the host")
                    .startsWith(java.util.HexFormat.of().formatHex(("state " + s.name()).getBytes()));

            Run.Result intel = Run.jocclum(tmp, "quote", "verify", quote.toString(), "--collateral", dir.toString(), "--json");
            assertThat(intel.exit()).as(s.name() + " under Intel's root").isEqualTo(1);
            assertThat(json.readTree(intel.out()).get("result").stringValue()).isNotEqualTo(s.host());
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void exportNamesTheRootTheSerialsAndTheExpectedState() throws IOException {
        Path platform = tmp.resolve("p.json");
        Files.writeString(platform, "{\"tcb\": {\"current\": 2}}");
        Run.Result r = Run.jocclum(tmp, "collateral", "export", "out", "--platform", platform.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("jocclum Simulated SGX Root CA", "PCK certificate", "SWHardeningNeeded [INTEL-SA-00615]",
                "jocclum quote verify QUOTE --collateral out --root out/root_ca.pem");
        Run.Result again = Run.jocclum(tmp, "collateral", "export", "out2", "--platform", platform.toString());
        assertThat(Files.readAllBytes(tmp.resolve("out2/tcb_info.json"))).as("reproducible")
                .isEqualTo(Files.readAllBytes(tmp.resolve("out/tcb_info.json")));
        assertThat(again.exit()).isZero();
        Files.writeString(platform, "{\"tcb\": {\"current\": 42}}");
        Run.Result bad = Run.jocclum(tmp, "collateral", "export", "out3", "--platform", platform.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("\"tcb.current\" must be an integer in 0..6");
    }
}
