package io.jocclum.sgx.measure;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MeasurementBuilderTest {

    /** Builds the SDM records by hand with a ByteBuffer and compares with the builder. */
    @Test
    void recordsFollowTheSdmLayout() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        byte[] page = new byte[4096];
        rnd.nextBytes(page);
        long secsSize = 1L << 30;
        SecInfo tcs = SecInfo.of(PageType.TCS, 0);
        SecInfo rw = SecInfo.reg(SecInfo.R | SecInfo.W);

        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        r.put("ECREATE\0".getBytes(StandardCharsets.US_ASCII)).putInt(1).putLong(secsSize);
        md.update(r.array());
        r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        r.put("EADD\0\0\0\0".getBytes(StandardCharsets.US_ASCII)).putLong(0x1000).putLong(tcs.flags());
        md.update(r.array());
        r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        r.put("EADD\0\0\0\0".getBytes(StandardCharsets.US_ASCII)).putLong(0x2000).putLong(rw.flags());
        md.update(r.array());
        for (int i = 0; i < 4096; i += 256) {
            r = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            r.put("EEXTEND\0".getBytes(StandardCharsets.US_ASCII)).putLong(0x2000 + i);
            md.update(r.array());
            md.update(page, i, 256);
        }
        byte[] expected = md.digest();

        byte[] actual = new MeasurementBuilder().ecreate(1, secsSize).eadd(0x1000, tcs).eadd(0x2000, rw)
                .eextendPage(0x2000, page).finish();
        assertThat(actual).as("seed %d", seed).isEqualTo(expected);
    }

    @Test
    void tcsSecInfoFlagsEncodeThePageType() {
        assertThat(SecInfo.of(PageType.TCS, 0).flags()).isEqualTo(0x100L);
        assertThat(SecInfo.reg(SecInfo.R | SecInfo.W | SecInfo.X).flags()).isEqualTo(0x207L);
        assertThat(SecInfo.of(PageType.TRIM, 0).pageType()).isEqualTo(PageType.TRIM);
    }

    @Test
    void orderMatters() {
        byte[] page = new byte[4096];
        SecInfo rw = SecInfo.reg(SecInfo.R | SecInfo.W);
        byte[] a = new MeasurementBuilder().ecreate(1, 1 << 20).eadd(0, rw).eadd(0x1000, rw).finish();
        byte[] b = new MeasurementBuilder().ecreate(1, 1 << 20).eadd(0x1000, rw).eadd(0, rw).finish();
        byte[] c = new MeasurementBuilder().ecreate(1, 1 << 20).eadd(0, rw).eadd(0x1000, rw).eextendPage(0, page).finish();
        assertThat(a).isNotEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void misuseIsRejected() {
        MeasurementBuilder m = new MeasurementBuilder();
        assertThatThrownBy(() -> m.eadd(0, SecInfo.reg(SecInfo.R))).isInstanceOf(IllegalStateException.class);
        m.ecreate(1, 1 << 20);
        assertThatThrownBy(() -> m.eadd(0x10, SecInfo.reg(SecInfo.R))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.eextend(0x80, new byte[256], 0)).isInstanceOf(IllegalArgumentException.class);
        m.finish();
        assertThatThrownBy(() -> m.eadd(0, SecInfo.reg(SecInfo.R))).isInstanceOf(IllegalStateException.class);
    }
}
