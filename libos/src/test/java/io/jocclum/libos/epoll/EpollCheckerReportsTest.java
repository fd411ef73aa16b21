package io.jocclum.libos.epoll;

import io.jocclum.api.EpollEvent;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.events.Subscription;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.fs.FileInvariants;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.support.FileLayerTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.jocclum.api.Epoll.EPOLLIN;
import static io.jocclum.api.Epoll.EPOLL_CTL_ADD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each kind of problem {@link EpollFile#checkInvariants} reports: a test corrupts an epoll
 * instance's registration or ready list on purpose, asserts the exact report and undoes it.
 */
class EpollCheckerReportsTest extends FileLayerTest {
    private EpollFile ep;
    private EpollItem it;
    private int[] pipe;

    private static Object get(Object o, Class<?> c, String name) {
        try {
            var f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f.get(o);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static void set(Object o, Class<?> c, String name, Object value) {
        try {
            var f = c.getDeclaredField(name);
            f.setAccessible(true);
            f.set(o, value);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** An epoll watching a pipe's read end for EPOLLIN; {@code ready}: the pipe holds a byte. */
    private void watchAPipe(boolean ready) {
        int epfd = epolls.epollCreate1(c, 0);
        pipe = pipes.pipe(c);
        epolls.epollCtl(c, epfd, EPOLL_CTL_ADD, pipe[0], new EpollEvent(EPOLLIN, 1));
        ep = (EpollFile) c.files().get(epfd);
        @SuppressWarnings("unchecked")
        Map<Object, EpollItem> items = (Map<Object, EpollItem>) get(ep, EpollFile.class, "items");
        it = items.values().iterator().next();
        if (ready) {
            FileCalls.write(c, pipe[1], bytes("x"));
        }
        ep.checkInvariants(true);
    }

    private void reports(String message) {
        assertThatThrownBy(() -> ep.checkInvariants(true)).isInstanceOf(IllegalStateException.class).hasMessage(message);
    }

    @Test
    void aDeadOrUnwatchedRegistrationIsFound() {
        watchAPipe(false);
        it.dead = true;
        try {
            reports(ep + ": dead item still registered: " + it);
        } finally {
            it.dead = false;
        }
        it.file.removeWatch(it);
        try {
            reports(ep + ": " + it + " missing from the file's watches");
        } finally {
            it.file.addWatch(it);
        }
        set(it.file, OpenFile.class, "released", true);
        try {
            reports(ep + ": registration on released file " + it.file);
        } finally {
            set(it.file, OpenFile.class, "released", false);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aRegistrationWithoutItsSubscriptionOrWithTheWrongFilterIsFound() {
        watchAPipe(false);
        Subscription own = it.subscription;
        Subscription elsewhere = new Notifier().subscribe(it, own.filter());
        it.subscription = elsewhere;
        try {
            reports(ep + ": " + it + " has no live subscription");
        } finally {
            it.subscription = own;
        }
        int filter = own.filter();
        own.setFilter(filter | 0x4);
        try {
            reports(ep + ": " + it + " filter " + (filter | 0x4) + " != mask " + filter);
        } finally {
            own.setFilter(filter);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aCorruptReadyListIsFound() {
        watchAPipe(true);
        assertThat(it.queued).as("the pipe's event put the item on the ready list").isTrue();
        it.queued = false;
        try {
            reports(ep + ": corrupt ready list at " + it);
        } finally {
            it.queued = true;
        }
        int count = (int) get(ep, EpollFile.class, "readyCount");
        set(ep, EpollFile.class, "readyCount", count + 1);
        try {
            reports(ep + ": ready count " + (count + 1) + " but " + count + " linked");
        } finally {
            set(ep, EpollFile.class, "readyCount", count);
        }
        @SuppressWarnings("unchecked")
        Map<Object, EpollItem> items = (Map<Object, EpollItem>) get(ep, EpollFile.class, "items");
        Object key = items.keySet().iterator().next();
        items.remove(key);
        try {
            reports(ep + ": ready item not registered: " + it);
        } finally {
            items.put(key, it);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aWaiterLeftAfterQuiescenceIsFound() {
        watchAPipe(false);
        WaiterQueue waiters = (WaiterQueue) get(ep, EpollFile.class, "waiters");
        WaiterQueue.Node n = waiters.enqueue(Waiter.level());
        try {
            reports(ep + ": 1 waiters left after quiescence");
            ep.checkInvariants(false);
        } finally {
            waiters.remove(n);
        }
        FileInvariants.check(tables(), true);
    }
}
