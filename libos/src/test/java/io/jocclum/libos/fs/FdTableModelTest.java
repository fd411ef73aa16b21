package io.jocclum.libos.fs;

import io.jocclum.api.ErrnoException;
import io.jocclum.api.Errno;
import io.jocclum.api.Fcntl;
import io.jocclum.api.OpenFlags;
import io.jocclum.libos.support.FileLayerTest;
import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random sequences of open, dup, dup2, dup3, F_DUPFD, F_SETFD, close and spawn against a
 * reference model (fd → (file id, cloexec), Linux's allocation and error rules), checking the
 * table, the reference counts and the releases after every step.
 */
class FdTableModelTest extends FileLayerTest {

    private record Slot(int file, boolean cloexec) {
    }

    @Test
    void randomSequencesMatchTheReferenceModel() {
        long seed = Seeds.seed("FdTableModelTest");
        SplittableRandom rnd = new SplittableRandom(seed);
        int limit = 40;
        c.files().setLimit(limit);
        TreeMap<Integer, Slot> model = new TreeMap<>();
        List<OpenFile> files = new ArrayList<>(); // file id → open file
        for (int step = 0; step < 3000; step++) {
            String what = "seed " + seed + " step " + step;
            int op = rnd.nextInt(8);
            int fd = rnd.nextInt(limit + 4) - 2;
            int other = rnd.nextInt(limit + 4) - 2;
            Errno expected;
            Errno got = null;
            switch (op) {
                case 0 -> { // open
                    int lowest = lowestFree(model, 0);
                    expected = lowest >= limit ? Errno.EMFILE : null;
                    boolean cloexec = rnd.nextBoolean();
                    try {
                        int n = vfs.open(c, "/etc/hostname", OpenFlags.O_RDONLY | (cloexec ? OpenFlags.O_CLOEXEC : 0), 0);
                        assertThat(n).as(what).isEqualTo(lowest);
                        files.add(c.files().get(n));
                        model.put(n, new Slot(files.size() - 1, cloexec));
                    } catch (ErrnoException e) {
                        got = e.errno();
                    }
                }
                case 1 -> { // dup
                    int lowest = lowestFree(model, 0);
                    expected = !model.containsKey(fd) ? Errno.EBADF : lowest >= limit ? Errno.EMFILE : null;
                    try {
                        int n = FileCalls.dup(c, fd);
                        assertThat(n).as(what).isEqualTo(lowest);
                        model.put(n, new Slot(model.get(fd).file(), false));
                    } catch (ErrnoException e) {
                        got = e.errno();
                    }
                }
                case 2, 3 -> { // dup2 / dup3
                    boolean three = op == 3;
                    boolean cloexec = three && rnd.nextBoolean();
                    expected = three && fd == other ? Errno.EINVAL
                            : !model.containsKey(fd) ? Errno.EBADF
                            : fd == other ? null
                            : other < 0 || other >= limit ? Errno.EBADF : null;
                    try {
                        int n = three ? FileCalls.dup3(c, fd, other, cloexec ? OpenFlags.O_CLOEXEC : 0) : FileCalls.dup2(c, fd, other);
                        assertThat(n).as(what).isEqualTo(other);
                        if (fd != other) {
                            model.put(other, new Slot(model.get(fd).file(), cloexec));
                        }
                    } catch (ErrnoException e) {
                        got = e.errno();
                    }
                }
                case 4 -> { // F_DUPFD
                    int min = rnd.nextInt(limit + 2);
                    int lowest = lowestFree(model, min);
                    expected = !model.containsKey(fd) ? Errno.EBADF : min >= limit ? Errno.EINVAL : lowest >= limit ? Errno.EMFILE : null;
                    try {
                        long n = FileCalls.fcntl(c, fd, Fcntl.F_DUPFD_CLOEXEC, min);
                        assertThat(n).as(what).isEqualTo(lowest);
                        model.put((int) n, new Slot(model.get(fd).file(), true));
                    } catch (ErrnoException e) {
                        got = e.errno();
                    }
                }
                case 5 -> { // F_SETFD
                    boolean on = rnd.nextBoolean();
                    expected = model.containsKey(fd) ? null : Errno.EBADF;
                    try {
                        FileCalls.fcntl(c, fd, Fcntl.F_SETFD, on ? Fcntl.FD_CLOEXEC : 0);
                        model.put(fd, new Slot(model.get(fd).file(), on));
                    } catch (ErrnoException e) {
                        got = e.errno();
                    }
                }
                case 6 -> { // close
                    expected = model.containsKey(fd) ? null : Errno.EBADF;
                    try {
                        FileCalls.close(c, fd);
                        model.remove(fd);
                    } catch (ErrnoException e) {
                        got = e.errno();
                    }
                }
                default -> { // spawn a child with no actions: it gets the non-cloexec descriptors
                    expected = null;
                    FdTable child = c.files().spawnChild(List.of(), vfs.opener(c));
                    Map<Integer, Integer> seen = new HashMap<>();
                    child.forEach((n, e) -> seen.put(n, files.indexOf(e.file())));
                    Map<Integer, Integer> want = new HashMap<>();
                    model.forEach((n, s) -> {
                        if (!s.cloexec()) {
                            want.put(n, s.file());
                        }
                    });
                    assertThat(seen).as(what).isEqualTo(want);
                    child.closeAll();
                }
            }
            assertThat(got).as(what + " op " + op + " fd " + fd + " other " + other).isEqualTo(expected);
            check(model, files, what);
        }
    }

    private static int lowestFree(TreeMap<Integer, Slot> model, int from) {
        int n = from;
        while (model.containsKey(n)) {
            n++;
        }
        return n;
    }

    private void check(TreeMap<Integer, Slot> model, List<OpenFile> files, String what) {
        Map<Integer, Slot> actual = new TreeMap<>();
        c.files().forEach((n, e) -> actual.put(n, new Slot(files.indexOf(e.file()), e.cloexec())));
        assertThat(actual).as(what).isEqualTo(model);
        Map<OpenFile, Integer> refs = new IdentityHashMap<>();
        model.values().forEach(s -> refs.merge(files.get(s.file()), 1, Integer::sum));
        for (OpenFile f : files) {
            int r = refs.getOrDefault(f, 0);
            assertThat(f.refCount()).as(what).isEqualTo(r);
            assertThat(f.isReleased()).as(what).isEqualTo(r == 0);
        }
        c.files().checkInvariants();
    }
}
