package io.jocclum.libos.config;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The invariants every resolved configuration must satisfy, whatever its input: the resolution
 * table read as properties. Run by every test that resolves a configuration.
 */
public final class ResolutionInvariants {
    private ResolutionInvariants() {
    }

    public static ResolvedConfig check(ResolvedConfig c) {
        ResourceLimits rl = c.config().resourceLimits();
        EnclaveXml x = c.enclaveXml();
        String ctx = "resolved " + rl + " on " + c.buildPath().path();
        assertThat(c.kernelHeapInit()).as(ctx).isLessThanOrEqualTo(c.kernelHeapMax());
        assertThat(c.userSpaceInit()).as(ctx).isLessThanOrEqualTo(c.userSpaceMax());
        assertThat(c.tcsInit()).as(ctx).isBetween(1L, c.tcsMax());
        assertThat(x.stackMaxSize()).as(ctx).isEqualTo(x.stackMinSize()).isEqualTo(rl.kernelSpaceStackSize());
        assertThat(x.heapInitSize()).as(ctx).isEqualTo(x.heapMinSize()).isEqualTo(c.kernelHeapInit());
        assertThat(x.heapMaxSize()).as(ctx).isEqualTo(c.kernelHeapMax());
        assertThat(x.tcsNum()).as(ctx).isEqualTo(x.tcsMinPool()).isEqualTo(c.tcsInit());
        assertThat(x.tcsMaxNum()).as(ctx).isEqualTo(c.tcsMax());
        assertThat(x.reservedMemMaxSize()).as(ctx).isEqualTo(x.reservedMemMinSize()).isEqualTo(x.reservedMemInitSize());
        assertThat(x.tcsPolicy()).isZero();
        assertThat(x.reservedMemExecutable()).isEqualTo(1);
        assertThat(x.disableDebug()).isEqualTo(c.config().metadata().debuggable() ? 0 : 1);
        assertThat(x.edmm()).as(ctx).isEqualTo(c.edmm());
        long heapWritten = rl.kernelSpaceHeapMaxSize().orElse(rl.kernelSpaceHeapSize());
        long userWritten = rl.userSpaceMaxSize().orElse(rl.userSpaceSize());
        if (c.edmm()) {
            assertThat(c.kernelHeapInit()).as(ctx).isEqualTo(rl.kernelSpaceHeapSize());
            assertThat(c.kernelHeapMax()).as(ctx).isEqualTo(Math.max(heapWritten, Resolver.DEFAULT_KERNEL_HEAP_MAX));
            assertThat(c.userSpaceMax()).as(ctx).isEqualTo(Math.max(userWritten, Resolver.DEFAULT_USER_SPACE_MAX));
            assertThat(x.reservedMemMaxSize()).as(ctx).isEqualTo(c.userSpaceInit()).isEqualTo(rl.userSpaceSize());
            assertThat(x.userRegionSize().getAsLong()).as(ctx).isEqualTo(c.userSpaceMax() == c.userSpaceInit()
                    ? c.userSpaceMax() : c.userSpaceMax() + Resolver.EDMM_EXTRA_USER_REGION);
            assertThat(c.tcsInit()).as(ctx).isLessThanOrEqualTo(Resolver.DEFAULT_TCS_INIT)
                    .isEqualTo(Math.min(rl.initNumOfThreads().orElse(rl.maxNumOfThreads()), Resolver.DEFAULT_TCS_INIT));
            assertThat(c.tcsMax()).as(ctx).isEqualTo(Math.max(rl.maxNumOfThreads(), Resolver.DEFAULT_TCS_MAX));
            assertThat(x.miscSelect()).isEqualTo(1);
            assertThat(x.miscMask()).isEqualTo(0xFFFF_FFFFL);
        } else {
            assertThat(c.kernelHeapInit()).as(ctx).isEqualTo(c.kernelHeapMax()).isEqualTo(heapWritten);
            assertThat(c.userSpaceMax()).as(ctx).isEqualTo(userWritten).isEqualTo(x.reservedMemMaxSize());
            assertThat(c.tcsInit()).as(ctx).isEqualTo(c.tcsMax()).isEqualTo(rl.maxNumOfThreads());
            assertThat(x.miscSelect()).isZero();
            assertThat(x.miscMask()).isZero();
        }
        for (Adjustment a : c.adjustments()) {
            assertThat(a.written()).as(ctx + ": " + a).isNotEqualTo(a.resolved());
        }
        // the outputs are pure functions of the values
        assertThat(EnclaveXml.parse(x.toBytes())).as(ctx).isEqualTo(x);
        InternalConfig ic = c.internalConfig("ab".repeat(32));
        assertThat(InternalConfig.parse(ic.toBytes())).as(ctx).isEqualTo(ic);
        assertThat(ic.imageMac()).contains("ab".repeat(32));
        assertThat(ic.userSpaceMaxSize()).isEqualTo(c.userSpaceMax());
        assertThat(ic.userSpaceInitSize()).isEqualTo(c.edmm() ? c.userSpaceInit() : c.userSpaceMax());
        return c;
    }
}
