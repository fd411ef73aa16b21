package io.jocclum.dcap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Prepared collateral checks a PCK chain once and reuses the result; without a cache every quote's chain is checked anew. */
class ChainCacheTest {

    @Test
    void aChainIsCheckedOnceAndReused() {
        Fixtures f = Fixtures.PHALA;
        PreparedCollateral cached = QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
        Verification a = cached.verify(f.quote(), f.at());
        Verification b = cached.verify(f.quote(), f.at());
        assertThat(b.pck()).as("the cached chain check").isSameAs(a.pck());
        assertThat(b.result()).isEqualTo(a.result());
        PreparedCollateral uncached = new PreparedCollateral(f.collateral(), TrustedRoot.intel(), 0);
        Verification c = uncached.verify(f.quote(), f.at());
        Verification d = uncached.verify(f.quote(), f.at());
        assertThat(d.pck()).isNotSameAs(c.pck()).isEqualTo(c.pck());
        PreparedCollateral one = new PreparedCollateral(f.collateral(), TrustedRoot.intel(), 1);
        Verification e = one.verify(f.quote(), f.at());
        assertThat(one.verify(f.quote(), f.at()).pck()).as("a cache of one keeps its chain").isSameAs(e.pck());
    }
}
