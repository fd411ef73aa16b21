package io.jocclum.libos.build;

import io.jocclum.libos.config.ImageDigest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.layout.Measurement;
import io.jocclum.sgx.measure.SigStruct;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.Comparator;
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
 *   <li>{@link #snapshot}: copy the image into the snapshot (directories, regular files with their
 *       permissions, symbolic links as links, never followed) and digest the copy
 *       ({@link ImageDigest});</li>
 *   <li>{@link #plan}: the internal config naming that digest as the image layer's MAC, and the
 *       enclave layout planned from Enclave.xml, the internal config and the digest;</li>
 *   <li>{@link #measure}: MRENCLAVE of the layout;</li>
 *   <li>{@link #sign}: the SIGSTRUCT, and the three output files.</li>
 * </ol>
 */
public final class EnclaveBuilder {
    private final ResolvedConfig resolved;
    private final Path out;
    private byte[] imageDigest;
    private byte[] internalConfig;
    private EnclaveLayout layout;
    private byte[] mrenclave;

    /** A build of {@code resolved} whose outputs go into the directory {@code out} (created if missing). */
    public EnclaveBuilder(ResolvedConfig resolved, Path out) {
        this.resolved = resolved;
        this.out = out;
    }

    /** Runs every step: {@code image} in, the outputs in {@code out}; returns the signed SIGSTRUCT. */
    public static SigStruct build(ResolvedConfig resolved, Path image, Path out, RSAPrivateCrtKey key, int bcdDate)
            throws IOException {
        EnclaveBuilder b = new EnclaveBuilder(resolved, out);
        b.snapshot(image);
        b.plan();
        b.measure();
        return b.sign(key, bcdDate);
    }

    /**
     * Step 1: copies {@code image} into the snapshot in {@code out} (which must not exist yet) and
     * returns the copy's digest. {@code IllegalArgumentException} naming an entry that is neither a
     * file, a directory nor a symbolic link.
     */
    public byte[] snapshot(Path image) throws IOException {
        require(imageDigest == null, "snapshot");
        Path snapshot = InstancePaths.snapshotIn(out);
        copyTree(image, snapshot);
        imageDigest = ImageDigest.of(snapshot);
        return imageDigest.clone();
    }

    /**
     * Step 2: the internal config and the layout. {@link io.jocclum.libos.config.ConfigException}
     * when the enclave does not fit its address range.
     */
    public EnclaveLayout plan() {
        require(imageDigest != null && layout == null, "plan");
        internalConfig = resolved.internalConfig(ImageDigest.hex(imageDigest)).toBytes();
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
