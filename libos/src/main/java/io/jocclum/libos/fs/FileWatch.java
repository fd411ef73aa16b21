package io.jocclum.libos.fs;

/**
 * Something attached to an open file that must be dropped when the file's last descriptor is
 * closed: an epoll registration (Linux's {@code f_ep} list, {@code eventpoll_release}).
 */
public interface FileWatch {
    /** The watched file lost its last reference; detach from it. Called without file locks held. */
    void fileReleased(OpenFile file);

    /** True while the watch is registered where it belongs (for invariant checks). */
    default boolean isRegistered() {
        return true;
    }
}
