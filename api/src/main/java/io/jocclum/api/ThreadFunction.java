package io.jocclum.api;

/**
 * The body of a thread made by {@link Syscalls#threadCreate}: what {@code pthread_create}'s start
 * routine is. Its return value is what {@link Syscalls#threadJoin} returns. It receives its own
 * {@link Syscalls} (each thread has its own; do not share them between threads).
 */
@FunctionalInterface
public interface ThreadFunction {
    long run(Syscalls sys) throws Exception;
}
