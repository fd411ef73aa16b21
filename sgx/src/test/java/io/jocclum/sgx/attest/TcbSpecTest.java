package io.jocclum.sgx.attest;

import io.jocclum.dcap.TcbStatus;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TcbSpecTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TcbSpec parse(String json) {
        JsonNode n = JSON.readTree(json);
        return TcbSpec.parse(n, "tcb", TcbSpec.defaults());
    }

    @Test
    void eachDefaultLevelIsMatchedByAPlatformAtIt() {
        TcbSpec d = TcbSpec.defaults();
        for (int i = 0; i < d.levels().size(); i++) {
            assertThat(d.withCurrentLevel(i).matchedLevel()).as("level %d", i).isSameAs(d.levels().get(i));
        }
        assertThat(d.levels().stream().map(TcbSpec.Level::status).distinct()).hasSize(7);
        assertThat(d.matchedQeLevel().status()).isEqualTo(TcbStatus.UpToDate);
        assertThat(d.withQe(new TcbSpec.Qe(7, d.qe().levels())).matchedQeLevel().status()).isEqualTo(TcbStatus.OutOfDate);
    }

    @Test
    void aPlatformBelowEveryLevelMatchesNone() {
        TcbSpec s = parse("{\"current\": {\"components\": [1,1,1,1,1,1,1,0,0,0,0,0,0,0,0,0], \"pcesvn\": 1}}");
        assertThat(s.matchedLevel()).isNull();
        assertThat(s.current().cpuSvn()).startsWith(1, 1, 1);
    }

    @Test
    void everyKeyIsRead() {
        TcbSpec s = parse("""
                {"fmspc": "00906ED50000", "pce_id": "0001", "sgx_type": "Standard", "ca": "platform",
                 "levels": [{"components": [2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2], "pcesvn": 9, "status": "UpToDate",
                             "date": "2024-01-01T00:00:00Z"},
                            {"components": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], "pcesvn": 9, "status": "OutOfDate",
                             "advisories": ["INTEL-SA-00001"]}],
                 "current": 1, "qe": {"isvsvn": 3, "levels": [{"isvsvn": 3, "status": "Revoked"}]},
                 "revoked": ["pck", "ABCD"], "issue_date": "2025-02-01T00:00:00Z", "next_update": "2025-03-01T00:00:00Z",
                 "tcb_evaluation_data_number": 5}""");
        assertThat(s.fmspc()).containsExactly(0x00, 0x90, 0x6E, 0xD5, 0x00, 0x00);
        assertThat(s.pceId()).containsExactly(0, 1);
        assertThat(s.sgxType()).isEqualTo(TcbSpec.SgxType.STANDARD);
        assertThat(s.caType()).isEqualTo(TcbSpec.CaType.PLATFORM);
        assertThat(s.current()).isEqualTo(s.levels().get(1).tcb());
        assertThat(s.matchedLevel().advisoryIds()).containsExactly("INTEL-SA-00001");
        assertThat(s.matchedQeLevel().status()).isEqualTo(TcbStatus.Revoked);
        assertThat(s.revoked()).containsExactly("pck", "abcd");
        assertThat(s.issueDate()).isEqualTo(Instant.parse("2025-02-01T00:00:00Z"));
        assertThat(s.nextUpdate()).isEqualTo(Instant.parse("2025-03-01T00:00:00Z"));
        assertThat(s.tcbEvaluationDataNumber()).isEqualTo(5);
        assertThat(parse("{\"current\": 3}")).isEqualTo(TcbSpec.defaults().withCurrentLevel(3));
        assertThat(parse("{}")).isEqualTo(TcbSpec.defaults());
    }

    @Test
    void badValuesAreNamed() {
        for (String[] c : List.of(
                new String[]{"{\"current\": 9}", "\"tcb.current\" must be an integer in 0..6"},
                new String[]{"{\"current\": \"x\"}", "\"tcb.current\" must be a level index"},
                new String[]{"{\"fmspc\": \"12\"}", "\"tcb.fmspc\" must be 12 hex digits"},
                new String[]{"{\"color\": 1}", "\"tcb.color\" is not a TCB setting"},
                new String[]{"{\"levels\": []}", "\"tcb.levels\" must be a non-empty array"},
                new String[]{"{\"levels\": [{\"components\": [1], \"pcesvn\": 1, \"status\": \"UpToDate\"}]}",
                    "\"tcb.levels[0].components\" must be an array of 16 SVNs"},
                new String[]{"{\"levels\": [{\"components\": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], \"pcesvn\": 1, \"status\": \"Fine\"}]}",
                    "\"tcb.levels[0].status\" must be one of UpToDate, SWHardeningNeeded"},
                new String[]{"{\"qe\": {\"levels\": [{\"isvsvn\": 1, \"status\": \"SWHardeningNeeded\"}]}}",
                    "\"tcb.qe.levels[0].status\" must be one of UpToDate, OutOfDate, Revoked"},
                new String[]{"{\"revoked\": [\"everything\"]}", "entry \"everything\" is not \"pck\""},
                new String[]{"{\"next_update\": \"tomorrow\"}", "\"tcb.next_update\" must be a UTC time"},
                new String[]{"{\"sgx_type\": \"Big\"}", "\"tcb.sgx_type\" must be one of Standard, Scalable, ScalableWithIntegrity"})) {
            assertThatThrownBy(() -> parse(c[0])).as(c[0]).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(c[1]);
        }
    }
}
