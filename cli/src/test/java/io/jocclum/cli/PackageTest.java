package io.jocclum.cli;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code jocclum package}: the tarball holds Occlum.json, build/ and run/ and nothing of image/ or
 * the signing key; unpacked elsewhere it runs with {@code jocclum run}, with the same output and
 * MRENCLAVE; a debuggable enclave needs {@code --debug}.
 */
class PackageTest {
    private static final String GUEST = """
            package guest;

            import io.jocclum.api.*;

            public class App implements GuestProgram {
                @Override
                public int main(Syscalls sys, String[] argv, String[] envp) {
                    int fd = sys.open(argv[1], OpenFlags.O_RDONLY, 0);
                    Libc.print(sys, 1, Libc.readAll(sys, fd).toUpperCase());
                    sys.close(fd);
                    return 5;
                }
            }
            """;

    @TempDir
    Path tmp;

    Path instance(String name, boolean debuggable) throws Exception {
        return GuestJars.instance(tmp, name, debuggable, GUEST, Map.of("etc/greeting", "hello from the image\n"));
    }

    /** Unpacks {@code tarGz} into {@code into}; returns the entry names in archive order. */
    static List<String> unpack(Path tarGz, Path into) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tarGz)); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                names.add(e.getName());
                Path p = into.resolve(e.getName()).normalize();
                assertThat(p.startsWith(into)).as(e.getName()).isTrue();
                if (e.isDirectory()) {
                    Files.createDirectories(p);
                } else {
                    Files.createDirectories(p.getParent());
                    Files.copy(tar, p);
                }
            }
        }
        return names;
    }

    @Test
    void theUnpackedPackageRunsElsewhereWithTheSameOutputAndMrenclave() throws Exception {
        Path inst = instance("app", false);
        Run.Result here = Run.jocclum(inst, "run", "--epc", "1GB", "/bin/app.jar", "/etc/greeting");
        assertThat(here.exit()).as(here.err()).isEqualTo(5);
        assertThat(here.out()).isEqualTo("HELLO FROM THE IMAGE\n");
        String mrenclave = Run.jocclum(inst, "print", "mrenclave").out();
        // what the writable layers hold travels with the package; the server's socket does not
        Files.createDirectories(inst.resolve("run/mount/__ROOT"));
        Files.writeString(inst.resolve("run/mount/__ROOT/upper"), "upper layer");
        Files.writeString(inst.resolve("run/occlum_exec.sock"), "not a socket here, but never packaged");

        Run.Result p = Run.jocclum(inst, "package");
        assertThat(p.exit()).as(p.err()).isZero();
        Path pkg = inst.resolve("app.tar.gz");
        assertThat(p.out()).contains(pkg.toString()).hasLineCount(1);

        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        List<String> names = unpack(pkg, elsewhere);
        assertThat(names).allMatch(n -> n.startsWith("app/"))
                .contains("app/Occlum.json", "app/build/", "app/build/Enclave.xml", "app/build/Occlum_sys.json",
                        "app/build/enclave.sigstruct", "app/run/mount/__ROOT/upper")
                .noneMatch(n -> n.startsWith("app/image") || n.startsWith("app/.jocclum") || n.endsWith(".lock")
                        || n.contains(".staging-") || n.endsWith("occlum_exec.sock") || n.endsWith(".tar.gz"));
        Path unpacked = elsewhere.resolve("app");
        assertThat(unpacked.resolve("image")).doesNotExist();
        assertThat(Files.readString(unpacked.resolve("run/mount/__ROOT/upper"))).isEqualTo("upper layer");

        Run.Result there = Run.jocclum(unpacked, "run", "--epc", "1GB", "/bin/app.jar", "/etc/greeting");
        assertThat(there.exit()).as(there.err()).isEqualTo(5);
        assertThat(there.out()).isEqualTo(here.out());
        assertThat(Run.jocclum(unpacked, "print", "mrenclave").out()).isEqualTo(mrenclave).isNotBlank();

        // without image/, Occlum.json is still checked against the build
        Path json = unpacked.resolve("Occlum.json");
        Files.writeString(json, Files.readString(json).replace("\"8MB\"", "\"12MB\""));
        Run.Result stale = Run.jocclum(unpacked, "run", "--epc", "1GB", "/bin/app.jar", "/etc/greeting");
        assertThat(stale.exit()).isEqualTo(1);
        assertThat(stale.err()).contains("is stale: Occlum.json changed").hasLineCount(1);
    }

    @Test
    void aDebuggableEnclaveNeedsDebugAndANameNamesThePackage() throws Exception {
        Path inst = instance("dbg", true);
        Run.Result refused = Run.jocclum(inst, "package");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("debuggable").contains("--debug").hasLineCount(1);
        assertThat(inst.resolve("dbg.tar.gz")).doesNotExist();

        Run.Result named = Run.jocclum(inst, "package", "--debug", "release-1");
        assertThat(named.exit()).as(named.err()).isZero();
        List<String> names = unpack(inst.resolve("release-1.tar.gz"), Files.createDirectories(tmp.resolve("x")));
        assertThat(names).allMatch(n -> n.startsWith("release-1/")).contains("release-1/Occlum.json");

        Run.Result noDir = Run.jocclum(inst, "package", "--debug", "missing/dir/pkg.tar.gz");
        assertThat(noDir.exit()).isEqualTo(1);
        assertThat(noDir.err()).contains("does not exist").hasLineCount(1);

        Path unbuilt = tmp.resolve("unbuilt");
        assertThat(Run.jocclum(tmp, "new", "unbuilt").exit()).isZero();
        Run.Result notBuilt = Run.jocclum(unbuilt, "package");
        assertThat(notBuilt.exit()).isEqualTo(1);
        assertThat(notBuilt.err()).contains("has not been built yet").hasLineCount(1);
    }
    @Test
    void aSimulationModeBuildNeedsDebugAsOcclumPackageAsks() throws Exception {
        Path inst = instance("sim", false);
        Path mode = inst.resolve("build/.sgx_mode");
        assertThat(Files.readString(mode)).isEqualTo("HW\n");
        String key = Run.key(tmp, "key-a.pem").toString();
        assertThat(Run.jocclum(inst, Map.of("SGX_MODE", "SIM"), "build", "--sign-key", key).exit()).isZero();
        assertThat(Files.readString(mode)).isEqualTo("SIM\n");

        Run.Result refused = Run.jocclum(inst, "package");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).isEqualTo("jocclum: " + inst + " is built for SGX simulation mode (SIM), which protects"
                + " nothing and is not for use elsewhere; build it with --sgx-mode HW and package again, or package it anyway"
                + " with --debug.\n");
        assertThat(inst.resolve("sim.tar.gz")).doesNotExist();

        Run.Result debug = Run.jocclum(inst, "package", "--debug");
        assertThat(debug.exit()).as(debug.err()).isZero();
        assertThat(unpack(inst.resolve("sim.tar.gz"), Files.createDirectories(tmp.resolve("sim-x")))).contains("sim/build/.sgx_mode");

        assertThat(Run.jocclum(inst, "build", "--sign-key", key, "--sgx-mode", "HW").exit()).isZero();
        assertThat(Files.readString(mode)).isEqualTo("HW\n");
        assertThat(Run.jocclum(inst, "package").exit()).isZero();

        // a build that does not record its mode (an older jocclum's) is not guessed at, and the next build redoes it
        Files.delete(mode);
        Run.Result unknown = Run.jocclum(inst, "package");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("does not record its SGX mode").contains("jocclum build").hasLineCount(1);
        Run.Result rebuilt = Run.jocclum(inst, "build", "--sign-key", key);
        assertThat(rebuilt.out()).doesNotContain("Nothing changed");
        assertThat(Files.readString(mode)).isEqualTo("HW\n");
    }
}
