package io.jocclum.libos.build;

import io.jocclum.libos.config.ImageDigest;
import io.jocclum.libos.config.OcclumJson;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.config.Templates;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.layout.LayoutInvariants;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.measure.SigningKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnclaveBuilderTest {
    @TempDir
    Path tmp;

    ResolvedConfig resolved() {
        return OcclumJson.load(Templates.occlumTemplate(), "Occlum.json", BuildRequest.defaults());
    }

    @Test
    void buildsConsistentOutputsAndKeepsSymbolicLinksAsLinks() throws IOException {
        InstancePaths paths = new InstancePaths(tmp);
        Files.createDirectories(paths.image().resolve("etc"));
        Files.writeString(paths.image().resolve("etc/hostname"), "jocclum\n", StandardCharsets.US_ASCII);
        Files.createSymbolicLink(paths.image().resolve("etc/alias"), Path.of("hostname"));
        Files.write(paths.occlumJson(), Templates.occlumTemplate());
        SigStruct sig = EnclaveBuilder.build(resolved(), paths.image(), paths.build(),
                SigningKey.generate(new SecureRandom()), SigStruct.bcdDate(2026, 1, 1));

        Path link = paths.imageSnapshot().resolve("etc/alias");
        assertThat(Files.isSymbolicLink(link)).as("the snapshot keeps the link, as jocclum build does").isTrue();
        assertThat(Files.readSymbolicLink(link)).isEqualTo(Path.of("hostname"));
        assertThat(ImageDigest.of(paths.imageSnapshot())).isEqualTo(ImageDigest.of(paths.image()));
        BuiltEnclave b = BuiltEnclave.load(paths);
        LayoutInvariants.check(b.layout());
        assertThat(b.consistent()).isTrue();
        assertThat(b.sigStruct().verify()).isTrue();
        assertThat(b.sigStruct().enclaveHash()).isEqualTo(sig.enclaveHash());
    }

    @Test
    void stepsRunOnceAndInOrder() throws IOException {
        Files.createDirectories(tmp.resolve("image/bin"));
        EnclaveBuilder b = new EnclaveBuilder(resolved(), tmp.resolve("out"));
        assertThatThrownBy(b::plan).isInstanceOf(IllegalStateException.class).hasMessageContaining("plan out of order");
        b.snapshot(tmp.resolve("image"));
        assertThatThrownBy(() -> b.snapshot(tmp.resolve("image"))).hasMessageContaining("snapshot out of order");
        assertThatThrownBy(b::measure).hasMessageContaining("measure out of order");
        b.plan();
        assertThatThrownBy(() -> b.sign(null, 0)).hasMessageContaining("sign out of order");
        assertThat(b.measure()).hasSize(32);
    }
}
