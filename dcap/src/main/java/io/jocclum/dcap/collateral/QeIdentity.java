package io.jocclum.dcap.collateral;

import io.jocclum.dcap.TcbStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The signed body of an Intel enclave identity, version 2 ({@code enclaveIdentity} of the PCS "Get
 * Quoting Enclave Identity" response).
 *
 * @param version                 2
 * @param id                      "QE" (SGX), "TD_QE" (TDX) or "QVE"
 * @param issueDate               {@code issueDate}
 * @param nextUpdate              {@code nextUpdate}
 * @param tcbEvaluationDataNumber {@code tcbEvaluationDataNumber}
 * @param miscselect              {@code miscselect} (4 bytes, in the report's byte order)
 * @param miscselectMask          {@code miscselectMask}
 * @param attributes              {@code attributes} (16 bytes)
 * @param attributesMask          {@code attributesMask}
 * @param mrsigner                {@code mrsigner} (32 bytes)
 * @param isvProdId               {@code isvprodid}
 * @param levels                  TCB levels by descending ISVSVN
 */
public record QeIdentity(int version, String id, Instant issueDate, Instant nextUpdate, long tcbEvaluationDataNumber,
                         byte[] miscselect, byte[] miscselectMask, byte[] attributes, byte[] attributesMask, byte[] mrsigner,
                         int isvProdId, List<Level> levels) {
    static final String ITEM = "qe_identity";

    /**
     * One QE TCB level.
     *
     * @param isvSvn      minimum ISVSVN
     * @param tcbDate     {@code tcbDate}
     * @param status      UpToDate, OutOfDate or Revoked
     * @param advisoryIds {@code advisoryIDs} (empty when absent)
     */
    public record Level(int isvSvn, Instant tcbDate, TcbStatus status, List<String> advisoryIds) {
        public Level {
            advisoryIds = List.copyOf(advisoryIds);
        }
    }

    public QeIdentity {
        miscselect = miscselect.clone();
        miscselectMask = miscselectMask.clone();
        attributes = attributes.clone();
        attributesMask = attributesMask.clone();
        mrsigner = mrsigner.clone();
        levels = List.copyOf(levels);
    }

    @Override
    public byte[] miscselect() {
        return miscselect.clone();
    }

    @Override
    public byte[] miscselectMask() {
        return miscselectMask.clone();
    }

    @Override
    public byte[] attributes() {
        return attributes.clone();
    }

    @Override
    public byte[] attributesMask() {
        return attributesMask.clone();
    }

    @Override
    public byte[] mrsigner() {
        return mrsigner.clone();
    }

    /** MISCSELECT as QVL reads the hex: in the report's (little-endian) byte order. */
    public long miscselectValue() {
        return le32(miscselect);
    }

    /** MISCSELECT mask, read like {@link #miscselectValue()}. */
    public long miscselectMaskValue() {
        return le32(miscselectMask);
    }

    private static long le32(byte[] b) {
        return (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
    }

    /** Parses the signed body (the value of {@code enclaveIdentity}). */
    public static QeIdentity parse(byte[] body, String path) {
        Json j = Json.parse(ITEM, path, body).object();
        int version = j.field("version").integer(0, Integer.MAX_VALUE);
        if (version != 2) {
            throw j.field("version").error("QE identity version " + version + " is not supported (supported: 2)");
        }
        Json idj = j.field("id");
        String id = idj.string();
        if (!id.equals("QE") && !id.equals("TD_QE") && !id.equals("QVE")) {
            throw idj.error("enclave identity id '" + id + "' is not supported (supported: QE, TD_QE, QVE)");
        }
        Instant issue = j.field("issueDate").date();
        Instant next = j.field("nextUpdate").date();
        long eval = j.field("tcbEvaluationDataNumber").integer(0L, 0xFFFFFFFFL);
        byte[] misc = j.field("miscselect").hex(4);
        byte[] miscMask = j.field("miscselectMask").hex(4);
        byte[] attr = j.field("attributes").hex(16);
        byte[] attrMask = j.field("attributesMask").hex(16);
        byte[] mrsigner = j.field("mrsigner").hex(32);
        int prod = j.field("isvprodid").integer(0, 65535);
        List<Level> levels = new ArrayList<>();
        List<Json> arr = j.field("tcbLevels").array();
        if (arr.isEmpty()) {
            throw j.field("tcbLevels").error("a QE identity needs at least one TCB level");
        }
        for (Json l : arr) {
            l.object();
            int svn = l.field("tcb").object().field("isvsvn").integer(0, 65535);
            Instant date = l.field("tcbDate").date();
            Json st = l.field("tcbStatus");
            TcbStatus status = TcbStatus.parse(st.string());
            if (status != TcbStatus.UpToDate && status != TcbStatus.OutOfDate && status != TcbStatus.Revoked) {
                throw st.error("'" + st.string() + "' is not a QE TCB status (allowed: UpToDate, OutOfDate, Revoked)");
            }
            levels.add(new Level(svn, date, status, TcbInfo.advisories(l)));
        }
        levels.sort(Comparator.comparingInt(Level::isvSvn).reversed());
        return new QeIdentity(version, id, issue, next, eval, misc, miscMask, attr, attrMask, mrsigner, prod, levels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QeIdentity q && version == q.version && id.equals(q.id) && issueDate.equals(q.issueDate)
                && nextUpdate.equals(q.nextUpdate) && tcbEvaluationDataNumber == q.tcbEvaluationDataNumber
                && Arrays.equals(miscselect, q.miscselect) && Arrays.equals(miscselectMask, q.miscselectMask)
                && Arrays.equals(attributes, q.attributes) && Arrays.equals(attributesMask, q.attributesMask)
                && Arrays.equals(mrsigner, q.mrsigner) && isvProdId == q.isvProdId && levels.equals(q.levels);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(mrsigner) * 31 + isvProdId;
    }

    @Override
    public String toString() {
        return "QeIdentity[" + id + " v" + version + ", mrsigner=" + HexFormat.of().formatHex(mrsigner) + ", isvprodid=" + isvProdId
                + ", eval=" + tcbEvaluationDataNumber + ", " + issueDate + ".." + nextUpdate + ", " + levels.size() + " levels]";
    }
}
