package io.jocclum.sgx.cgroup;

/** Test hooks: corrupt cgroup state on purpose, to prove the invariant checkers report it. */
public final class CgroupHooks {
    private CgroupHooks() {
    }

    /** Replaces the resource owner's private state of {@code m}; returns the previous one. */
    public static Object setPriv(MiscCgroup m, MiscResource r, Object priv) {
        Object old = m.res[r.ordinal()].priv;
        m.res[r.ordinal()].priv = priv;
        return old;
    }
}
