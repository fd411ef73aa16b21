package io.jocclum.libos.build;

import io.jocclum.libos.config.ImageDigest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.fs.sefs.ImageKey;
import io.jocclum.libos.fs.sefs.SefsImage;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.layout.Measurement;
import io.jocclum.sgx.measure.SigStruct;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The build pipeline of an instance: a resolved Occlum.json and an image directory in, the build
 * outputs out (Enclave.xml, Occlum_sys.json, enclave.sigstruct and the image snapshot
 * mount/__ROOT, named as in {@link InstancePaths}). {@code jocclum build} runs it into a staging
 * directory and adds fingerprinting, the signing key and the atomic commit around it; the tests'
 * and benchmarks' instances run it straight into build/. Both therefore build the same enclave
 * from the same inputs.
 *
 * <p>The steps, in this order, each once:
 * <ol>
 *   <li>{@link #snapshot}: the image SEFS made from the image (directories, regular files,
 *       symbolic links as links, never followed), its root MAC, and the image's digest
 *       ({@link ImageDigest});</li>
 *   <li>{@link #plan}: the internal config naming the root MAC as the image layer's MAC (as
 *       Occlum's build does with {@code .ROOT_MAC}), and the enclave layout planned from
 *       Enclave.xml, the internal config and the digest;</li>
 *   <li>{@link #measure}: MRENCLAVE of the layout;</li>
 *   <li>{@link #sign}: the SIGSTRUCT, and the three output files.</li>
 * </ol>
 */
public final class EnclaveBuilder {
    private final ResolvedConfig resolved;
    private final Path out;
    private byte[] imageDigest;
    private byte[] imageMac;
    private byte[] imageKey;
    private byte[] internalConfig;
    private EnclaveLayout layout;
    private byte[] mrenclave;

    /** A build of {@code resolved} whose outputs go into the directory {@code out} (created if missing). */
    public EnclaveBuilder(ResolvedConfig resolved, Path out) {
        this.resolved = resolved;
        this.out = out;
    }

    /**
     * Encrypts the image SEFS with {@code key} (16 bytes, {@code jocclum build --image-key});
     * without it the image is integrity-only. Before {@link #snapshot}.
     */
    public EnclaveBuilder imageKey(byte[] key) {
        require(imageDigest == null, "imageKey");
        this.imageKey = key.clone();
        return this;
    }

    /** Runs every step: {@code image} in, the outputs in {@code out}; returns the signed SIGSTRUCT. */
    public static SigStruct build(ResolvedConfig resolved, Path image, Path out, RSAPrivateCrtKey key, int bcdDate)
            throws IOException {
        return build(new EnclaveBuilder(resolved, out), image, key, bcdDate);
    }

    /** Runs every step of {@code b}. */
    public static SigStruct build(EnclaveBuilder b, Path image, RSAPrivateCrtKey key, int bcdDate) throws IOException {
        b.snapshot(image);
        b.plan();
        b.measure();
        return b.sign(key, bcdDate);
    }

    /**
     * Step 1: turns {@code image} into the image SEFS {@code out/mount/__ROOT} (which must not
     * exist yet; integrity-only, or encrypted with the image key) with its root MAC in
     * {@code out/mount/.ROOT_MAC} and the image type in {@code out/image_config.json}, as
     * {@code occlum build} does with {@code sefs-cli zip}; returns the digest of the tree as read
     * ({@link ImageDigest}, after the SEFS was written). {@code IllegalArgumentException} naming an
     * entry that is neither a file, a directory nor a symbolic link.
     */
    public byte[] snapshot(Path image) throws IOException {
        require(imageDigest == null, "snapshot");
        Path snapshot = InstancePaths.snapshotIn(out);
        List<SefsImage.Entry> entries = new ArrayList<>();
        for (ImageDigest.Entry e : ImageDigest.entries(image)) {
            entries.add(new SefsImage.Entry(e.relative(), e.path()));
        }
        imageMac = SefsImage.zip(entries, snapshot, imageKey);
        Files.writeString(snapshot.resolveSibling(InstancePaths.ROOT_MAC), ImageKey.format(imageMac) + "\n",
                StandardCharsets.US_ASCII);
        Files.writeString(out.resolve(InstancePaths.IMAGE_CONFIG), "{\"image_type\": \""
                + (imageKey == null ? "integrity-only" : "encrypted") + "\"}\n", StandardCharsets.US_ASCII);
        imageDigest = ImageDigest.of(image);
        return imageDigest.clone();
    }

    /**
     * Step 2: the internal config and the layout. {@link io.jocclum.libos.config.ConfigException}
     * when the enclave does not fit its address range.
     */
    public EnclaveLayout plan() {
        require(imageDigest != null && layout == null, "plan");
        internalConfig = resolved.internalConfig(ImageKey.format(imageMac)).toBytes();
        layout = EnclaveLayout.plan(resolved.enclaveXml(), internalConfig, imageDigest);
        return layout;
    }

    /** Step 3: MRENCLAVE of the layout (one SHA-256 record per page added at load; see {@link Measurement}). */
    public byte[] measure() {
        return measure(done -> { });
    }

    /** As {@link #measure()}, reporting the pages hashed so far (of {@code layout.eaddCount()}) to {@code pagesDone}. */
    public byte[] measure(java.util.function.LongConsumer pagesDone) {
        require(layout != null && mrenclave == null, "measure");
        mrenclave = Measurement.mrenclave(layout, pagesDone);
        return mrenclave.clone();
    }

    /**
     * Step 4: the SIGSTRUCT of the measured layout dated {@code bcdDate} ({@link SigStruct#bcdDate})
     * and signed with {@code key}; writes Enclave.xml, Occlum_sys.json and enclave.sigstruct.
     */
    public SigStruct sign(RSAPrivateCrtKey key, int bcdDate) throws IOException {
        require(mrenclave != null, "sign");
        SigStruct sig = Measurement.sigStruct(layout, mrenclave, bcdDate).sign(key);
        Files.createDirectories(out);
        Files.write(out.resolve(InstancePaths.ENCLAVE_XML), resolved.enclaveXml().toBytes());
        Files.write(out.resolve(InstancePaths.INTERNAL_CONFIG), internalConfig);
        Files.write(out.resolve(InstancePaths.SIGSTRUCT), sig.toBytes());
        Files.writeString(out.resolve(InstancePaths.IMAGE_DIGEST), ImageDigest.hex(imageDigest) + "\n", StandardCharsets.US_ASCII);
        return sig;
    }

    private static void require(boolean ok, String step) {
        if (!ok) {
            throw new IllegalStateException("build step " + step + " out of order");
        }
    }

    /**
     * Copies {@code from} to the new directory {@code to}: directories, regular files (with their
     * permissions) and symbolic links as links. {@code IllegalArgumentException} naming an entry
     * that is anything else.
     */
    public static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (ImageDigest.Entry e : ImageDigest.entries(from)) {
            Path dst = to.resolve(e.relative());
            if (Files.isSymbolicLink(e.path())) {
                Files.createSymbolicLink(dst, Files.readSymbolicLink(e.path()));
            } else if (Files.isDirectory(e.path(), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dst);
            } else if (Files.isRegularFile(e.path(), LinkOption.NOFOLLOW_LINKS)) {
                Files.copy(e.path(), dst, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            } else {
                throw new IllegalArgumentException(e.relative() + " in " + from.getFileName() + "/ is neither a file,"
                        + " a directory nor a symbolic link; an image may hold only those");
            }
        }
    }

    /** Deletes {@code root} and everything below it (links, not their targets); nothing if it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
