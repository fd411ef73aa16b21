package io.jocclum.api;

/** {@code struct ucred} (SO_PEERCRED, unix(7)): the peer's process id, user id and group id. */
public record Ucred(int pid, int uid, int gid) {
}
