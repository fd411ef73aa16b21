package io.jocclum.api;

/**
 * A signal handler written in Java. It runs on a thread of the receiving process that does not
 * block the signal, at a system-call boundary of that thread (when a call returns, or when a
 * blocking call is interrupted), with the signal and the action's mask blocked. It may make
 * system calls through {@code sys}, which belongs to the thread it runs on.
 */
@FunctionalInterface
public interface SignalHandler {
    void handle(Syscalls sys, int signo);
}
