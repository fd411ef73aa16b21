package io.jocclum.libos.programs;

import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.Syscalls;

/** {@code /bin/hello [NAME...]}: prints "Hello, world!" (or "Hello, NAME!") on standard output and exits 0. */
public final class Hello implements GuestProgram {
    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        String who = argv.length > 1 ? String.join(" ", java.util.Arrays.copyOfRange(argv, 1, argv.length)) : "world";
        Libc.puts(sys, "Hello, " + who + "!");
        return 0;
    }
}
