package io.jocclum.libos.epoll;

import io.jocclum.libos.events.Observer;
import io.jocclum.libos.events.Subscription;
import io.jocclum.libos.fs.FileWatch;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.kheap.KernelHeap;

/**
 * One registration (Linux {@code struct epitem}): an (open file, fd number) pair in one epoll,
 * with the user's mask and data. It is the observer on the file's notifier (filtered by the mask,
 * so wake-ups for other events never queue it — Occlum W12) and the watch on the file that
 * removes it when the file's last descriptor is closed (Occlum keys by fd number, W8).
 */
final class EpollItem implements Observer, FileWatch {
    final EpollFile ep;
    final OpenFile file;
    final int fd;
    /** User mask with ERR|HUP and the flag bits; a fired ONESHOT keeps only the flag bits. */
    volatile int events;
    volatile long data;
    /** Set once at insertion (under ep.mtx). */
    Subscription subscription;
    /** The kernel heap this registration is charged to (null: not charged). mtx of {@link #ep}. */
    KernelHeap charged;
    /** Set (under ep.lock) when removed; a removed item is never queued again. */
    volatile boolean dead;

    // ready-list links and state, guarded by ep.lock
    boolean queued;
    EpollItem prev;
    EpollItem next;

    EpollItem(EpollFile ep, OpenFile file, int fd, int events, long data) {
        this.ep = ep;
        this.file = file;
        this.fd = fd;
        this.events = events;
        this.data = data;
    }

    @Override
    public boolean onEvents(int ev) {
        return ep.callback(this, ev);
    }

    @Override
    public void fileReleased(OpenFile f) {
        ep.removeReleased(this);
    }

    @Override
    public boolean isRegistered() {
        return !dead && ep.isRegistered(this);
    }

    @Override
    public String toString() {
        return "epitem[fd " + fd + ", " + file + "]";
    }
}
