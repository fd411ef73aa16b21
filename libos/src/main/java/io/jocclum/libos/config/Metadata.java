package io.jocclum.libos.config;

import java.util.Optional;

/**
 * The {@code metadata} section: the enclave's identity for SIGSTRUCT and Enclave.xml.
 *
 * @param productId     ISVPRODID, 16 bits
 * @param versionNumber ISVSVN, 16 bits
 * @param debuggable    DisableDebug = !debuggable
 * @param enableKss     Key Separation and Sharing: the two ids below go into Enclave.xml
 * @param disableLog    optional; absent means "not debuggable"
 */
public record Metadata(int productId, int versionNumber, boolean debuggable, boolean enableKss,
                       KssId familyId, KssId extProdId, Optional<Boolean> disableLog) {
}
