package io.jocclum.libos.layout;

import io.jocclum.libos.config.ConfigException;
import io.jocclum.libos.config.Json;
import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.config.Templates;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.image.LoadSink;
import io.jocclum.sgx.image.PageSource;
import io.jocclum.sgx.image.SecsParams;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnclaveLayoutTest {
    static final byte[] DIGEST = new byte[32];

    static EnclaveLayout layout(byte[] json, boolean edmm) {
        ResolvedConfig c = OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, edmm));
        return LayoutInvariants.check(EnclaveLayout.plan(c.enclaveXml(), c.internalConfig("00".repeat(32)).toBytes(), DIGEST));
    }

    @Test
    void theTemplatesNonEdmmLoadCountedByHand() {
        EnclaveLayout l = layout(Templates.occlumTemplate(), false);
        long dataPages = l.region(RegionKind.LIBOS_DATA).pages();
        // 1 entry page + data + 32MB heap (8192) + 32 threads x (256 stack + TCS + 2 SSA + thread data) + 300MB (76800)
        assertThat(l.eaddCount()).isEqualTo(1 + dataPages + 8192 + 32 * 260 + 76800);
        assertThat(l.eextendCount()).isEqualTo(16 * (1 + dataPages + 32 * 260));
        assertThat(l.committedAtLoadBytes()).isEqualTo(l.eaddCount() * 4096);
        assertThat(l.onDemandBytes()).isZero();
        assertThat(l.secs().size()).isEqualTo(512L << 20);
        assertThat(l.secs().ssaFrameSize()).isEqualTo(1);
        assertThat(l.secs().miscSelect()).isZero();
        assertThat(l.secs().attributes()).isEqualTo(new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY));
        assertThat(l.has(RegionKind.USER_REGION)).isFalse();
        assertThat(l.has(RegionKind.TCS_POOL)).isFalse();
    }

    @Test
    void theTemplatesEdmmLayoutLeavesEverythingAboveInitUncommitted() {
        EnclaveLayout l = layout(Templates.occlumTemplate(), true);
        assertThat(l.region(RegionKind.KERNEL_HEAP_DYNAMIC).size()).isEqualTo((1L << 30) - (32L << 20));
        assertThat(l.region(RegionKind.TCS_POOL).size()).isEqualTo((4096 - 16) * l.threadContextSize());
        assertThat(l.threadContextSize()).isEqualTo(4096 + (1 << 20) + 4096 + 2 * 4096 + 4096);
        assertThat(l.region(RegionKind.USER_REGION).size()).isEqualTo(17L << 30);
        assertThat(l.onDemandBytes()).isEqualTo((1L << 30) - (32L << 20) + (4096 - 16) * l.threadContextSize() + (17L << 30));
        assertThat(l.eaddCount()).isEqualTo(1 + l.region(RegionKind.LIBOS_DATA).pages() + 8192 + 16 * 260 + 76800);
        assertThat(l.secs().miscSelect()).isEqualTo(1);
        assertThat(l.secs().size()).isEqualTo(32L << 30);
        Region user = l.region(RegionKind.USER_REGION);
        Region reserved = l.region(RegionKind.RESERVED_USER);
        assertThat(user.offset() - reserved.end()).as("a gap between reserved memory and the user region").isPositive();
        assertThat(reserved.secInfo()).isEqualTo(SecInfo.reg(SecInfo.R | SecInfo.W | SecInfo.X));
        assertThat(reserved.measured()).as("EADD only, as the SDK does with heap and reserved memory").isFalse();
        assertThat(l.region(RegionKind.KERNEL_HEAP).measured()).isFalse();
    }

    @Test
    void tcsAndThreadDataPointAtTheirThreadContext() {
        EnclaveLayout l = layout(Templates.guideExample(), true);
        List<Region> t1 = l.regions().stream().filter(r -> r.thread() == 1).toList();
        assertThat(t1).extracting(Region::kind).containsExactly(RegionKind.GUARD, RegionKind.STACK, RegionKind.TCS,
                RegionKind.SSA, RegionKind.THREAD_DATA);
        Region stack = t1.get(1);
        Region tcs = t1.get(2);
        Region ssa = t1.get(3);
        Region td = t1.get(4);
        byte[] page = new byte[4096];
        tcs.content().page(0, page);
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong(16)).as("OSSA").isEqualTo(ssa.offset());
        assertThat(b.getInt(28)).as("NSSA").isEqualTo(2);
        assertThat(b.getLong(32)).as("OENTRY").isEqualTo(l.region(RegionKind.LIBOS_TEXT).offset());
        assertThat(b.getLong(48)).as("OFSBASE").isEqualTo(td.offset());
        assertThat(b.getLong(56)).as("OGSBASE").isEqualTo(td.offset());
        assertThat(b.getInt(64)).as("FSLIMIT").isEqualTo(0xFFF);
        assertThat(tcs.secInfo().pageType()).isEqualTo(PageType.TCS);
        assertThat(tcs.secInfo().perms()).isZero();
        td.content().page(0, page);
        b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getLong(0)).as("self").isEqualTo(td.offset());
        assertThat(b.getLong(16)).as("stack base").isEqualTo(stack.end());
        assertThat(b.getLong(24)).as("stack limit").isEqualTo(stack.offset());
        assertThat(b.getLong(32)).as("first SSA GPR").isEqualTo(ssa.offset() + 4096 - 184);
        stack.content().page(7, page);
        for (byte x : page) {
            assertThat(x).isEqualTo((byte) 0xCC);
        }
    }

    @Test
    void theLoadSequenceIsEcreateThenEaddEachFollowedByItsEextends() {
        EnclaveLayout l = layout(Templates.guideExample(), true);
        List<String> seq = new ArrayList<>();
        l.image().load(new LoadSink() {
            @Override
            public void ecreate(SecsParams secs) {
                seq.add("ECREATE " + secs.size());
            }

            @Override
            public void eadd(long offset, SecInfo secInfo, byte[] page) {
                if (seq.size() < 40) {
                    seq.add("EADD " + offset + " " + secInfo.flags());
                }
            }

            @Override
            public void eextend(long offset, byte[] page, int from) {
                if (seq.size() < 40) {
                    seq.add("EEXTEND " + offset);
                }
            }
        });
        assertThat(seq.get(0)).isEqualTo("ECREATE " + (32L << 30));
        assertThat(seq.get(1)).isEqualTo("EADD 0 " + SecInfo.reg(SecInfo.R | SecInfo.X).flags());
        for (int c = 0; c < 16; c++) {
            assertThat(seq.get(2 + c)).isEqualTo("EEXTEND " + (c * 256));
        }
        assertThat(seq.get(18)).isEqualTo("EADD 4096 " + SecInfo.reg(SecInfo.R).flags());
    }

    @Test
    void theDataPageCarriesVersionDigestConfigAndTable() {
        ResolvedConfig c = OcclumJson.load(Templates.occlumTemplate(), "Occlum.json", BuildRequest.defaults());
        byte[] cfg = c.internalConfig("11".repeat(32)).toBytes();
        byte[] digest = new byte[32];
        digest[5] = 7;
        EnclaveLayout l = LayoutInvariants.check(EnclaveLayout.plan(c.enclaveXml(), cfg, digest));
        Region data = l.region(RegionKind.LIBOS_DATA);
        byte[] all = new byte[(int) data.size()];
        byte[] page = new byte[4096];
        for (int i = 0; i < data.pages(); i++) {
            data.content().page(i, page);
            System.arraycopy(page, 0, all, i * 4096, 4096);
        }
        MeasuredData d = MeasuredData.decode(all);
        assertThat(d.libosVersion()).isEqualTo(LibosImage.VERSION);
        assertThat(d.imageDigest()).isEqualTo(digest);
        assertThat(d.internalConfig()).isEqualTo(cfg);
        assertThat(d.regions()).hasSize(l.regions().size());
        assertThat(d.tcsNum()).isEqualTo(32);
        assertThat(d.threadContextSize()).isEqualTo(l.threadContextSize());
    }

    @Test
    void kssAmxAndPkruShapeSecs() {
        byte[] json = Json.set(Json.set(Json.set(Templates.occlumTemplate(), "metadata.enable_kss", "true"),
                "feature.amx", "1"), "metadata.debuggable", "false");
        EnclaveLayout l = layout(json, false);
        assertThat(l.secs().attributes().flags()).isEqualTo(Attributes.MODE64BIT | Attributes.KSS);
        assertThat(l.secs().attributes().xfrm()).isEqualTo(0x3L | 1L << 17 | 1L << 18);
        assertThat(l.secs().ssaFrameSize()).isEqualTo(3);
        assertThat(l.region(RegionKind.SSA).size()).isEqualTo(2 * 3 * 4096);
        EnclaveLayout p = layout(Json.set(Templates.occlumTemplate(), "feature.pkru", "1"), false);
        assertThat(p.secs().attributes().xfrm()).isEqualTo(0x3L | 1L << 9);
    }

    @Test
    void anEnclaveBeyond128TbIsAConfigError() {
        byte[] json = Json.set(Json.set(Templates.occlumTemplate(), "resource_limits.user_space_size", "\"100TB\""),
                "resource_limits.kernel_space_heap_size", "\"100TB\"");
        ResolvedConfig c = OcclumJson.load(json, "Occlum.json", BuildRequest.defaults());
        assertThatThrownBy(() -> EnclaveLayout.plan(c.enclaveXml(), new byte[10], DIGEST))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Occlum.json: resource_limits: the enclave does not fit in 128TB, the largest address range of"
                        + " a 64-bit enclave on Linux; lower the sizes or the number of threads.");
    }

    @Test
    void regionsRejectMisuse() {
        assertThatThrownBy(() -> new Region(RegionKind.STACK, 0, 100, 4096, SecInfo.reg(SecInfo.R), false, true,
                PageSource.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Region(RegionKind.USER_REGION, -1, 0, 4096, SecInfo.reg(SecInfo.R), true, false,
                PageSource.ZERO)).hasMessageContaining("measured but not added");
        assertThat(Pages.isAligned(LibosImage.textPage().length)).isTrue();
    }
}
