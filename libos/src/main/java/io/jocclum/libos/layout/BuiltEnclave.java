package io.jocclum.libos.layout;

import io.jocclum.libos.config.EnclaveXml;
import io.jocclum.libos.config.InternalConfig;
import io.jocclum.sgx.measure.SigStruct;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A built instance read back from its outputs: what the boot needs to create, load and initialise
 * the enclave. The layout is re-planned from build/Enclave.xml, the internal config's bytes and
 * the image digest in its image layer MAC, which are exactly the inputs the build planned it from.
 */
public record BuiltEnclave(InstancePaths paths, EnclaveXml enclaveXml, byte[] internalConfigBytes,
                           InternalConfig internalConfig, EnclaveLayout layout, SigStruct sigStruct) {

    /**
     * Reads the outputs of {@code paths}. {@code IOException} (NoSuchFileException when it was never
     * built) or {@code IllegalArgumentException} naming the output that is not what build writes.
     */
    public static BuiltEnclave load(InstancePaths paths) throws IOException {
        if (!Files.exists(paths.sigStruct())) {
            throw new NoSuchFileException(paths.sigStruct().toString(), null, "the instance has not been built");
        }
        EnclaveXml xml = EnclaveXml.parse(Files.readAllBytes(paths.enclaveXml()));
        byte[] cfgBytes = Files.readAllBytes(paths.internalConfig());
        InternalConfig cfg = InternalConfig.parse(cfgBytes);
        cfg.imageMac().orElseThrow(() -> new IllegalArgumentException(paths.internalConfig() + " has no image layer MAC"));
        String hex = Files.readString(paths.imageDigest(), java.nio.charset.StandardCharsets.US_ASCII).strip();
        byte[] digest;
        try {
            digest = HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(paths.imageDigest() + " is not a hex digest: " + hex);
        }
        if (digest.length != 32) {
            throw new IllegalArgumentException(paths.imageDigest() + " is not a SHA-256 digest: " + hex);
        }
        EnclaveLayout layout = EnclaveLayout.plan(xml, cfgBytes, digest);
        SigStruct sig = SigStruct.parse(Files.readAllBytes(paths.sigStruct()));
        return new BuiltEnclave(paths, xml, cfgBytes, cfg, layout, sig);
    }

    public BuiltEnclave {
        internalConfigBytes = internalConfigBytes.clone();
    }

    @Override
    public byte[] internalConfigBytes() {
        return internalConfigBytes.clone();
    }

    /** True when re-measuring the layout gives the SIGSTRUCT's ENCLAVEHASH (outputs consistent). */
    public boolean consistent() {
        return Arrays.equals(Measurement.mrenclave(layout), sigStruct.enclaveHash());
    }
}
