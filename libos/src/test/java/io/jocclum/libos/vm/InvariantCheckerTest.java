package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.SecInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checker run after every test must itself notice broken states. */
@ParameterizedClass
@EnumSource(Platform.class)
class InvariantCheckerTest extends VmTestBase {

    @Test
    void detectsAFreePageThatIsNotZero() {
        long a = anon(PAGE);
        vm.munmap(a, PAGE);
        long free = platform.layout().reservedEnd() - PAGE; // last reserved page: free in these tests
        ctx.writeByte(free, (byte) 1);
        assertThatThrownBy(() -> space.checkInvariants(epcm)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not marked dirty");
        ctx.writeByte(free, (byte) 0);
        checkAll();
    }

    @Test
    void detectsAPageCommittedBehindTheVmsBack() {
        org.junit.jupiter.api.Assumptions.assumeTrue(platform.edmm());
        long page = platform.layout().userRegionEnd() - PAGE;
        ctx.eaccept(page, SecInfo.of(io.jocclum.sgx.arch.PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING));
        assertThatThrownBy(() -> space.checkInvariants(epcm)).hasMessageContaining("commit tracker");
        ctx.modifyTypes(page, PAGE, io.jocclum.sgx.arch.PageType.TRIM);
        ctx.eaccept(page, SecInfo.of(io.jocclum.sgx.arch.PageType.TRIM, 0, SecInfo.MODIFIED));
        ctx.removePages(page, PAGE);
        checkAll();
    }

    @Test
    void detectsEpcmPermissionsThatDisagreeWithTheVma() {
        org.junit.jupiter.api.Assumptions.assumeTrue(platform.edmm());
        long a = vm.mmap(0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        mem.readByte(a);
        ctx.emodpe(a, SecInfo.reg(SecInfo.R | SecInfo.W));
        assertThatThrownBy(() -> space.checkInvariants(epcm)).hasMessageContaining("expected REG R--");
        ctx.restrictPermissions(a, PAGE, SecInfo.R);
        ctx.eaccept(a, SecInfo.of(io.jocclum.sgx.arch.PageType.REG, SecInfo.R, SecInfo.PR));
        checkAll();
    }
}
