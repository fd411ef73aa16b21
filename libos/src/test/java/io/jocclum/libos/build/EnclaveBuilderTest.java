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

import io.jocclum.libos.fs.sefs.ImageKey;
import io.jocclum.libos.fs.sefs.SefsKey;
import io.jocclum.libos.fs.sefs.SefsStore;

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

        // the image SEFS keeps the link as a link, its root MAC is the config's image MAC and .ROOT_MAC
        String macText = Files.readString(paths.rootMac()).strip();
        byte[] mac = ImageKey.parse(macText);
        try (SefsStore image = SefsStore.openOrCreate(paths.imageSnapshot(), SefsKey.integrityOnly(mac), true, 0)) {
            SefsStore.Node etc = image.lookup(image.root(), "etc");
            SefsStore.Node link = image.lookup(etc, "alias");
            assertThat(link.type()).as("the image keeps the link, as jocclum build does").isEqualTo(SefsStore.SYMLINK);
            assertThat(image.readlink(link)).isEqualTo("hostname");
            assertThat(image.content(image.lookup(etc, "hostname"))).isEqualTo("jocclum\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(Files.readString(paths.internalConfig())).contains("\"MAC\": \"" + macText + "\"");
        assertThat(Files.readString(paths.imageDigest()).strip()).isEqualTo(ImageDigest.hex(ImageDigest.of(paths.image())));
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

    @Test
    void theImageSefsIsDeterministicAndAnImageKeyChangesIt() throws IOException {
        Files.createDirectories(tmp.resolve("image/bin"));
        Files.writeString(tmp.resolve("image/bin/app"), "app");
        byte[] a = new EnclaveBuilder(resolved(), tmp.resolve("a")).snapshot(tmp.resolve("image"));
        byte[] b = new EnclaveBuilder(resolved(), tmp.resolve("b")).snapshot(tmp.resolve("image"));
        assertThat(a).isEqualTo(b);
        String macA = Files.readString(tmp.resolve("a/mount/.ROOT_MAC"));
        assertThat(Files.readString(tmp.resolve("b/mount/.ROOT_MAC"))).as("same tree, same root MAC").isEqualTo(macA);
        new EnclaveBuilder(resolved(), tmp.resolve("k")).imageKey(new byte[16]).snapshot(tmp.resolve("image"));
        assertThat(Files.readString(tmp.resolve("k/mount/.ROOT_MAC"))).isNotEqualTo(macA);
        assertThat(Files.readString(tmp.resolve("k/image_config.json"))).contains("\"encrypted\"");
        assertThat(Files.readString(tmp.resolve("a/image_config.json"))).contains("\"integrity-only\"");
    }
}
