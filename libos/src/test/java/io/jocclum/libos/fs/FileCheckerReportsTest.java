package io.jocclum.libos.fs;

import io.jocclum.api.OpenFlags;
import io.jocclum.libos.events.Subscription;
import io.jocclum.libos.support.FileLayerTest;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each kind of problem the fd-table, open-file and reference-count checks of
 * {@link FileInvariants} report: a test corrupts the state on purpose (reflection on private
 * fields), asserts the exact report, and undoes the damage so the after-test check passes.
 */
class FileCheckerReportsTest extends FileLayerTest {

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

    private int open() {
        return vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY, 0);
    }

    @Test
    void aTableOfTheWrongCapacityIsFound() {
        FdTable t = c.files();
        Object slots = get(t, FdTable.class, "slots");
        set(t, FdTable.class, "slots", java.util.Arrays.copyOf((Object[]) slots, 65, slots.getClass().asSubclass(Object[].class)));
        try {
            reports("fd table capacity 65 is not a power of two >= 64");
        } finally {
            set(t, FdTable.class, "slots", slots);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aBitmapThatDisagreesWithTheSlotsIsFound() {
        int fd = open();
        BitSet used = (BitSet) get(c.files(), FdTable.class, "used");
        used.set(fd + 1);
        try {
            reports("fd " + (fd + 1) + ": slot empty but bitmap disagrees");
        } finally {
            used.clear(fd + 1);
        }
        used.clear(fd);
        try {
            reports("fd " + fd + ": slot set but bitmap disagrees");
        } finally {
            used.set(fd);
        }
        used.set(64);
        try {
            reports("bitmap beyond capacity");
        } finally {
            used.clear(64);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aNextFdHintAboveTheLowestFreeFdIsFound() {
        int fd = open();
        int hint = (int) get(c.files(), FdTable.class, "nextFd");
        set(c.files(), FdTable.class, "nextFd", fd + 2);
        try {
            reports("next_fd hint " + (fd + 2) + " is above the lowest free fd " + (fd + 1));
        } finally {
            set(c.files(), FdTable.class, "nextFd", hint);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aReleasedFileStillReferencedIsFound() {
        int fd = open();
        OpenFile f = c.files().get(fd);
        set(f, OpenFile.class, "released", true);
        try {
            reports("fd " + fd + " refers to released file " + f);
            assertThatThrownBy(() -> f.checkInvariants(true)).hasMessage(f + " is released but still referenced");
        } finally {
            set(f, OpenFile.class, "released", false);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aReferenceCountThatDisagreesWithTheDescriptorsIsFound() {
        int fd = open();
        OpenFile f = c.files().get(fd);
        f.retain();
        try {
            reports(f + ": reference count 2 but 1 descriptors refer to it");
        } finally {
            f.unref();
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void referencesAfterReleaseAreRefused() {
        int fd = open();
        OpenFile f = c.files().get(fd);
        FileCalls.close(c, fd);
        assertThatThrownBy(f::retain).isInstanceOf(IllegalStateException.class).hasMessage("open file " + f + " is already released");
        assertThatThrownBy(f::unref).isInstanceOf(IllegalStateException.class)
                .hasMessage("open file " + f + " unreferenced more often than referenced");
    }

    @Test
    void watchesThatDoNotBelongAreFound() {
        int fd = open();
        OpenFile f = c.files().get(fd);
        FileWatch lost = new FileWatch() {
            @Override
            public void fileReleased(OpenFile file) {
            }

            @Override
            public boolean isRegistered() {
                return false;
            }

            @Override
            public String toString() {
                return "lost watch";
            }
        };
        f.addWatch(lost);
        try {
            reports(f + ": watch lost watch is not registered anywhere");
        } finally {
            f.removeWatch(lost);
        }
        FileWatch kept = file -> { };
        assertThat(f.notifier()).as("a regular file cannot be polled").isNull();
        f.addWatch(kept);
        try {
            reports(f + " cannot be polled but has watches");
        } finally {
            f.removeWatch(kept);
        }
        FileInvariants.check(tables(), true);
    }

    @Test
    void aStraySubscriptionAfterQuiescenceIsFound() {
        int[] p = pipes.pipe(c);
        OpenFile f = c.files().get(p[0]);
        Subscription s = f.notifier().subscribe(events -> false, 1);
        try {
            reports(f + ": stray subscription " + s.observer() + " after quiescence");
            FileInvariants.check(List.copyOf(tables()), false); // not quiescent: a poll may be subscribed
        } finally {
            s.cancel();
        }
        FileInvariants.check(tables(), true);
    }
}
