package io.jocclum.api;

/**
 * The entry point of a guest program: what C calls {@code main}. The LibOS creates a new process,
 * instantiates the program's entry class (public, with a public no-argument constructor) in it,
 * and calls {@link #main} on the process's main thread.
 *
 * <p>The return value is the exit status ({@code exit_group(ret)}, only its low 8 bits reach the
 * parent). An exception that escapes {@code main} (or any thread of the process) is reported on
 * the process's standard error and kills the process with SIGABRT, as an uncaught C++ exception
 * does; a {@link StackOverflowError} kills it with SIGSEGV, as a C stack overflow would.
 *
 * <p>A program touches guest memory only through {@code sys} (loads, stores and copies at guest
 * addresses); see {@link Syscalls}. How to package, place and run a program is described in
 * {@code docs/guest-api.md}.
 */
@FunctionalInterface
public interface GuestProgram {
    /**
     * Runs the program.
     *
     * @param sys  the system-call interface of the calling (main) thread
     * @param argv the arguments, {@code argv[0]} being the program name as given to spawn
     * @param envp the environment, as {@code NAME=value} strings
     * @return the exit status
     */
    int main(Syscalls sys, String[] argv, String[] envp) throws Exception;
}
