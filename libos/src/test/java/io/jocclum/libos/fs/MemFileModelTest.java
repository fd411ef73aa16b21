package io.jocclum.libos.fs;

import io.jocclum.api.OpenFlags;
import io.jocclum.api.Seek;
import io.jocclum.libos.support.FileLayerTest;
import io.jocclum.libos.support.Seeds;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded random sequences of write, pwrite, read, pread, lseek, O_APPEND writes and ftruncate on
 * a tmpfs file and a hostfs file, against a byte-array reference model (holes read as zeros).
 */
class MemFileModelTest extends FileLayerTest {

    @ParameterizedTest
    @ValueSource(strings = {"/tmp/model", "/host/model"})
    void randomIoMatchesAByteArrayModel(String path) {
        long seed = Seeds.seed("MemFileModelTest " + path);
        SplittableRandom rnd = new SplittableRandom(seed);
        int fd = vfs.open(c, path, OpenFlags.O_CREAT | OpenFlags.O_RDWR, 0600);
        int app = vfs.open(c, path, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0);
        byte[] model = new byte[0];
        long pos = 0;
        for (int step = 0; step < 1500; step++) {
            String what = "seed " + seed + " step " + step;
            int len = rnd.nextInt(4) == 0 ? rnd.nextInt(20_000) : rnd.nextInt(300);
            long at = rnd.nextInt(Math.max(1, model.length + 10_000));
            ByteBuffer data = ByteBuffer.allocate(len);
            rnd.nextBytes(data.array());
            ByteBuffer direct = rnd.nextBoolean() ? ByteBuffer.allocateDirect(len).put(data.duplicate()).flip() : data.duplicate();
            switch (rnd.nextInt(7)) {
                case 0 -> {
                    assertThat(FileCalls.write(c, fd, direct)).as(what).isEqualTo(len);
                    model = put(model, pos, data.array());
                    pos += len;
                }
                case 1 -> {
                    assertThat(FileCalls.pwrite(c, fd, direct, at)).as(what).isEqualTo(len);
                    model = put(model, at, data.array());
                }
                case 2 -> {
                    ByteBuffer b = rnd.nextBoolean() ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
                    int n = FileCalls.read(c, fd, b);
                    int want = (int) Math.max(0, Math.min(len, model.length - pos));
                    assertThat(n).as(what).isEqualTo(want);
                    for (int i = 0; i < n; i++) {
                        assertThat(b.get(i)).as(what).isEqualTo(model[(int) pos + i]);
                    }
                    pos += n;
                }
                case 3 -> {
                    ByteBuffer b = ByteBuffer.allocate(len);
                    int n = FileCalls.pread(c, fd, b, at);
                    int want = (int) Math.max(0, Math.min(len, model.length - at));
                    assertThat(n).as(what).isEqualTo(want);
                    assertThat(Arrays.copyOf(b.array(), n)).as(what)
                            .isEqualTo(Arrays.copyOfRange(model, (int) Math.min(at, model.length), (int) Math.min(at, model.length) + n));
                }
                case 4 -> {
                    pos = FileCalls.lseek(c, fd, at, Seek.SEEK_SET);
                    assertThat(pos).as(what).isEqualTo(at);
                }
                case 5 -> {
                    assertThat(FileCalls.write(c, app, direct)).as(what).isEqualTo(len);
                    model = put(model, model.length, data.array());
                }
                default -> {
                    long newLen = rnd.nextInt(model.length + 5000);
                    FileCalls.ftruncate(c, fd, newLen);
                    model = Arrays.copyOf(model, (int) newLen);
                }
            }
            assertThat(FileCalls.fstat(c, fd).size()).as(what).isEqualTo(model.length);
        }
        ByteBuffer all = ByteBuffer.allocate(model.length);
        FileCalls.pread(c, fd, all, 0);
        assertThat(all.array()).as("seed " + seed).isEqualTo(model);
    }

    private static byte[] put(byte[] model, long at, byte[] data) {
        if (data.length == 0) {
            return model;
        }
        byte[] m = model.length < at + data.length ? Arrays.copyOf(model, (int) (at + data.length)) : model;
        System.arraycopy(data, 0, m, (int) at, data.length);
        return m;
    }
}
