package io.jocclum.sgx.attest;

import io.jocclum.dcap.TcbStatus;
import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The declarative TCB description of a simulated platform (the {@code tcb} object of the platform
 * file): what its TCB info and QE identity say, which level the platform is at, what is revoked and
 * when the collateral was issued and must be renewed. Every verdict a DCAP verifier can give is one
 * edit away: point {@code current} at a level of another status, give the QE an older ISVSVN,
 * revoke the PCK certificate, or move {@code next_update} into the past.
 *
 * @param fmspc                   FMSPC (6 bytes): the platform model the TCB info is for
 * @param pceId                   PCE-ID (2 bytes)
 * @param sgxType                 the PCK certificate's SGX type
 * @param caType                  which intermediate CA issues the PCK certificate
 * @param levels                  the TCB info's levels, newest first (16 SGX TCB component SVNs + PCESVN each)
 * @param current                 the platform's own TCB: CPUSVN (the 16 component SVNs) and the PCE's ISVSVN
 * @param qe                      the QE's ISVSVN and the QE identity's levels
 * @param revoked                 what the CRLs revoke: {@code "pck"} (this platform's PCK certificate),
 *                                {@code "pck_ca"} (the intermediate CA, in the root CA CRL) or serial
 *                                numbers in hex (put in the PCK CRL)
 * @param issueDate               issueDate of TCB info and QE identity, thisUpdate of the CRLs
 * @param nextUpdate              nextUpdate of all four
 * @param tcbEvaluationDataNumber tcbEvaluationDataNumber of TCB info and QE identity
 */
public record TcbSpec(byte[] fmspc, byte[] pceId, SgxType sgxType, CaType caType, List<Level> levels, Tcb current, Qe qe,
                      List<String> revoked, Instant issueDate, Instant nextUpdate, int tcbEvaluationDataNumber) {

    /** The SGX type of the PCK certificate's extension (ENUMERATED). */
    public enum SgxType {
        STANDARD("Standard"), SCALABLE("Scalable"), SCALABLE_WITH_INTEGRITY("ScalableWithIntegrity");

        private final String json;

        SgxType(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }
    }

    /** The issuer of PCK certificates: the Processor CA or the Platform CA (which adds platform instance fields). */
    public enum CaType {
        PROCESSOR("processor", "Processor"), PLATFORM("platform", "Platform");

        private final String json;
        private final String name;

        CaType(String json, String name) {
            this.json = json;
            this.name = name;
        }

        public String json() {
            return json;
        }

        /** "Processor" or "Platform", as in "Intel SGX PCK Processor CA" and the PCS {@code ca} parameter. */
        public String title() {
            return name;
        }
    }

    /** A TCB: the 16 SGX TCB component SVNs (CPUSVN) and the PCESVN. */
    public record Tcb(int[] components, int pcesvn) {
        public Tcb {
            components = components.clone();
            if (components.length != 16) {
                throw new IllegalArgumentException("a TCB has 16 component SVNs, got " + components.length);
            }
            for (int c : components) {
                if (c < 0 || c > 255) {
                    throw new IllegalArgumentException("component SVN " + c + " is outside 0..255");
                }
            }
            if (pcesvn < 0 || pcesvn > 0xFFFF) {
                throw new IllegalArgumentException("PCESVN " + pcesvn + " is outside 0..65535");
            }
        }

        @Override
        public int[] components() {
            return components.clone();
        }

        /** CPUSVN: the component SVNs as 16 bytes. */
        public byte[] cpuSvn() {
            byte[] b = new byte[16];
            for (int i = 0; i < 16; i++) {
                b[i] = (byte) components[i];
            }
            return b;
        }

        /** True if every component and the PCESVN are at least {@code level}'s (Intel's TCB level match). */
        public boolean atLeast(Tcb level) {
            for (int i = 0; i < 16; i++) {
                if (components[i] < level.components[i]) {
                    return false;
                }
            }
            return pcesvn >= level.pcesvn;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tcb t && Arrays.equals(components, t.components) && pcesvn == t.pcesvn;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(components) * 31 + pcesvn;
        }

        @Override
        public String toString() {
            return Arrays.toString(components) + " pcesvn " + pcesvn;
        }
    }

    /** A TCB info level. */
    public record Level(Tcb tcb, Instant tcbDate, TcbStatus status, List<String> advisoryIds) {
        public Level {
            Objects.requireNonNull(tcb);
            Objects.requireNonNull(tcbDate);
            Objects.requireNonNull(status);
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    /** A QE identity level. */
    public record QeLevel(int isvsvn, Instant tcbDate, TcbStatus status, List<String> advisoryIds) {
        public QeLevel {
            Objects.requireNonNull(tcbDate);
            if (!allowedForQe(status)) {
                throw new IllegalArgumentException("a QE identity level is " + statusNames(true) + ", not " + status.name());
            }
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    /** The QE3's ISVSVN and the QE identity's levels (newest first). */
    public record Qe(int isvsvn, List<QeLevel> levels) {
        public Qe {
            levels = List.copyOf(levels);
        }
    }

    public TcbSpec {
        fmspc = check("fmspc", fmspc, 6);
        pceId = check("pce_id", pceId, 2);
        levels = List.copyOf(levels);
        revoked = List.copyOf(revoked);
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("\"levels\" needs at least one TCB level");
        }
        Objects.requireNonNull(current);
        Objects.requireNonNull(qe);
        Objects.requireNonNull(issueDate);
        Objects.requireNonNull(nextUpdate);
    }

    private static byte[] check(String what, byte[] b, int n) {
        if (b == null || b.length != n) {
            throw new IllegalArgumentException("\"" + what + "\" has " + n + " bytes (" + 2 * n + " hex digits)");
        }
        return b.clone();
    }

    @Override
    public byte[] fmspc() {
        return fmspc.clone();
    }

    @Override
    public byte[] pceId() {
        return pceId.clone();
    }

    /** Default dates: issued 2025-01-01, valid until the end of 2049 (a simulation should not expire by itself). */
    public static final Instant DEFAULT_ISSUE_DATE = Instant.parse("2025-01-01T00:00:00Z");
    public static final Instant DEFAULT_NEXT_UPDATE = Instant.parse("2049-12-31T23:59:59Z");

    private static Level level(int cpu, int config, int pcesvn, String date, TcbStatus status, String... advisories) {
        int[] c = {cpu, cpu, 3, 3, 255, 255, config, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        return new Level(new Tcb(c, pcesvn), Instant.parse(date), status, List.of(advisories));
    }

    /**
     * The default description: an Ice Lake-SP-like FMSPC (00606A000000) with PCK certificates from
     * the Processor CA, and seven levels, one of each status, each a step below the previous in the
     * first two components (the microcode SVNs) or in the seventh (a configuration component):
     * <ol start="0">
     *   <li>[15,15,3,3,255,255,1,0…] PCESVN 13 UpToDate</li>
     *   <li>[15,15,3,3,255,255,0,0…] PCESVN 13 ConfigurationNeeded (INTEL-SA-00289)</li>
     *   <li>[14,14,3,3,255,255,1,0…] PCESVN 13 SWHardeningNeeded (INTEL-SA-00615)</li>
     *   <li>[14,14,3,3,255,255,0,0…] PCESVN 13 ConfigurationAndSWHardeningNeeded (INTEL-SA-00289, INTEL-SA-00615)</li>
     *   <li>[13,13,3,3,255,255,1,0…] PCESVN 13 OutOfDate (INTEL-SA-00828, INTEL-SA-00615)</li>
     *   <li>[13,13,3,3,255,255,0,0…] PCESVN 13 OutOfDateConfigurationNeeded (INTEL-SA-00289, INTEL-SA-00828, INTEL-SA-00615)</li>
     *   <li>[12,12,3,3,255,255,1,0…] PCESVN 11 Revoked (INTEL-SA-00614)</li>
     * </ol>
     * The platform is at level 0; the QE3 has ISVSVN 8 (QE identity: 8 UpToDate, 6 OutOfDate, 0 Revoked);
     * nothing is revoked; tcbEvaluationDataNumber 17.
     */
    public static TcbSpec defaults() {
        List<Level> levels = List.of(
                level(15, 1, 13, "2024-11-13T00:00:00Z", TcbStatus.UpToDate),
                level(15, 0, 13, "2024-11-13T00:00:00Z", TcbStatus.ConfigurationNeeded, "INTEL-SA-00289"),
                level(14, 1, 13, "2024-03-13T00:00:00Z", TcbStatus.SWHardeningNeeded, "INTEL-SA-00615"),
                level(14, 0, 13, "2024-03-13T00:00:00Z", TcbStatus.ConfigurationAndSWHardeningNeeded, "INTEL-SA-00289",
                        "INTEL-SA-00615"),
                level(13, 1, 13, "2023-02-15T00:00:00Z", TcbStatus.OutOfDate, "INTEL-SA-00828", "INTEL-SA-00615"),
                level(13, 0, 13, "2023-02-15T00:00:00Z", TcbStatus.OutOfDateConfigurationNeeded, "INTEL-SA-00289",
                        "INTEL-SA-00828", "INTEL-SA-00615"),
                level(12, 1, 11, "2021-11-10T00:00:00Z", TcbStatus.Revoked, "INTEL-SA-00614"));
        Qe qe = new Qe(8, List.of(
                new QeLevel(8, Instant.parse("2024-03-13T00:00:00Z"), TcbStatus.UpToDate, List.of()),
                new QeLevel(6, Instant.parse("2021-11-10T00:00:00Z"), TcbStatus.OutOfDate, List.of("INTEL-SA-00615")),
                new QeLevel(0, Instant.parse("2018-08-15T00:00:00Z"), TcbStatus.Revoked, List.of("INTEL-SA-00202"))));
        return new TcbSpec(HexFormat.of().parseHex("00606A000000"), new byte[2], SgxType.SCALABLE, CaType.PROCESSOR, levels,
                levels.getFirst().tcb(), qe, List.of(), DEFAULT_ISSUE_DATE, DEFAULT_NEXT_UPDATE, 17);
    }

    /** The same description with the platform at level {@code index} (its CPUSVN and PCESVN). */
    public TcbSpec withCurrentLevel(int index) {
        if (index < 0 || index >= levels.size()) {
            throw new IllegalArgumentException("\"current\" " + index + " is not a level index (0.." + (levels.size() - 1) + ")");
        }
        return withCurrent(levels.get(index).tcb());
    }

    public TcbSpec withCurrent(Tcb tcb) {
        return new TcbSpec(fmspc, pceId, sgxType, caType, levels, tcb, qe, revoked, issueDate, nextUpdate, tcbEvaluationDataNumber);
    }

    public TcbSpec withQe(Qe q) {
        return new TcbSpec(fmspc, pceId, sgxType, caType, levels, current, q, revoked, issueDate, nextUpdate, tcbEvaluationDataNumber);
    }

    public TcbSpec withRevoked(List<String> r) {
        return new TcbSpec(fmspc, pceId, sgxType, caType, levels, current, qe, r, issueDate, nextUpdate, tcbEvaluationDataNumber);
    }

    public TcbSpec withDates(Instant issue, Instant next) {
        return new TcbSpec(fmspc, pceId, sgxType, caType, levels, current, qe, revoked, issue, next, tcbEvaluationDataNumber);
    }

    public TcbSpec withCaType(CaType c) {
        return new TcbSpec(fmspc, pceId, sgxType, c, levels, current, qe, revoked, issueDate, nextUpdate, tcbEvaluationDataNumber);
    }

    /**
     * The TCB info level the platform matches as Intel's verification picks it: the first level (in
     * the documents' descending order) whose every component and PCESVN the platform's are at least;
     * null if none.
     */
    public Level matchedLevel() {
        List<Level> sorted = new ArrayList<>(levels);
        sorted.sort((a, b) -> {
            int[] x = a.tcb().components;
            int[] y = b.tcb().components;
            for (int i = 0; i < 16; i++) {
                if (x[i] != y[i]) {
                    return Integer.compare(y[i], x[i]);
                }
            }
            return Integer.compare(b.tcb().pcesvn(), a.tcb().pcesvn());
        });
        for (Level l : sorted) {
            if (current.atLeast(l.tcb())) {
                return l;
            }
        }
        return null;
    }

    /** The QE identity level the QE's ISVSVN matches (the first with isvsvn <= it), or null. */
    public QeLevel matchedQeLevel() {
        return qe.levels().stream().sorted((a, b) -> Integer.compare(b.isvsvn(), a.isvsvn()))
                .filter(l -> l.isvsvn() <= qe.isvsvn()).findFirst().orElse(null);
    }

    // ================================================================================ parsing

    /** The keys of the {@code tcb} object. */
    public static final List<String> KEYS = List.of("fmspc", "pce_id", "sgx_type", "ca", "levels", "current", "qe", "revoked",
            "issue_date", "next_update", "tcb_evaluation_data_number");

    /**
     * Reads a {@code tcb} object over {@code base} (every key optional). IllegalArgumentException
     * with one sentence naming the bad key (as {@code at.key}) and what is allowed.
     */
    public static TcbSpec parse(JsonNode node, String at, TcbSpec base) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(at + " must be an object such as {\"current\": 2}");
        }
        byte[] fmspc = base.fmspc;
        byte[] pceId = base.pceId;
        SgxType sgxType = base.sgxType;
        CaType ca = base.caType;
        List<Level> levels = base.levels;
        Qe qe = base.qe;
        List<String> revoked = base.revoked;
        Instant issue = base.issueDate;
        Instant next = base.nextUpdate;
        int eval = base.tcbEvaluationDataNumber;
        for (String key : node.propertyNames()) {
            JsonNode v = node.get(key);
            String k = at + "." + key;
            switch (key) {
                case "fmspc" -> fmspc = hex(k, v, 6);
                case "pce_id" -> pceId = hex(k, v, 2);
                case "sgx_type" -> sgxType = choice(k, v, SgxType.values(), SgxType::json);
                case "ca" -> ca = choice(k, v, CaType.values(), CaType::json);
                case "levels" -> levels = levels(k, v);
                case "qe" -> qe = qe(k, v, qe);
                case "revoked" -> revoked = revoked(k, v);
                case "issue_date" -> issue = date(k, v);
                case "next_update" -> next = date(k, v);
                case "tcb_evaluation_data_number" -> eval = integer(k, v, 0, Integer.MAX_VALUE);
                case "current" -> {
                    // resolved below, against the final levels
                }
                default -> throw new IllegalArgumentException("\"" + k + "\" is not a TCB setting; the keys are "
                        + String.join(", ", KEYS));
            }
        }
        Tcb current = levels == base.levels ? base.current : levels.getFirst().tcb();
        JsonNode c = node.get("current");
        if (c != null) {
            String k = at + ".current";
            if (c.isIntegralNumber()) {
                int i = integer(k, c, 0, levels.size() - 1);
                current = levels.get(i).tcb();
            } else if (c.isObject()) {
                current = tcb(k, c);
            } else {
                throw new IllegalArgumentException("\"" + k + "\" must be a level index (0.." + (levels.size() - 1)
                        + ") or a TCB such as {\"components\": [15,15,3,3,255,255,1,0,0,0,0,0,0,0,0,0], \"pcesvn\": 13}");
            }
        }
        try {
            return new TcbSpec(fmspc, pceId, sgxType, ca, levels, current, qe, revoked, issue, next, eval);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
        }
    }

    private static List<Level> levels(String at, JsonNode v) {
        if (!v.isArray() || v.isEmpty()) {
            throw new IllegalArgumentException("\"" + at + "\" must be a non-empty array of levels such as {\"components\": [...16 SVNs],"
                    + " \"pcesvn\": 13, \"status\": \"UpToDate\", \"date\": \"2024-03-13T00:00:00Z\", \"advisories\": []}");
        }
        List<Level> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode l = v.get(i);
            String k = at + "[" + i + "]";
            if (!l.isObject()) {
                throw new IllegalArgumentException("\"" + k + "\" must be an object");
            }
            only(k, l, "components", "pcesvn", "status", "date", "advisories");
            Tcb tcb = tcb(k, l);
            TcbStatus s = status(k + ".status", l.get("status"), false);
            Instant d = l.has("date") ? date(k + ".date", l.get("date")) : DEFAULT_ISSUE_DATE;
            out.add(new Level(tcb, d, s, strings(k + ".advisories", l.get("advisories"))));
        }
        return out;
    }

    private static Qe qe(String at, JsonNode v, Qe base) {
        if (!v.isObject()) {
            throw new IllegalArgumentException("\"" + at + "\" must be an object such as {\"isvsvn\": 8}");
        }
        only(at, v, "isvsvn", "levels");
        int svn = v.has("isvsvn") ? integer(at + ".isvsvn", v.get("isvsvn"), 0, 0xFFFF) : base.isvsvn();
        List<QeLevel> levels = base.levels();
        JsonNode ls = v.get("levels");
        if (ls != null) {
            if (!ls.isArray() || ls.isEmpty()) {
                throw new IllegalArgumentException("\"" + at + ".levels\" must be a non-empty array such as [{\"isvsvn\": 8,"
                        + " \"status\": \"UpToDate\"}]");
            }
            levels = new ArrayList<>();
            for (int i = 0; i < ls.size(); i++) {
                JsonNode l = ls.get(i);
                String k = at + ".levels[" + i + "]";
                if (!l.isObject()) {
                    throw new IllegalArgumentException("\"" + k + "\" must be an object");
                }
                only(k, l, "isvsvn", "status", "date", "advisories");
                if (!l.has("isvsvn")) {
                    throw new IllegalArgumentException("\"" + k + ".isvsvn\" is missing");
                }
                levels.add(new QeLevel(integer(k + ".isvsvn", l.get("isvsvn"), 0, 0xFFFF),
                        l.has("date") ? date(k + ".date", l.get("date")) : DEFAULT_ISSUE_DATE,
                        status(k + ".status", l.get("status"), true), strings(k + ".advisories", l.get("advisories"))));
            }
        }
        return new Qe(svn, levels);
    }

    private static Tcb tcb(String at, JsonNode v) {
        JsonNode c = v.get("components");
        if (c == null || !c.isArray() || c.size() != 16) {
            throw new IllegalArgumentException("\"" + at + ".components\" must be an array of 16 SVNs (0..255)");
        }
        int[] comps = new int[16];
        for (int i = 0; i < 16; i++) {
            comps[i] = integer(at + ".components[" + i + "]", c.get(i), 0, 255);
        }
        if (!v.has("pcesvn")) {
            throw new IllegalArgumentException("\"" + at + ".pcesvn\" is missing");
        }
        return new Tcb(comps, integer(at + ".pcesvn", v.get("pcesvn"), 0, 0xFFFF));
    }

    private static TcbStatus status(String at, JsonNode v, boolean qe) {
        TcbStatus s = v != null && v.isString() ? TcbStatus.parse(v.stringValue()) : null;
        if (s == null || (qe && !allowedForQe(s))) {
            throw new IllegalArgumentException("\"" + at + "\" must be one of " + statusNames(qe));
        }
        return s;
    }

    /** QE identity levels are UpToDate, OutOfDate or Revoked (Intel PCS API, QE identity v2). */
    static boolean allowedForQe(TcbStatus s) {
        return s == TcbStatus.UpToDate || s == TcbStatus.OutOfDate || s == TcbStatus.Revoked;
    }

    private static String statusNames(boolean qe) {
        return String.join(", ", Arrays.stream(TcbStatus.values()).filter(t -> !qe || allowedForQe(t)).map(Enum::name).toList());
    }

    private static List<String> revoked(String at, JsonNode v) {
        List<String> out = strings(at, v);
        for (String s : out) {
            if (!s.equals("pck") && !s.equals("pck_ca") && !s.matches("[0-9a-fA-F]{1,40}")) {
                throw new IllegalArgumentException("\"" + at + "\" entry \"" + s + "\" is not \"pck\", \"pck_ca\" or a serial"
                        + " number in hex");
            }
        }
        return out.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    private static List<String> strings(String at, JsonNode v) {
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException("\"" + at + "\" must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isString()) {
                throw new IllegalArgumentException("\"" + at + "\" must be an array of strings");
            }
            out.add(e.stringValue());
        }
        return out;
    }

    private static void only(String at, JsonNode v, String... keys) {
        for (String k : v.propertyNames()) {
            if (!List.of(keys).contains(k)) {
                throw new IllegalArgumentException("\"" + at + "." + k + "\" is not allowed; the keys are " + String.join(", ", keys));
            }
        }
    }

    private static byte[] hex(String at, JsonNode v, int n) {
        if (v.isString() && v.stringValue().matches("[0-9a-fA-F]{" + 2 * n + "}")) {
            return HexFormat.of().parseHex(v.stringValue());
        }
        throw new IllegalArgumentException("\"" + at + "\" must be " + 2 * n + " hex digits");
    }

    private static Instant date(String at, JsonNode v) {
        if (v.isString()) {
            try {
                return Instant.parse(v.stringValue());
            } catch (DateTimeParseException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("\"" + at + "\" must be a UTC time such as \"2025-01-01T00:00:00Z\"");
    }

    private static int integer(String at, JsonNode v, int min, int max) {
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
            throw new IllegalArgumentException("\"" + at + "\" must be an integer in " + min + ".." + max);
        }
        return v.intValue();
    }

    private static <T> T choice(String at, JsonNode v, T[] values, java.util.function.Function<T, String> name) {
        if (v.isString()) {
            for (T t : values) {
                if (name.apply(t).equals(v.stringValue())) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException("\"" + at + "\" must be one of " + String.join(", ",
                Arrays.stream(values).map(name).toList()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcbSpec t && Arrays.equals(fmspc, t.fmspc) && Arrays.equals(pceId, t.pceId) && sgxType == t.sgxType
                && caType == t.caType && levels.equals(t.levels) && current.equals(t.current) && qe.equals(t.qe)
                && revoked.equals(t.revoked) && issueDate.equals(t.issueDate) && nextUpdate.equals(t.nextUpdate)
                && tcbEvaluationDataNumber == t.tcbEvaluationDataNumber;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(fmspc), levels, current, qe, revoked, issueDate, nextUpdate);
    }
}
