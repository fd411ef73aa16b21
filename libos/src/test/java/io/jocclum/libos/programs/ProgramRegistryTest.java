package io.jocclum.libos.programs;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The built-ins are listed in the order they were registered, the same on every run. */
class ProgramRegistryTest {
    @Test
    void namesKeepTheRegistrationOrder() {
        assertThat(ProgramRegistry.standard().names()).containsExactly("hello", "memtest", "spawntest", "pipebench",
                "epollecho", "dcap-test");
        ProgramRegistry r = ProgramRegistry.empty();
        for (String n : new String[] {"zeta", "alpha", "mu", "beta", "omega", "delta", "kappa", "gamma", "eta"}) {
            r = r.with(n, Hello::new);
        }
        assertThat(r.names()).containsExactly("zeta", "alpha", "mu", "beta", "omega", "delta", "kappa", "gamma", "eta");
    }
}
