package io.jocclum.libos.layout;

import java.nio.file.Path;

/**
 * Where an instance keeps its inputs and its build outputs. {@code build} writes them, the boot
 * reads them.
 *
 * <pre>
 * INSTANCE/
 *   Occlum.json               the configuration (input)
 *   image/                    the file system image (input): bin lib etc tmp host
 *   .jocclum/signing-key.pem  the instance's RSA-3072 (e=3) signing key, made by the first build
 *   build/
 *     Enclave.xml             the SGX enclave configuration
 *     Occlum_sys.json         the internal config the LibOS reads at boot
 *     enclave.sigstruct       the 1808-byte SIGSTRUCT (MRENCLAVE, MRSIGNER)
 *     mount/__ROOT/           the image SEFS made from image/ (the lower layer of the root union)
 *     mount/.ROOT_MAC         its root MAC (16 bytes as xx-xx-...), also in Occlum_sys.json
 *     image_config.json       {"image_type": "integrity-only" | "encrypted"}
 *     image.sha256            the digest of image/ (ImageDigest) measured into MRENCLAVE
 *     .sgx_mode               the SGX mode built for, HW or SIM (written by the CLI's build)
 *   run/mount/__ROOT/         the upper layer of the root union (a SEFS; emptied by every build)
 *     .inputs.sha256          fingerprint of the inputs of the last successful build
 * </pre>
 */
public record InstancePaths(Path root) {
    /** The build outputs' names inside build/ (also inside a build's staging directory). */
    public static final String ENCLAVE_XML = "Enclave.xml";
    public static final String INTERNAL_CONFIG = "Occlum_sys.json";
    public static final String SIGSTRUCT = "enclave.sigstruct";
    public static final String ROOT_MAC = ".ROOT_MAC";
    public static final String IMAGE_DIGEST = "image.sha256";
    public static final String IMAGE_CONFIG = "image_config.json";

    public InstancePaths {
        root = root.toAbsolutePath().normalize();
    }

    public Path occlumJson() {
        return root.resolve("Occlum.json");
    }

    public Path image() {
        return root.resolve("image");
    }

    public Path stateDir() {
        return root.resolve(".jocclum");
    }

    public Path signingKey() {
        return stateDir().resolve("signing-key.pem");
    }

    public Path build() {
        return root.resolve("build");
    }

    public Path enclaveXml() {
        return build().resolve(ENCLAVE_XML);
    }

    public Path internalConfig() {
        return build().resolve(INTERNAL_CONFIG);
    }

    public Path sigStruct() {
        return build().resolve(SIGSTRUCT);
    }

    /** The image snapshot: the source the template's image layer names ({@code ./build/mount/__ROOT}). */
    public Path imageSnapshot() {
        return snapshotIn(build());
    }

    /** The image snapshot inside {@code buildDir} (build/ or a build's staging directory). */
    public static Path snapshotIn(Path buildDir) {
        return buildDir.resolve("mount").resolve("__ROOT");
    }

    /** The upper layer of the root union: {@code run/mount/__ROOT}. */
    public Path upperLayer() {
        return root.resolve("run").resolve("mount").resolve("__ROOT");
    }

    /** {@code build/image.sha256}: the measured digest of image/. */
    public Path imageDigest() {
        return build().resolve(IMAGE_DIGEST);
    }

    /** {@code build/mount/.ROOT_MAC}. */
    public Path rootMac() {
        return build().resolve("mount").resolve(ROOT_MAC);
    }

    public Path fingerprint() {
        return build().resolve(".inputs.sha256");
    }
}
