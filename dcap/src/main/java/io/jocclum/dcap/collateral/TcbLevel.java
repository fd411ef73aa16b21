package io.jocclum.dcap.collateral;

import io.jocclum.dcap.TcbStatus;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * One platform TCB level of a TCB info: the 16 SGX TCB component SVNs and PCESVN it requires, its
 * date, status and advisories.
 *
 * @param sgxComponents the 16 SGX TCB component SVNs
 * @param pceSvn        PCESVN
 * @param tcbDate       {@code tcbDate}
 * @param status        {@code tcbStatus}
 * @param advisoryIds   {@code advisoryIDs} (empty when absent)
 */
public record TcbLevel(int[] sgxComponents, int pceSvn, Instant tcbDate, TcbStatus status, List<String> advisoryIds)
        implements Comparable<TcbLevel> {
    public TcbLevel {
        if (sgxComponents.length != 16) {
            throw new IllegalArgumentException("a TCB level has 16 SGX components");
        }
        sgxComponents = sgxComponents.clone();
        advisoryIds = List.copyOf(advisoryIds);
    }

    @Override
    public int[] sgxComponents() {
        return sgxComponents.clone();
    }

    /** SGX TCB component SVN {@code i} (0-15). */
    public int sgxComponent(int i) {
        return sgxComponents[i];
    }

    /**
     * QVL's order of TCB levels (a set ordered by {@code std::greater}): components compared
     * lexicographically, then PCESVN; {@link TcbInfo#levels()} is sorted descending by it.
     */
    @Override
    public int compareTo(TcbLevel o) {
        int c = Arrays.compare(sgxComponents, o.sgxComponents);
        return c != 0 ? c : Integer.compare(pceSvn, o.pceSvn);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcbLevel t && Arrays.equals(sgxComponents, t.sgxComponents) && pceSvn == t.pceSvn
                && tcbDate.equals(t.tcbDate) && status == t.status && advisoryIds.equals(t.advisoryIds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sgxComponents) * 31 + pceSvn;
    }

    @Override
    public String toString() {
        return "TcbLevel[" + Arrays.toString(sgxComponents) + ", pceSvn=" + pceSvn + ", " + tcbDate + ", " + status
                + (advisoryIds.isEmpty() ? "" : ", " + advisoryIds) + "]";
    }
}
