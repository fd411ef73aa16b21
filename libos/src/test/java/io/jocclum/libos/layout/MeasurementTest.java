package io.jocclum.libos.layout;

import io.jocclum.libos.config.Json;
import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.config.Templates;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.image.LoadSink;
import io.jocclum.sgx.image.SecsParams;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.measure.SigningKey;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class MeasurementTest {

    static EnclaveLayout layout(byte[] json, boolean edmm, byte[] digest) {
        ResolvedConfig c = OcclumJson.load(json, "Occlum.json", BuildRequest.of(SgxMode.HW, edmm));
        return LayoutInvariants.check(EnclaveLayout.plan(c.enclaveXml(),
                c.internalConfig(HexFormat.of().formatHex(digest)).toBytes(), digest));
    }

    static byte[] mr(byte[] json, boolean edmm, byte[] digest) {
        return Measurement.mrenclave(layout(json, edmm, digest));
    }

    /**
     * An independent reading of the SDM: the records written out with a ByteBuffer from the
     * region list, every page materialised, no shared walker and no MeasurementBuilder.
     */
    static byte[] reference(EnclaveLayout l) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        r.put("ECREATE\0".getBytes(StandardCharsets.US_ASCII)).putInt(l.secs().ssaFrameSize()).putLong(l.secs().size());
        md.update(r.array());
        byte[] page = new byte[4096];
        for (Region reg : l.regions()) {
            if (!reg.committedAtLoad()) {
                continue;
            }
            for (long i = 0; i < reg.pages(); i++) {
                long off = reg.offset() + i * 4096;
                r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
                r.put("EADD\0\0\0\0".getBytes(StandardCharsets.US_ASCII)).putLong(off).putLong(reg.secInfo().flags());
                md.update(r.array());
                if (reg.measured()) {
                    reg.content().page(i, page);
                    for (int c = 0; c < 4096; c += 256) {
                        r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
                        r.put("EEXTEND\0".getBytes(StandardCharsets.US_ASCII)).putLong(off + c);
                        md.update(r.array());
                        md.update(page, c, 256);
                    }
                }
            }
        }
        return md.digest();
    }

    @Test
    void agreesWithAnIndependentReadingOfTheSdm() throws Exception {
        for (boolean edmm : new boolean[]{false, true}) {
            EnclaveLayout l = layout(Templates.guideExample(), edmm, new byte[32]);
            assertThat(Measurement.mrenclave(l)).as("edmm=%s", edmm).isEqualTo(reference(l));
        }
    }

    @Test
    void aSixteenGigabyteNonEdmmUserSpaceIsMeasuredWithoutMaterialisingPages() {
        byte[] json = Json.set(Templates.occlumTemplate(), "resource_limits.user_space_size", "\"16GB\"");
        EnclaveLayout l = layout(json, false, new byte[32]);
        assertThat(l.eaddCount()).isGreaterThan(16L << 18);
        byte[] a = Measurement.mrenclave(l);
        assertThat(Measurement.mrenclave(l)).isEqualTo(a);
    }

    @Test
    void hashedBytesCountsWhatTheLoadFeedsToSha256() {
        for (boolean edmm : new boolean[]{false, true}) {
            EnclaveLayout l = layout(Templates.guideExample(), edmm, new byte[32]);
            long[] bytes = {0};
            l.image().load(new LoadSink() {
                @Override
                public void ecreate(SecsParams secs) {
                    bytes[0] += 64;
                }

                @Override
                public void eadd(long offset, io.jocclum.sgx.arch.SecInfo secInfo, byte[] page) {
                    bytes[0] += 64;
                }

                @Override
                public void eextend(long offset, byte[] page, int from) {
                    bytes[0] += 64 + 256;
                }
            });
            assertThat(Measurement.hashedBytes(l)).as("edmm=%s", edmm).isEqualTo(bytes[0]);
        }
    }

    @Test
    void everyConfigValueAndEveryImageByteChangesMrenclave() {
        byte[] t = Templates.occlumTemplate();
        byte[] digest = new byte[32];
        byte[] base = mr(t, false, digest);
        List<byte[]> variants = List.of(
                Json.set(t, "resource_limits.kernel_space_heap_size", "\"36MB\""),
                Json.set(t, "resource_limits.kernel_space_stack_size", "\"2MB\""),
                Json.set(t, "resource_limits.user_space_size", "\"301MB\""),
                Json.set(t, "resource_limits.max_num_of_threads", "33"),
                Json.set(t, "process.default_stack_size", "\"5MB\""),
                Json.set(t, "process.default_heap_size", "\"33MB\""),
                Json.set(t, "process.default_mmap_size", "\"101MB\""),
                Json.set(t, "entry_points", "[\"/bim\"]"),
                Json.set(t, "env.default", "[\"OCCLUM=yeS\"]"),
                Json.set(t, "env.untrusted", "[\"EXAMPLF\"]"),
                Json.set(t, "metadata.product_id", "1"),
                Json.set(t, "metadata.version_number", "1"),
                Json.set(t, "metadata.debuggable", "false"),
                Json.set(t, "metadata.family_id", "{\"high\": \"0x1\", \"low\": \"0x0\"}"),
                Json.set(t, "metadata.ext_prod_id", "{\"high\": \"0x0\", \"low\": \"0x1\"}"),
                Json.set(t, "metadata.disable_log", "true"),
                Json.set(t, "feature.io_uring", "1"),
                Json.set(t, "feature.enable_posix_shm", "true"),
                Json.set(t, "feature.pkru", "2"),
                Json.bytes(new String(t, StandardCharsets.UTF_8).replace("\"./run/mount/__ROOT\"", "\"./run/mount/__ROOU\"")),
                Json.bytes(new String(t, StandardCharsets.UTF_8).replace("\"source\": \".\"", "\"source\": \"/\"")));
        Set<String> seen = new HashSet<>();
        seen.add(HexFormat.of().formatHex(base));
        for (int i = 0; i < variants.size(); i++) {
            assertThat(seen.add(HexFormat.of().formatHex(mr(variants.get(i), false, digest)))).as("variant %d", i).isTrue();
        }
        for (int bit = 0; bit < 256; bit += 37) {
            byte[] d = digest.clone();
            d[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(seen.add(HexFormat.of().formatHex(mr(t, false, d)))).as("image digest bit %d", bit).isTrue();
        }
        assertThat(mr(t, true, digest)).isNotEqualTo(base);
    }

    @Test
    void commentsWhitespaceAndKeyOrderDoNotChangeMrenclave() {
        String t = new String(Templates.occlumTemplate(), StandardCharsets.UTF_8);
        String noisy = "/* jocclum */\n" + t.replace("\n", "\n  // note\n").replace("    \"metadata\"", "\n\n    \"metadata\"");
        byte[] digest = new byte[32];
        assertThat(mr(Json.bytes(noisy), false, digest)).isEqualTo(mr(Json.bytes(t), false, digest));
        // reordering sections or keys is not a change either
        byte[] reordered = Json.edit(Json.bytes(t), root -> {
            var rl = root.remove("resource_limits");
            root.set("resource_limits", rl);
        });
        assertThat(mr(reordered, false, digest)).isEqualTo(mr(Json.bytes(t), false, digest));
    }

    @Test
    void sigStructCarriesTheLayoutsIdentityAndVerifies() throws Exception {
        byte[] json = Json.set(Json.set(Json.set(Json.set(Templates.occlumTemplate(), "metadata.enable_kss", "true"),
                        "metadata.family_id", "{\"high\": \"0x0102030405060708\", \"low\": \"0x1112131415161718\"}"),
                "metadata.product_id", "7"), "metadata.version_number", "9");
        EnclaveLayout l = layout(json, true, new byte[32]);
        byte[] mr = Measurement.mrenclave(l);
        SigStruct body = Measurement.sigStruct(l, mr, SigStruct.bcdDate(2026, 1, 2));
        assertThat(body.enclaveHash()).isEqualTo(mr);
        assertThat(body.miscSelect()).isEqualTo(1);
        assertThat(body.miscMask()).isEqualTo(0xFFFFFFFF);
        assertThat(body.attributes()).isEqualTo(new Attributes(Attributes.MODE64BIT | Attributes.DEBUG | Attributes.KSS, 3));
        assertThat(body.isvProdId()).isEqualTo(7);
        assertThat(body.isvSvn()).isEqualTo(9);
        assertThat(HexFormat.of().formatHex(body.isvFamilyId())).isEqualTo("18171615141312110807060504030201");
        try (InputStream in = SigStruct.class.getResourceAsStream("test-key-pkcs1.pem")) {
            var key = SigningKey.parsePem(new String(in.readAllBytes(), StandardCharsets.US_ASCII), "test key");
            SigStruct signed = body.sign(key);
            assertThat(signed.verify()).isTrue();
            assertThat(SigStruct.parse(signed.toBytes()).enclaveHash()).isEqualTo(mr);
        }
    }
}
