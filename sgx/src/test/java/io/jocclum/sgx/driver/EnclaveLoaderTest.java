package io.jocclum.sgx.driver;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.image.EnclaveImage;
import io.jocclum.sgx.image.PageSource;
import io.jocclum.sgx.measure.MeasurementBuilder;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(SgxInvariantsExtension.class)
class EnclaveLoaderTest {

    @Test
    void bootedMrenclaveEqualsTheLayoutsMeasurement() {
        byte[] code = new byte[3 * 4096];
        new Random(3).nextBytes(code);
        byte[] data = new byte[4096];
        data[17] = 1;
        List<EnclaveImage.Segment> segs = List.of(
                new EnclaveImage.Segment(0, 4096, SecInfo.of(PageType.TCS, 0), Tcs.image(0x1000, 2, 0x1000, 0, 0), true),
                new EnclaveImage.Segment(0x1000, 3 * 4096, SecInfo.reg(SecInfo.R | SecInfo.X), code, true),
                new EnclaveImage.Segment(0x4000, 4096, SecInfo.reg(SecInfo.R | SecInfo.W), data, false),
                EnclaveImage.Segment.zero(0x5000, 10 * 4096, SecInfo.reg(SecInfo.R | SecInfo.W), true),
                EnclaveImage.Segment.zero(0x20000, 4 * 4096, SecInfo.reg(SecInfo.R | SecInfo.W), false));
        EnclaveImage img = new EnclaveImage(BASE, 1 << 20, 2, SgxTestSupport.attributes(), 0, segs);

        MeasurementBuilder m = new MeasurementBuilder().ecreate(2, 1 << 20);
        m.eadd(0, SecInfo.of(PageType.TCS, 0)).eextendPage(0, Tcs.image(0x1000, 2, 0x1000, 0, 0));
        for (int i = 0; i < 3; i++) {
            m.eadd(0x1000 + i * 4096L, SecInfo.reg(SecInfo.R | SecInfo.X))
                    .eextendPage(0x1000 + i * 4096L, java.util.Arrays.copyOfRange(code, i * 4096, (i + 1) * 4096));
        }
        m.eadd(0x4000, SecInfo.reg(SecInfo.R | SecInfo.W));
        for (int i = 0; i < 10; i++) {
            m.eadd(0x5000 + i * 4096L, SecInfo.reg(SecInfo.R | SecInfo.W)).eextendPage(0x5000 + i * 4096L, new byte[4096]);
        }
        for (int i = 0; i < 4; i++) {
            m.eadd(0x20000 + i * 4096L, SecInfo.reg(SecInfo.R | SecInfo.W));
        }
        byte[] expected = m.finish();
        assertThat(img.mrEnclave()).isEqualTo(expected);

        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(16).watermarks(4, 8).build());
        SigStruct sig = img.sign(SgxTestSupport.signingKey(), 3, 1);
        EnclaveFd fd = EnclaveLoader.load(p, p.newTask("boot"), img, sig);
        assertThat(fd.enclave().mrEnclave()).as("the CPU's MRENCLAVE (with evictions during the build)").isEqualTo(expected);
        assertThat(fd.enclave().control().mrSigner()).isEqualTo(sig.mrSigner());
        byte[] back = new byte[4096];
        fd.context().read(BASE + 0x4000, back, 0, 4096);
        assertThat(back).isEqualTo(data);
        fd.close();
    }

    @Test
    void filledAndShortDataSegmentsLoadToTheImagesMeasurement() {
        byte[] shortData = new byte[100];
        new Random(5).nextBytes(shortData);
        EnclaveImage img = new EnclaveImage(BASE, 1 << 20, 1, SgxTestSupport.attributes(), 0, List.of(
                new EnclaveImage.Segment(0, 4096, SecInfo.of(PageType.TCS, 0), Tcs.image(0x1000, 1, 0x1000, 0, 0), true),
                new EnclaveImage.Segment(0x1000, 2 * 4096, SecInfo.reg(SecInfo.R | SecInfo.X), shortData, true),
                new EnclaveImage.Segment(0x3000, 70 * 4096, SecInfo.reg(SecInfo.R | SecInfo.W),
                        new PageSource.Fill((byte) 0xCC), true)));
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(128).build());
        EnclaveFd fd = EnclaveLoader.load(p, p.newTask("boot"), img, img.sign(SgxTestSupport.signingKey(), 1, 1));
        assertThat(fd.enclave().mrEnclave()).isEqualTo(img.mrEnclave());
        byte[] back = new byte[4096];
        fd.context().read(BASE + 0x1000, back, 0, 4096);
        assertThat(java.util.Arrays.copyOf(back, 100)).isEqualTo(shortData);
        assertThat(java.util.Arrays.copyOfRange(back, 100, 4096)).containsOnly(0);
        fd.context().read(BASE + 0x3000 + 69 * 4096, back, 0, 4096);
        assertThat(back).containsOnly((byte) 0xCC);
        fd.close();
    }

    @Test
    void addsSplitSegmentsIntoRunsInLoadOrderAndResumeAfterProgress() {
        EnclaveImage img = SgxTestSupport.image(1 << 20, 5);
        List<EnclaveLoader.Add> adds = EnclaveLoader.adds(img, 2);
        assertThat(adds).extracting(EnclaveLoader.Add::offset).containsExactly(0L, 0x1000L, 0x2000L, 0x4000L, 0x6000L);
        assertThat(adds).extracting(EnclaveLoader.Add::pages).containsExactly(1L, 1L, 2L, 2L, 1L);
        SgxIoctl.AddPages rest = adds.get(2).request(4096);
        assertThat(rest.offset).isEqualTo(0x3000);
        assertThat(rest.length).isEqualTo(4096);
        assertThat(rest.flags).isZero();
        assertThat(adds.get(1).request(0).flags).isEqualTo(SgxIoctl.SGX_PAGE_MEASURE);
        assertThatThrownBy(() -> adds.get(2).request(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("progress 100");
        assertThatThrownBy(() -> adds.get(2).request(8192)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnclaveLoader.adds(img, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one page");
        assertThatThrownBy(() -> new EnclaveImage.Segment(0, 4096, SecInfo.reg(SecInfo.R), new byte[4097], false))
                .hasMessageContaining("segment data has 4097 bytes");
    }

    @Test
    void aWrongSignatureClosesTheEnclave() {
        SgxPlatform p = SgxTestSupport.platform(SgxTestSupport.config(64).build());
        EnclaveImage img = SgxTestSupport.image(1 << 20, 3);
        EnclaveImage other = SgxTestSupport.image(1 << 20, 4);
        assertThatThrownBy(() -> EnclaveLoader.load(p, p.newTask("x"), img, other.sign(SgxTestSupport.signingKey(), 1, 1)))
                .isInstanceOf(io.jocclum.api.ErrnoException.class).hasMessageContaining("EPERM");
        assertThat(p.epcManager().allocator().freePages()).isEqualTo(64);
    }

    @Test
    void configValidation() {
        assertThatThrownBy(() -> PlatformConfig.builder().epcSize(4095).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4095");
        assertThatThrownBy(() -> PlatformConfig.builder().epcSections(4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096)
                .build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PlatformConfig.builder().watermarks(64, 32).build()).isInstanceOf(IllegalArgumentException.class);
        PlatformConfig c = PlatformConfig.builder().epcSections(1 << 20, 2 << 20).sgx2(false).seed(9).build();
        assertThat(c.epcBytes()).isEqualTo(3 << 20);
        assertThat(c.sgx2()).isFalse();
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }
}
