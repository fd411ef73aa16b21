package io.jocclum.libos.vm;

import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The {@link ConcurrentStressWorkload} on the fake and on the simulated SGX platform (EPC large enough). */
@ParameterizedClass
@EnumSource(value = Platform.class, names = {"FAKE_EDMM", "FAKE_SGX1", "REAL_EDMM", "REAL_SGX1"})
class ConcurrentStressTest extends ConcurrentStressWorkload {
}
