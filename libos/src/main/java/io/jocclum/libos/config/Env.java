package io.jocclum.libos.config;

import java.util.List;

/**
 * The {@code env} section: {@code default} holds "NAME=value" entries every process gets;
 * {@code untrusted} names the variables a process may take from the host at run time.
 */
public record Env(List<String> defaults, List<String> untrusted) {
    public Env {
        defaults = List.copyOf(defaults);
        untrusted = List.copyOf(untrusted);
    }
}
