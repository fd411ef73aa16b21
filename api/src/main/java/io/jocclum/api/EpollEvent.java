package io.jocclum.api;

/** One {@code struct epoll_event}: the event bits and the user data of the registration. */
public record EpollEvent(int events, long data) {
}
