package io.jocclum.libos.layout;

import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.image.LoadSink;
import io.jocclum.sgx.image.SecsParams;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Everything a layout must satisfy, checked by every test that plans one: regions sorted,
 * page-aligned, non-overlapping, inside the smallest power-of-two SECS; what is measured is added;
 * guards and EDMM regions are never added at load; sizes agree with Enclave.xml; and the measured
 * table describes exactly these regions.
 */
public final class LayoutInvariants {
    private LayoutInvariants() {
    }

    public static EnclaveLayout check(EnclaveLayout l) {
        EnclaveXml x = l.enclaveXml();
        List<Region> rs = l.regions();
        String ctx = l.toString();
        long prevEnd = 0;
        for (Region r : rs) {
            assertThat(r.offset()).as(ctx + " " + r).isGreaterThanOrEqualTo(prevEnd);
            assertThat(Pages.isAligned(r.offset()) && Pages.isAligned(r.size())).as(r.toString()).isTrue();
            if (r.measured()) {
                assertThat(r.committedAtLoad()).as(r.toString()).isTrue();
            }
            if (r.kind() == RegionKind.GUARD || r.kind().dynamic()) {
                assertThat(r.committedAtLoad()).as(r.toString()).isFalse();
            }
            assertThat(r.kind().dynamic() && !l.edmm()).as("dynamic region without EDMM: " + r).isFalse();
            prevEnd = r.end();
        }
        long secs = l.secs().size();
        assertThat(Long.bitCount(secs)).isEqualTo(1);
        assertThat(prevEnd).as(ctx).isLessThanOrEqualTo(secs);
        assertThat(prevEnd).as("SECS.SIZE is the smallest power of two: " + ctx).isGreaterThan(secs / 2);
        assertThat(sum(l, RegionKind.KERNEL_HEAP)).isEqualTo(x.heapInitSize());
        assertThat(sum(l, RegionKind.KERNEL_HEAP) + sum(l, RegionKind.KERNEL_HEAP_DYNAMIC)).isEqualTo(x.heapMaxSize());
        assertThat(count(l, RegionKind.TCS)).isEqualTo(x.tcsNum());
        assertThat(count(l, RegionKind.STACK)).isEqualTo(x.tcsNum());
        assertThat(rs.stream().filter(r -> r.kind() == RegionKind.STACK).allMatch(r -> r.size() == x.stackMaxSize())).isTrue();
        assertThat(rs.stream().filter(r -> r.kind() == RegionKind.TCS).allMatch(r -> r.secInfo().pageType() == PageType.TCS
                && r.size() == Pages.SIZE && r.measured())).isTrue();
        assertThat(sum(l, RegionKind.TCS_POOL)).isEqualTo((x.tcsMaxNum() - x.tcsNum()) * l.threadContextSize());
        assertThat(sum(l, RegionKind.RESERVED_USER)).isEqualTo(x.reservedMemMaxSize());
        assertThat(sum(l, RegionKind.USER_REGION)).isEqualTo(x.userRegionSize().orElse(0));
        assertThat(l.region(RegionKind.RESERVED_USER).offset() % EnclaveLayout.USER_ALIGN).isZero();
        // what is measured and added, counted two ways
        long[] seen = new long[2];
        l.image().load(new LoadSink() {
            long last = -1;

            @Override
            public void ecreate(SecsParams s) {
                assertThat(s).isEqualTo(l.secs());
            }

            @Override
            public void eadd(long offset, io.jocclum.sgx.arch.SecInfo secInfo, byte[] page) {
                if (offset <= last) {
                    throw new AssertionError("EADD at 0x" + Long.toHexString(offset) + " after 0x" + Long.toHexString(last));
                }
                last = offset;
                seen[0]++;
            }

            @Override
            public void eextend(long offset, byte[] page, int from) {
                seen[1]++;
            }
        });
        assertThat(seen[0]).isEqualTo(l.eaddCount());
        assertThat(seen[1]).isEqualTo(l.eextendCount());
        // the measured table is this layout
        MeasuredData d = MeasuredData.decode(l.measuredData().encode());
        assertThat(d).isEqualTo(l.measuredData());
        assertThat(d.regions()).hasSize(rs.size());
        for (int i = 0; i < rs.size(); i++) {
            Region r = rs.get(i);
            assertThat(d.regions().get(i)).isEqualTo(new MeasuredData.Entry(r.kind(), r.thread(), r.offset(), r.size(),
                    r.secInfo(), r.measured(), r.committedAtLoad()));
        }
        assertThat(d.secs()).isEqualTo(l.secs());
        assertThat(d.edmm()).isEqualTo(l.edmm());
        return l;
    }

    private static long sum(EnclaveLayout l, RegionKind k) {
        return l.regions().stream().filter(r -> r.kind() == k).mapToLong(Region::size).sum();
    }

    private static long count(EnclaveLayout l, RegionKind k) {
        return l.regions().stream().filter(r -> r.kind() == k).count();
    }
}
