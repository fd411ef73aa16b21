package io.jocclum.sgx.testing;

import io.jocclum.sgx.driver.SgxPlatform;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@link SgxPlatform#checkInvariants()} on every platform a test started through
 * {@link SgxTestSupport#platform}, then closes them; the test fails if an invariant is violated
 * (EPCM vs free lists vs LRUs vs VA slots vs enclave page tables vs charges).
 */
public final class SgxInvariantsExtension implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        List<SgxPlatform> started = SgxTestSupport.drainStarted();
        List<String> problems = new ArrayList<>();
        try {
            if (context.getExecutionException().isEmpty()) {
                for (SgxPlatform p : started) {
                    problems.addAll(p.checkInvariants());
                }
            }
        } finally {
            started.forEach(SgxPlatform::close);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("SGX invariants violated after " + context.getDisplayName() + ":\n  "
                    + String.join("\n  ", problems));
        }
    }
}
