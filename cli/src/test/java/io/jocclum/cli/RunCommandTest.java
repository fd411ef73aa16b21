package io.jocclum.cli;

import io.jocclum.api.GuestProgram;
import io.jocclum.libos.boot.BootOptions;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import io.jocclum.libos.programs.JarProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code jocclum run} end to end in-process: the MRENCLAVE the platform computes while the boot
 * loads the enclave equals what {@code jocclum print mrenclave} prints (EDMM and non-EDMM); a user
 * jar compiled against the guest API at test time, placed in image/bin, built and run, with its
 * output and exit status; the build/run mismatch of config-edmm.md; stale or missing builds
 * refused in one sentence.
 */
class RunCommandTest {
    @TempDir
    Path tmp;

    /** A new instance with small sizes (so a non-EDMM load is quick). */
    Path instance(String name) throws IOException {
        return Run.smallInstance(tmp, name);
    }

    /** A new instance {@code name} in {@code tmp} with small sizes. */
    static Path instance(Path tmp, String name) throws IOException {
        return Run.smallInstance(tmp, name);
    }

    Run.Result build(Path inst, String... args) {
        String[] all = Stream.concat(Stream.of("build", "--sign-key", Run.key(tmp, "key-a.pem").toString()), Stream.of(args))
                .toArray(String[]::new);
        Run.Result r = Run.jocclum(inst, all);
        assertThat(r.exit()).as(r.err()).isZero();
        return r;
    }

    /** {@code jocclum run} with a 1GB EPC. */
    static Run.Result run(Path inst, String... args) {
        String[] all = Stream.concat(Stream.of("run", "--epc", "1GB"), Stream.of(args)).toArray(String[]::new);
        return Run.jocclum(inst, all);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theMrenclaveMeasuredAtBootIsWhatPrintMrenclaveShows(boolean edmm) throws Exception {
        Path inst = instance(edmm ? "edmm" : "plain");
        if (edmm) {
            build(inst, "--enable-edmm");
        } else {
            build(inst);
        }
        Run.Result printed = Run.jocclum(inst, "print", "mrenclave");
        assertThat(printed.exit()).isZero();
        BuiltEnclave built = BuiltEnclave.load(new InstancePaths(inst));
        assertThat(built.layout().edmm()).isEqualTo(edmm);
        try (LibOs os = LibOs.boot(built, BootOptions.defaults().withPlatform(PlatformSettings.defaults().withEpcBytes(1L << 30))
                .withStdio(InputStream.nullInputStream(), OutputStream.nullOutputStream(), OutputStream.nullOutputStream()))) {
            // the SECS's MRENCLAVE, accumulated by the simulated CPU over ECREATE, EADD and EEXTEND, final after EINIT
            byte[] measured = os.enclave().enclave().mrEnclave();
            assertThat(HexFormat.of().formatHex(measured) + "\n").isEqualTo(printed.out());
            assertThat(os.edmm()).isEqualTo(edmm);
        }
        Run.Result hello = run(inst, "/bin/hello", "enclave");
        assertThat(hello.exit()).as(hello.err()).isZero();
        assertThat(hello.out()).isEqualTo("Hello, enclave!\n");
    }

    private static final String GUEST = """
            package guest;

            import io.jocclum.api.*;

            public class App implements GuestProgram {
                @Override
                public int main(Syscalls sys, String[] argv, String[] envp) {
                    if (argv.length > 1 && argv[1].equals("copy")) {
                        int in = sys.open(argv[2], OpenFlags.O_RDONLY, 0);
                        int out = sys.open(argv[3], OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
                        long buf = Libc.alloc(sys, 4096);
                        long n;
                        long total = 0;
                        while ((n = sys.read(in, buf, 4096)) > 0) {
                            total += sys.write(out, buf, n);
                        }
                        sys.close(in);
                        sys.close(out);
                        Libc.puts(sys, "copied " + total);
                        return 0;
                    }
                    if (argv.length > 1 && argv[1].equals("oom")) {
                        throw new OutOfMemoryError("Java heap space"); // what a guest gets when it fills the JVM's heap
                    }
                    if (argv.length > 1 && argv[1].equals("segv")) {
                        long a = sys.mmap(0, 4096, Mman.PROT_READ, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
                        sys.storeByte(a, (byte) 1);
                    }
                    long a = sys.mmap(0, 1 << 20, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
                    long sum = 0;
                    for (long off = 0; off < (1 << 20); off += 4096) {
                        sys.storeLong(a + off, off);
                        sum += sys.loadLong(a + off);
                    }
                    sys.munmap(a, 1 << 20);
                    int fd = sys.open("/host/out.txt", OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
                    long buf = Libc.alloc(sys, 4096);
                    byte[] msg = ("pid " + sys.getpid() + " sum " + sum).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    sys.storeBytes(buf, msg, 0, msg.length);
                    sys.write(fd, buf, msg.length);
                    sys.close(fd);
                    Libc.puts(sys, "args " + String.join(",", java.util.Arrays.asList(argv).subList(1, argv.length)));
                    return 42;
                }
            }
            """;

    /** Compiles {@link #GUEST} against the guest API jar (or classes directory) and packs it with its manifest. */
    byte[] guestJar() throws Exception {
        return GuestJars.compile(tmp, GUEST);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aUserJarCompiledAgainstTheApiRunsFromTheImage(boolean edmm) throws Exception {
        Path inst = instance("jar-" + edmm);
        Files.write(inst.resolve("image/bin/app.jar"), guestJar());
        if (edmm) {
            build(inst, "--enable-edmm");
        } else {
            build(inst);
        }
        Run.Result r = run(inst, "/bin/app.jar", "one", "two");
        assertThat(r.exit()).as(r.err()).isEqualTo(42);
        assertThat(r.out()).isEqualTo("args one,two\n");
        long sum = 0;
        for (long off = 0; off < (1 << 20); off += 4096) {
            sum += off;
        }
        assertThat(Files.readString(inst.resolve("out.txt"))).isEqualTo("pid 1 sum " + sum);
        // killed by SIGSEGV: the shell's 128 + 11
        Run.Result segv = run(inst, "/bin/app.jar", "segv");
        assertThat(segv.exit()).isEqualTo(128 + 11);
        assertThat(segv.out()).isEmpty();
        // the JVM's heap ran out in the guest: the OOM killer's SIGKILL, and one sentence
        Run.Result oom = run(inst, "/bin/app.jar", "oom");
        assertThat(oom.exit()).isEqualTo(128 + 9);
        assertThat(oom.err()).startsWith("jocclum: the host ran out of memory for process 1, which the LibOS killed as Linux's"
                + " OOM killer would; give the JVM more heap (JOCCLUM_JAVA_OPTS=-Xmx<size>, now ").hasLineCount(1);
    }

    @Test
    void aProgramThatIsNotThereIsRefusedBeforeTheBootWith127AsOcclumRun() throws Exception {
        Path inst = instance("noprog");
        Files.write(inst.resolve("image/bin/app.jar"), guestJar());
        Files.createDirectories(inst.resolve("image/bin/dir"));
        build(inst, "--enable-edmm");
        // an EDMM build cannot boot on an SGX1 platform (status 1): whatever comes before the boot says so first
        Run.Result boots = run(inst, "--sgx1", "/bin/app.jar");
        assertThat(boots.exit()).as("a program of the image passes the check").isEqualTo(1);
        assertThat(boots.err()).contains("built for EDMM");
        assertThat(run(inst, "--sgx1", "/bin/memtest").exit()).as("so does a built-in").isEqualTo(1);
        String builtins = String.join(", ", io.jocclum.libos.programs.ProgramRegistry.standard().names());
        for (String nope : List.of("/bin/nope", "/bin/sub/nope.jar", "/bin/app.jar/x")) {
            Run.Result missing = run(inst, "--sgx1", nope, "an-arg");
            assertThat(missing.exit()).as(missing.err()).isEqualTo(127);
            assertThat(missing.out()).isEmpty();
            assertThat(missing.err()).isEqualTo("jocclum: there is no program " + nope + " in the instance's image (built-ins"
                    + " under /bin: " + builtins + "; user programs are jar files placed in image/, then jocclum build).\n");
        }
        Run.Result dir = run(inst, "--sgx1", "/bin/dir");
        assertThat(dir.exit()).isEqualTo(127);
        assertThat(dir.err()).isEqualTo("jocclum: cannot run /bin/dir: it is not a regular file.\n");
        Run.Result relative = run(inst, "--sgx1", "bin/hello");
        assertThat(relative.exit()).isEqualTo(127);
        assertThat(relative.err()).isEqualTo("jocclum: cannot start bin/hello: EINVAL: program path must be absolute\n");
        Run.Result outside = run(inst, "--sgx1", "/etc/hosts");
        assertThat(outside.exit()).isEqualTo(127);
        assertThat(outside.err()).isEqualTo("jocclum: cannot start /etc/hosts: EACCES: program path is NOT a valid entry point"
                + " (entry_points: /bin)\n");

        // once a run wrote to the root's upper layer, the image alone no longer tells: the LibOS answers, the same way
        Files.writeString(inst.resolve("in.txt"), "x\n");
        assertThat(run(inst, "/bin/app.jar", "copy", "/host/in.txt", "/etc/kept.txt").exit()).isZero();
        assertThat(run(inst, "--sgx1", "/bin/nope").exit()).as("booted before the lookup").isEqualTo(1);
        Run.Result after = run(inst, "/bin/nope");
        assertThat(after.exit()).isEqualTo(127);
        assertThat(after.err()).isEqualTo("jocclum: there is no program /bin/nope in the instance's image (built-ins under"
                + " /bin: " + builtins + "; user programs are jar files placed in image/, then jocclum build).\n");
    }

    @Test
    void theRootUnionKeepsWritesAcrossRunsUntilTheNextBuild() throws Exception {
        Path inst = instance("persist");
        Files.write(inst.resolve("image/bin/app.jar"), guestJar());
        build(inst);
        assertThat(inst.resolve("run/mount/__ROOT")).isEmptyDirectory();
        Files.writeString(inst.resolve("in.txt"), "kept in the upper layer\n");
        // run 1 writes into the image's /etc (copy-up) and a new /root
        assertThat(run(inst, "/bin/app.jar", "copy", "/host/in.txt", "/etc/kept.txt").exit()).isZero();
        assertThat(inst.resolve("run/mount/__ROOT/metadata")).exists();
        // run 2 finds it
        Run.Result r = run(inst, "/bin/app.jar", "copy", "/etc/kept.txt", "/host/back.txt");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readString(inst.resolve("back.txt"))).isEqualTo("kept in the upper layer\n");
        // a build empties run/, as occlum build does, even when nothing else changed
        build(inst);
        assertThat(inst.resolve("run/mount/__ROOT")).isEmptyDirectory();
        // (a guest looking for /etc/kept.txt now fails with ENOENT; UnionFsGuestTest shows the errnos)
    }

    @Test
    void genImageKeyAndBuildWithItEncryptBothLayers() throws Exception {
        Path inst = instance("enc");
        Files.write(inst.resolve("image/bin/app.jar"), guestJar());
        Files.writeString(inst.resolve("image/etc/greeting"), "a secret greeting\n");
        build(inst);
        String plainMac = Files.readString(inst.resolve("build/mount/.ROOT_MAC"));
        assertThat(hostFilesContain(inst.resolve("build/mount/__ROOT"), "a secret greeting"))
                .as("an integrity-only image is plaintext").isTrue();

        Run.Result gen = Run.jocclum(inst, "gen-image-key", "image_key");
        assertThat(gen.exit()).as(gen.err()).isZero();
        String key = Files.readString(inst.resolve("image_key"));
        assertThat(key).matches("([0-9a-f]{2}-){15}[0-9a-f]{2}\n");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(inst.resolve("image_key"))))
                .isEqualTo("rw-------");
        build(inst, "--image-key", "image_key");
        assertThat(Files.readString(inst.resolve("build/mount/.ROOT_MAC"))).isNotEqualTo(plainMac);
        assertThat(Files.readString(inst.resolve("build/image_config.json"))).contains("\"encrypted\"");
        assertThat(hostFilesContain(inst.resolve("build/mount/__ROOT"), "a secret greeting")).isFalse();

        Run.Result noKey = run(inst, "/bin/app.jar", "copy", "/etc/greeting", "/host/out.txt");
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).contains("encrypted").contains("--image-key").hasLineCount(1);
        Files.writeString(inst.resolve("wrong_key"), "00-".repeat(15) + "00\n");
        Run.Result wrong = run(inst, "--image-key", "wrong_key", "/bin/app.jar");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("cannot be mounted").hasLineCount(1);
        Run.Result ok = run(inst, "--image-key", "image_key", "/bin/app.jar", "copy", "/etc/greeting", "/etc/copy");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(hostFilesContain(inst.resolve("run/mount/__ROOT"), "a secret greeting"))
                .as("the upper layer is encrypted with the image key").isFalse();
        Run.Result again = run(inst, "--image-key", "image_key", "/bin/app.jar", "copy", "/etc/copy", "/host/out.txt");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(Files.readString(inst.resolve("out.txt"))).isEqualTo("a secret greeting\n");

        Files.writeString(inst.resolve("bad_key"), "not a key\n");
        Run.Result bad = Run.jocclum(inst, "build", "--image-key", "bad_key");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("bad_key").contains("is not a key").hasLineCount(1);
    }

    private static boolean hostFilesContain(Path dir, String text) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                if (new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1).contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void aHostfsMountAddedToOcclumJsonIsSharedWithTheHost() throws Exception {
        Path inst = instance("mount");
        Path json = inst.resolve("Occlum.json");
        String s = Files.readString(json);
        int at = s.lastIndexOf(']');
        Files.writeString(json, s.substring(0, s.lastIndexOf('}', at) + 1)
                + ",\n        {\"target\": \"/data\", \"type\": \"hostfs\", \"source\": \"./shared\"}\n    " + s.substring(at));
        Files.write(inst.resolve("image/bin/app.jar"), guestJar());
        build(inst);
        // the mount's source must exist when the enclave boots
        Run.Result missing = run(inst, "/bin/app.jar");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("/data").contains("shared").contains("not a directory").hasLineCount(1);
        Files.createDirectories(inst.resolve("shared"));
        Files.writeString(inst.resolve("shared/in.txt"), "from the host\n".repeat(1000));
        Run.Result r = run(inst, "/bin/app.jar", "copy", "/data/in.txt", "/data/out.txt");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("copied 14000\n");
        assertThat(Files.readString(inst.resolve("shared/out.txt"))).isEqualTo("from the host\n".repeat(1000));
    }

    @Test
    void aJarWithoutItsEntryClassAttributeIsNotRunnable() throws Exception {
        Path inst = instance("badjar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "guest.App"); // java -jar's attribute, not ours
        ByteArrayOutputStream jar = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(jar, mf)) {
            out.putNextEntry(new JarEntry("guest/App.class"));
            out.write(new byte[]{(byte) 0xCA, (byte) 0xFE});
            out.closeEntry();
        }
        Files.write(inst.resolve("image/bin/bad.jar"), jar.toByteArray());
        Files.writeString(inst.resolve("image/bin/notes.txt"), "not a program");
        build(inst);
        Run.Result bad = run(inst, "/bin/bad.jar");
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("/bin/bad.jar").contains(JarProgram.MAIN_CLASS_ATTRIBUTE).hasLineCount(1);
        Run.Result text = run(inst, "/bin/notes.txt");
        assertThat(text.exit()).isNotZero();
        assertThat(text.err()).contains("/bin/notes.txt").hasLineCount(1);
    }

    @Test
    void anEdmmBuildIsRefusedOnAnSgx1PlatformAndAPlainBuildRunsOnBoth() throws Exception {
        Path edmm = instance("edmm");
        build(edmm, "--enable-edmm");
        Run.Result r = run(edmm, "--sgx1", "/bin/hello");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("jocclum: ").contains("built for EDMM").contains("no SGX2").contains("--sgx1")
                .hasLineCount(1);
        assertThat(run(edmm, "--sgx2", "/bin/hello").exit()).isZero();

        Path plain = instance("plain");
        build(plain);
        for (String platform : List.of("--sgx1", "--sgx2")) {
            Run.Result p = run(plain, platform, "/bin/memtest", "--size", "1MB");
            assertThat(p.exit()).as(platform + ": " + p.err()).isZero();
        }
        // a non-EDMM build on SGX2 runs without EDMM: nothing is committed at run time
        Path stats = tmp.resolve("stats.json");
        assertThat(run(plain, "--sgx2", "--stats-json", stats.toString(), "/bin/memtest", "--size", "8MB").exit()).isZero();
        assertThat(Files.readString(stats)).containsPattern("\"edmm\"\\s*:\\s*false").containsPattern("\"EAUG\"\\s*:\\s*0\\b")
                .doesNotContainPattern("\"EAUG\"\\s*:\\s*[1-9]");
        // a stats file that cannot be written is refused before the program runs
        Run.Result bad = run(plain, "--stats-json", tmp.resolve("no/such/dir/s.json").toString(), "/bin/hello");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.out()).as("the program did not run").isEmpty();
        assertThat(bad.err()).contains("--stats-json").contains("does not exist").hasLineCount(1);
    }

    @Test
    void staleOrMissingBuildsAreRefused() throws Exception {
        Path inst = instance("stale");
        Run.Result none = run(inst, "/bin/hello");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("has not been built yet").contains("jocclum build").hasLineCount(1);

        build(inst);
        assertThat(run(inst, "/bin/hello").exit()).isZero();
        Path json = inst.resolve("Occlum.json");
        String original = Files.readString(json);
        // formatting and comments do not make a build stale (the configuration's values are what is measured)
        Files.writeString(json, "// a comment\n" + original.replace("\n", "\n  "));
        assertThat(run(inst, "/bin/hello").exit()).isZero();

        Files.writeString(json, original.replace("\"64MB\"", "\"96MB\""));
        Run.Result changed = run(inst, "/bin/hello");
        assertThat(changed.exit()).isEqualTo(1);
        assertThat(changed.err()).contains("is stale").contains("Occlum.json changed").contains("jocclum build").hasLineCount(1);
        Files.writeString(json, original);
        assertThat(run(inst, "/bin/hello").exit()).isZero();

        Files.writeString(inst.resolve("image/etc/new.conf"), "x");
        Run.Result image = run(inst, "/bin/hello");
        assertThat(image.exit()).isEqualTo(1);
        assertThat(image.err()).contains("is stale").contains("image/ changed").hasLineCount(1);
        build(inst);
        assertThat(run(inst, "/bin/hello").exit()).isZero();
        // a program that is not there: ENOENT in one sentence, not a trace
        Run.Result missing = run(inst, "/bin/nope");
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("/bin/nope");
    }
}
