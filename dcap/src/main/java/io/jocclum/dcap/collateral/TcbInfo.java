package io.jocclum.dcap.collateral;

import io.jocclum.dcap.TcbStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The signed body of an Intel TCB info ({@code tcbInfo} of the PCS "Get TCB Info" response), version
 * 2 (PCS API v3) or 3 (PCS API v4), for SGX. TDX TCB infos (version 3, id "TDX") are read far
 * enough to be refused by the verifier as not matching an SGX quote.
 *
 * @param version                 2 or 3
 * @param id                      "SGX" or "TDX" (version 3), null in version 2
 * @param issueDate               {@code issueDate}
 * @param nextUpdate              {@code nextUpdate}
 * @param fmspc                   FMSPC (6 bytes)
 * @param pceId                   PCE-ID (2 bytes)
 * @param tcbType                 {@code tcbType}
 * @param tcbEvaluationDataNumber {@code tcbEvaluationDataNumber}
 * @param levels                  the TCB levels in QVL's order (descending)
 */
public record TcbInfo(int version, String id, Instant issueDate, Instant nextUpdate, byte[] fmspc, byte[] pceId, int tcbType,
                      long tcbEvaluationDataNumber, List<TcbLevel> levels) {
    static final String ITEM = "tcb_info";

    public TcbInfo {
        fmspc = fmspc.clone();
        pceId = pceId.clone();
        levels = List.copyOf(levels);
    }

    @Override
    public byte[] fmspc() {
        return fmspc.clone();
    }

    @Override
    public byte[] pceId() {
        return pceId.clone();
    }

    /** FMSPC as lowercase hex. */
    public String fmspcHex() {
        return HexFormat.of().formatHex(fmspc);
    }

    /** PCE-ID as lowercase hex. */
    public String pceIdHex() {
        return HexFormat.of().formatHex(pceId);
    }

    /**
     * Parses the signed body (the value of {@code tcbInfo}); {@code path} is where it sits in its
     * source, for messages.
     */
    public static TcbInfo parse(byte[] body, String path) {
        Json j = Json.parse(ITEM, path, body).object();
        int version = j.field("version").integer(0, Integer.MAX_VALUE);
        if (version != 2 && version != 3) {
            throw j.field("version").error("TCB info version " + version + " is not supported (supported: 2, 3)");
        }
        String id = null;
        if (version == 3) {
            Json idj = j.field("id");
            id = idj.string();
            if (!id.equals("SGX") && !id.equals("TDX")) {
                throw idj.error("TCB info id '" + id + "' is not supported (supported: SGX, TDX)");
            }
        }
        Instant issue = j.field("issueDate").date();
        Instant next = j.field("nextUpdate").date();
        byte[] fmspc = j.field("fmspc").hex(6);
        byte[] pceId = j.field("pceId").hex(2);
        int tcbType = j.field("tcbType").integer(0, Integer.MAX_VALUE);
        if (tcbType != 0) {
            throw j.field("tcbType").error("TCB type " + tcbType + " is not supported (supported: 0)");
        }
        long eval = j.field("tcbEvaluationDataNumber").integer(0L, 0xFFFFFFFFL);
        List<TcbLevel> levels = new ArrayList<>();
        List<Json> arr = j.field("tcbLevels").array();
        if (arr.isEmpty()) {
            throw j.field("tcbLevels").error("a TCB info needs at least one TCB level");
        }
        for (Json l : arr) {
            levels.add(level(l.object(), version));
        }
        levels.sort(Comparator.reverseOrder());
        return new TcbInfo(version, id, issue, next, fmspc, pceId, tcbType, eval, levels);
    }

    private static TcbLevel level(Json l, int version) {
        Json tcb = l.field("tcb").object();
        int[] comps = new int[16];
        if (version == 2) {
            for (int i = 0; i < 16; i++) {
                comps[i] = tcb.field(String.format("sgxtcbcomp%02dsvn", i + 1)).integer(0, 255);
            }
        } else {
            List<Json> c = tcb.field("sgxtcbcomponents").array();
            if (c.size() != 16) {
                throw tcb.field("sgxtcbcomponents").error("expected 16 SGX TCB components, found " + c.size());
            }
            for (int i = 0; i < 16; i++) {
                comps[i] = c.get(i).object().field("svn").integer(0, 255);
            }
        }
        int pceSvn = tcb.field("pcesvn").integer(0, 65535);
        Instant date = l.field("tcbDate").date();
        Json st = l.field("tcbStatus");
        TcbStatus status = TcbStatus.parse(st.string());
        if (status == null) {
            throw st.error("'" + st.string() + "' is not a TCB status (allowed: " + String.join(", ", TcbStatus.spellings()) + ")");
        }
        return new TcbLevel(comps, pceSvn, date, status, advisories(l));
    }

    static List<String> advisories(Json l) {
        Json adv = l.optional("advisoryIDs");
        List<String> ids = new ArrayList<>();
        if (adv != null) {
            for (Json a : adv.array()) {
                ids.add(a.string());
            }
        }
        return ids;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcbInfo t && version == t.version && java.util.Objects.equals(id, t.id) && issueDate.equals(t.issueDate)
                && nextUpdate.equals(t.nextUpdate) && Arrays.equals(fmspc, t.fmspc) && Arrays.equals(pceId, t.pceId)
                && tcbType == t.tcbType && tcbEvaluationDataNumber == t.tcbEvaluationDataNumber && levels.equals(t.levels);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(fmspc) * 31 + Long.hashCode(tcbEvaluationDataNumber);
    }

    @Override
    public String toString() {
        return "TcbInfo[v" + version + (id == null ? "" : " " + id) + ", fmspc=" + fmspcHex() + ", pceId=" + pceIdHex()
                + ", eval=" + tcbEvaluationDataNumber + ", " + issueDate + ".." + nextUpdate + ", " + levels.size() + " levels]";
    }
}
