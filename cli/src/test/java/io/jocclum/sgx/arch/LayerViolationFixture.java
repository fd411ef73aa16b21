package io.jocclum.sgx.arch;

import io.jocclum.libos.config.SgxMode;

/** Breaks the rule "sgx never sees the LibOS" on purpose, for LayerRulesTest; test class path only. */
public final class LayerViolationFixture {
    public SgxMode mode = SgxMode.HW;
}
