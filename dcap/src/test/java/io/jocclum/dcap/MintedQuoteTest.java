package io.jocclum.dcap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MintedQuoteTest {
    @Test
    void aMintedV3QuoteIsUpToDate() {
        TestPki pki = new TestPki();
        Verification v = pki.verify();
        assertThat(v.result()).as(v.detail()).isEqualTo(QvResult.OK);
    }
}
