package io.jocclum.libos.pipe;

import io.jocclum.libos.eventfd.EventFdFile;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.events.WaiterQueue;
import io.jocclum.libos.fs.FileCalls;
import io.jocclum.libos.fs.FileInvariants;
import io.jocclum.libos.support.FileLayerTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each kind of problem the pipe ring's and the eventfd's checks report (through
 * {@link FileInvariants}): a test corrupts a private field on purpose, asserts the exact report
 * and undoes the damage.
 */
class PipeCheckerReportsTest extends FileLayerTest {

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

    private void reports(String message) {
        assertThatThrownBy(() -> FileInvariants.check(tables(), true)).isInstanceOf(IllegalStateException.class)
                .hasMessage(message);
    }

    private Pipe pipe() {
        int[] p = pipes.pipe(c);
        FileCalls.write(c, p[1], bytes("x")); // the ring exists once something was written
        return ((PipeEnd) c.files().get(p[0])).pipe();
    }

    /** Sets {@code name} to {@code bad}, asserts {@code message}, restores the field. */
    private void corrupt(Pipe p, String name, Object bad, String message) {
        Object good = get(p, Pipe.class, name);
        set(p, Pipe.class, name, bad);
        try {
            reports(message);
        } finally {
            set(p, Pipe.class, name, good);
        }
    }

    @Test
    void eachCorruptionOfTheRingIsFound() {
        Pipe p = pipe();
        int capacity = p.capacity();
        corrupt(p, "count", -1, "pipe " + p.ino + ": count -1 outside 0.." + capacity);
        corrupt(p, "count", capacity + 1, "pipe " + p.ino + ": count " + (capacity + 1) + " outside 0.." + capacity);
        corrupt(p, "head", capacity, "pipe " + p.ino + ": head " + capacity + " outside the ring");
        corrupt(p, "head", -1, "pipe " + p.ino + ": head -1 outside the ring");
        corrupt(p, "ring", new byte[capacity / 2], "pipe " + p.ino + ": ring length " + capacity / 2 + " != capacity " + capacity);
        set(p, Pipe.class, "count", 0);
        set(p, Pipe.class, "head", 0);
        corrupt(p, "capacity", capacity + 1, "pipe " + p.ino + ": capacity " + (capacity + 1) + " not a power of two >= 4096");
        corrupt(p, "capacity", 2048, "pipe " + p.ino + ": capacity 2048 not a power of two >= 4096");
        FileInvariants.check(tables(), true);
    }

    @Test
    void waitersLeftOnAPipeAfterQuiescenceAreFound() {
        Pipe p = pipe();
        WaiterQueue readers = (WaiterQueue) get(p, Pipe.class, "blockedReaders");
        WaiterQueue.Node n = readers.enqueue(Waiter.level());
        try {
            reports("pipe " + p.ino + ": waiters left after quiescence: readers 1, writers 0");
            FileInvariants.check(tables(), false); // a reader may be blocked while the system runs
        } finally {
            readers.remove(n);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void waitersLeftOnAnEventfdAfterQuiescenceAreFound() {
        int fd = eventfds.eventfd(c, 0);
        EventFdFile e = (EventFdFile) c.files().get(fd);
        WaiterQueue writers = (WaiterQueue) get(e, EventFdFile.class, "blockedWriters");
        WaiterQueue.Node n = writers.enqueue(Waiter.level());
        try {
            reports("eventfd " + get(e, EventFdFile.class, "ino") + ": waiters left: readers 0, writers 1");
        } finally {
            writers.remove(n);
        }
        FileInvariants.check(tables(), true);
    }
}
