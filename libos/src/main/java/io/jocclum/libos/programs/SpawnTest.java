package io.jocclum.libos.programs;

import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SpawnAction;
import io.jocclum.api.Syscalls;
import io.jocclum.api.Wait;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code /bin/spawntest}: starts several child processes that map and touch memory at the same
 * time, collects what each printed through a pipe given to it as standard output (a posix_spawn
 * dup2 action), waits for each and reports its status.
 *
 * <pre>
 * spawntest [--children N] [--program PATH] [-- ARGS...]
 * </pre>
 *
 * <p>Defaults: 4 children running {@code /bin/memtest --size 16MB --touch 0.5 --pattern random
 * --seed I}. With {@code -- ARGS} every child gets ARGS instead. Exit status 0 when every child
 * exited with 0, else 1 (2 on a usage error).
 */
public final class SpawnTest implements GuestProgram {
    static final String USAGE = "usage: spawntest [--children N] [--program PATH] [-- ARGS...]";

    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        if (ProgramArgs.help(sys, argv, USAGE)) {
            return 0;
        }
        int children = 4;
        String program = "/bin/memtest";
        String[] childArgs = null;
        try {
            for (int i = 1; i < argv.length; i++) {
                switch (argv[i]) {
                    case "--children" -> children = (int) ProgramArgs.number("--children", ProgramArgs.value(argv, i++), 1, 4096);
                    case "--program" -> program = ProgramArgs.value(argv, i++);
                    case "--" -> {
                        childArgs = Arrays.copyOfRange(argv, i + 1, argv.length);
                        i = argv.length;
                    }
                    default -> throw new ProgramArgs.Usage("unknown option " + argv[i]);
                }
            }
        } catch (ProgramArgs.Usage u) {
            Libc.println(sys, 2, "spawntest: " + u.getMessage());
            Libc.println(sys, 2, USAGE);
            return 2;
        }
        int[] pids = new int[children];
        int[] pipes = new int[children];
        for (int c = 0; c < children; c++) {
            int[] p = sys.pipe2(OpenFlags.O_CLOEXEC);
            List<String> args = new ArrayList<>();
            args.add(program);
            if (childArgs != null) {
                args.addAll(Arrays.asList(childArgs));
            } else {
                args.addAll(List.of("--size", "16MB", "--touch", "0.5", "--pattern", "random", "--seed", Integer.toString(c + 1)));
            }
            pids[c] = sys.posixSpawn(program, List.of(SpawnAction.dup2(p[1], 1)), args.toArray(String[]::new), envp);
            sys.close(p[1]);
            pipes[c] = p[0];
        }
        int failed = 0;
        for (int c = 0; c < children; c++) {
            String out = Libc.readAll(sys, pipes[c]).strip();
            sys.close(pipes[c]);
            Wait.Result r = sys.wait4(pids[c], 0);
            String how = Wait.WIFEXITED(r.status()) ? "exit " + Wait.WEXITSTATUS(r.status())
                    : "killed by signal " + Wait.WTERMSIG(r.status());
            if (!(Wait.WIFEXITED(r.status()) && Wait.WEXITSTATUS(r.status()) == 0)) {
                failed++;
            }
            String last = out.isEmpty() ? "(no output)" : out.substring(out.lastIndexOf('\n') + 1);
            Libc.puts(sys, String.format(Locale.ROOT, "spawntest: child %d (pid %d): %s: %s", c + 1, r.pid(), how, last));
        }
        Libc.puts(sys, String.format(Locale.ROOT, "spawntest: %d of %d children succeeded", children - failed, children));
        return failed == 0 ? 0 : 1;
    }
}
