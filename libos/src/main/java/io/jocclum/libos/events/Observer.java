package io.jocclum.libos.events;

/**
 * Something that wants to hear about readiness changes of a file: a blocked reader's waiter, an
 * epoll registration, a poll/select call. Called outside the notifier's lock, possibly from the
 * thread that changed the file or from the host poller thread; must be short and must not block.
 */
@FunctionalInterface
public interface Observer {
    /**
     * The file reported {@code events}. Returns whether this observer "took" the wake-up: an
     * exclusive subscription that returns true stops the notifier from waking further exclusive
     * subscribers (Linux's {@code nr_exclusive = 1} wake-up); the value is ignored otherwise.
     */
    boolean onEvents(int events);
}
