package io.jocclum.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code jocclum run} enforces Occlum.json's {@code entry_points} as {@code occlum run} does
 * (Occlum {@code src/libos/src/entry.rs} validate_program_path): a path that no entry point
 * prefixes component-wise is EACCES with Occlum's message, a relative path or one with ".." is
 * EINVAL; each exits with 127, the status of a failed process creation. And a build that sees
 * {@code feature.enable_posix_shm} says that MAP_SHARED mappings are always coherent.
 */
class EntryPointsTest {
    @TempDir
    Path tmp;

    @Test
    void runRefusesProgramsOutsideTheEntryPointsWithOcclumsErrnosAndStatus127() throws Exception {
        Path inst = RunCommandTest.instance(tmp, "eps");
        Path json = inst.resolve("Occlum.json");
        String s = Files.readString(json);
        String edited = s.replaceFirst("\"entry_points\": \\[[^]]*]", "\"entry_points\": [\"/usr/local\", \"/bin/hello\"]")
                .replace("\"enable_posix_shm\": false", "\"enable_posix_shm\": true");
        assertThat(edited).contains("\"/bin/hello\"]").contains("\"enable_posix_shm\": true");
        Files.writeString(json, edited);
        Run.Result b = Run.jocclum(inst, "build", "--sign-key", Run.key(tmp, "key-a.pem").toString());
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(b.out() + b.err()).as("the build's word on enable_posix_shm")
                .contains("enable_posix_shm").contains("always shared coherently between processes, as in Linux");

        Run.Result ok = RunCommandTest.run(inst, "/bin/hello", "entry");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).isEqualTo("Hello, entry!\n");

        Run.Result denied = RunCommandTest.run(inst, "/bin/spawntest").noTrace();
        assertThat(denied.exit()).isEqualTo(127);
        assertThat(denied.err()).contains("EACCES: program path is NOT a valid entry point").contains("/usr/local, /bin/hello");

        Run.Result prefixOfAName = RunCommandTest.run(inst, "/usr/localx/prog").noTrace();
        assertThat(prefixOfAName.exit()).as("component-wise, not string prefixes").isEqualTo(127);
        assertThat(prefixOfAName.err()).contains("EACCES");

        Run.Result relative = RunCommandTest.run(inst, "bin/hello").noTrace();
        assertThat(relative.exit()).isEqualTo(127);
        assertThat(relative.err()).contains("EINVAL: program path must be absolute");

        Run.Result dotdot = RunCommandTest.run(inst, "/usr/local/../../bin/spawntest").noTrace();
        assertThat(dotdot.exit()).isEqualTo(127);
        assertThat(dotdot.err()).contains("EINVAL: program path cannot contain any parent component (i.e., \"..\")");

        Run.Result dotted = RunCommandTest.run(inst, "/bin/./hello", "dot");
        assertThat(dotted.exit()).as("'.' components do not count (Rust's Path::components): %s", dotted.err()).isZero();
    }
}
