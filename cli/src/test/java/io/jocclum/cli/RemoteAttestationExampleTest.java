package io.jocclum.cli;

import io.jocclum.api.GuestProgram;
import io.jocclum.dcap.QuoteVerifier;
import io.jocclum.libos.programs.JarProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * examples/remote-attestation as its README runs it, in-process: the server compiled against the
 * guest API and run in an enclave by {@code jocclum run}, the client compiled against the verifier
 * library; the client accepts the quote, checks MRENCLAVE and the key binding, and the encrypted
 * exchange goes through. With a wrong MRENCLAVE the client refuses.
 */
class RemoteAttestationExampleTest {
    @TempDir
    Path tmp;

    static Path example() {
        return Run.example("remote-attestation");
    }

    private static Path location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static void javac(Path classpath, Path out, Path dir) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("--release", "25", "-cp", classpath.toString(), "-d", out.toString()));
        try (Stream<Path> s = Files.list(dir)) {
            s.map(Path::toString).forEach(args::add);
        }
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, diag, diag, args.toArray(String[]::new))).as(diag.toString(StandardCharsets.UTF_8)).isZero();
    }

    @Test
    void theClientVerifiesTheEnclaveAndExchangesOneMessage() throws Exception {
        Path ex = example();
        assertThat(Run.jocclum(tmp, "new", "ra").exit()).isZero();
        Path inst = tmp.resolve("ra");
        Path json = inst.resolve("Occlum.json");
        Files.writeString(json, Files.readString(json).replace("\"300MB\"", "\"64MB\"").replace("\"32MB\"", "\"8MB\""));
        Path serverClasses = tmp.resolve("server");
        javac(location(GuestProgram.class), serverClasses, ex.resolve("src/server/example"));
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(new Attributes.Name(JarProgram.MAIN_CLASS_ATTRIBUTE), "example.AttestedServer");
        try (OutputStream f = Files.newOutputStream(inst.resolve("image/bin/attested-server.jar"));
             JarOutputStream jar = new JarOutputStream(f, mf)) {
            jar.putNextEntry(new JarEntry("example/AttestedServer.class"));
            jar.write(Files.readAllBytes(serverClasses.resolve("example/AttestedServer.class")));
            jar.closeEntry();
        }
        Run.Result build = Run.jocclum(inst, "build", "--sign-key", Run.key(tmp, "key-a.pem").toString());
        assertThat(build.exit()).as(build.err()).isZero();
        assertThat(Run.jocclum(inst, "collateral", "export", "collateral").exit()).isZero();
        String mrenclave = Run.jocclum(inst, "print", "mrenclave").out().strip();

        Path clientClasses = tmp.resolve("client");
        javac(location(QuoteVerifier.class), clientClasses, ex.resolve("src/client/example"));
        Method run;
        URLClassLoader loader = new URLClassLoader(new URL[]{clientClasses.toUri().toURL()}, getClass().getClassLoader());
        run = loader.loadClass("example.AttestationClient").getMethod("run", int.class, Path.class, String.class, String.class);

        for (boolean rightMrEnclave : new boolean[]{true, false}) {
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            int p = port;
            CompletableFuture<Run.Result> server = CompletableFuture.supplyAsync(() -> Run.jocclum(inst, "run",
                    "/bin/attested-server.jar", Integer.toString(p)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream saved = System.out;
            int status;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                status = (int) run.invoke(null, port, inst.resolve("collateral"), rightMrEnclave ? mrenclave : "00".repeat(32),
                        "hello, enclave");
            } finally {
                System.setOut(saved);
            }
            String client = out.toString(StandardCharsets.UTF_8);
            assertThat(client).contains("quote: SGX_QL_QV_RESULT_OK");
            if (rightMrEnclave) {
                assertThat(status).as(client).isZero();
                assertThat(client).contains("MRENCLAVE " + mrenclave + " as expected", "reply: the enclave read: hello, enclave");
                Run.Result r = server.get(120, TimeUnit.SECONDS);
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.out()).contains("attested-server: received \"hello, enclave\"");
            } else {
                assertThat(status).isEqualTo(1);
                assertThat(client).contains("REJECTED: MRENCLAVE " + mrenclave + " is not the expected");
                Run.Result r = server.get(120, TimeUnit.SECONDS);
                assertThat(r.exit()).as("the server sees the client leave").isNotZero();
            }
        }
        loader.close();
    }
}
