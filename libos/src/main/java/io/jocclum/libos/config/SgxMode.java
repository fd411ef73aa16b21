package io.jocclum.libos.config;

/**
 * SGX_MODE of a build (Occlum's tools/occlum): {@code HW}, the default, builds for the (here:
 * simulated) SGX hardware; {@code SIM} is simulation mode, which never uses EDMM. Occlum also
 * knows HYPER; jocclum has no hypervisor mode and rejects it.
 */
public enum SgxMode {
    HW, SIM;

    /** {@code IllegalArgumentException} whose message completes "VALUE ..." with the allowed values. */
    public static SgxMode parse(String value) {
        for (SgxMode m : values()) {
            if (m.name().equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException("is not an SGX mode; allowed: HW (the default) or SIM");
    }
}
