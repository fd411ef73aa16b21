package io.jocclum.libos.vm;

import io.jocclum.libos.process.TcsPool;

/** Breaks the rule "vm uses no other LibOS package" on purpose, for LayerRulesTest; test class path only. */
public final class LayerViolationFixture {
    public TcsPool pool;
}
