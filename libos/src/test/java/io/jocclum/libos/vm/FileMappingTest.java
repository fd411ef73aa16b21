package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Private and shared file mappings: filling, write-back (only modified pages, never past EOF), failures. */
@ParameterizedClass
@EnumSource(Platform.class)
class FileMappingTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    @Test
    void onlyModifiedPagesAreWrittenBack() {
        byte[] content = bytes(16 * (int) PAGE, 1);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 16 * PAGE, RW, MAP_SHARED, f, 0);
        mem.writeByte(a + 5 * PAGE + 7, (byte) 0x55);
        vm.msync(a, 16 * PAGE, MS_SYNC);
        long written = space.stats().bytesWrittenBack();
        assertThat(written).isEqualTo(PAGE);
        vm.msync(a, 16 * PAGE, MS_SYNC);
        assertThat(space.stats().bytesWrittenBack()).as("nothing modified since").isEqualTo(written);
        byte[] expected = content.clone();
        expected[5 * (int) PAGE + 7] = 0x55;
        assertThat(f.contents()).isEqualTo(expected);
    }

    @Test
    void writesPastEndOfFileAreNeverWrittenBack() {
        // LTP mmap01: the tail of the last page is accessible, changes there do not reach the file
        byte[] content = bytes(100, 3);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, f, 0);
        mem.fill(a + 100, 2 * PAGE - 100, (byte) 'X');
        mem.writeByte(a, (byte) 'Y');
        vm.munmap(a, 2 * PAGE);
        byte[] expected = content.clone();
        expected[0] = 'Y';
        assertThat(f.contents()).isEqualTo(expected);
    }

    @Test
    void sharedMappingsAreWrittenBackAtExit() {
        ByteArrayFile f = ByteArrayFile.of(bytes(2 * (int) PAGE, 0));
        ProcessVm p = space.createProcess(7, spec());
        long a = p.mmap(0, 2 * PAGE, RW, MAP_SHARED, f, 0);
        p.memory(AccessMode.USER).writeInt(a + PAGE, 0x01020304);
        p.exit();
        assertThat(ByteBuffer.wrap(f.contents(), (int) PAGE, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt()).isEqualTo(0x01020304);
        assertThat(space.process(7)).isNull();
    }

    @Test
    void kernelWritesIntoASharedMappingAreWrittenBackToo() {
        ByteArrayFile f = ByteArrayFile.of(bytes((int) PAGE, 0));
        long a = vm.mmap(0, PAGE, RW, MAP_SHARED, f, 0);
        kmem.write(a + 1, new byte[] {9, 9}, 0, 2);
        vm.syncFile(f.identity());
        assertThat(Arrays.copyOfRange(f.contents(), 1, 3)).containsExactly(9, 9);
    }

    @Test
    void aProtNoneSharedMappingStillWritesBack() {
        ByteArrayFile f = ByteArrayFile.of(bytes((int) PAGE, 0));
        long a = vm.mmap(0, PAGE, RW, MAP_SHARED, f, 0);
        mem.writeByte(a, (byte) 42);
        vm.mprotect(a, PAGE, PROT_NONE);
        vm.msync(a, PAGE, MS_SYNC);
        assertThat(f.contents()[0]).isEqualTo((byte) 42);
        mem.getClass();
        vm.mprotect(a, PAGE, PROT_READ);
        assertThat(mem.readByte(a)).isEqualTo((byte) 42);
    }

    @Test
    void aFileReadErrorFailsTheMmapWithEaccesAndLeavesNothing() {
        MappableFile broken = new MappableFile() {
            @Override
            public int read(long position, ByteBuffer dst) {
                throw Errno.EIO.exception("disk on fire");
            }

            @Override
            public int write(long position, ByteBuffer src) {
                return 0;
            }

            @Override
            public long size() {
                return 8192;
            }

            @Override
            public Object identity() {
                return this;
            }

            @Override
            public boolean readable() {
                return true;
            }

            @Override
            public boolean writable() {
                return false;
            }
        };
        int before = vm.vmaCount();
        assertThat(errno(() -> vm.mmap(0, 2 * PAGE, PROT_READ, MAP_PRIVATE, broken, 0))).isEqualTo(Errno.EACCES);
        assertThat(vm.vmaCount()).isEqualTo(before);
        // a failed MAP_FIXED leaves the range unmapped, never half mapped
        long a = anon(4 * PAGE);
        assertThat(errno(() -> vm.mmap(a, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, broken, 0))).isEqualTo(Errno.EACCES);
        assertThat(mappingAt(a)).isNull();
        assertThat(mappingAt(a + 3 * PAGE)).isNull();
    }

    @Test
    void writeBackErrorsAreReportedByMsyncButNotByMunmap() {
        ByteArrayFile good = ByteArrayFile.of(bytes((int) PAGE, 0));
        MappableFile failing = new MappableFile() {
            @Override
            public int read(long position, ByteBuffer dst) {
                return good.read(position, dst);
            }

            @Override
            public int write(long position, ByteBuffer src) {
                throw new ErrnoException(Errno.ENOSPC, "full");
            }

            @Override
            public long size() {
                return good.size();
            }

            @Override
            public Object identity() {
                return good.identity();
            }

            @Override
            public boolean readable() {
                return true;
            }

            @Override
            public boolean writable() {
                return true;
            }
        };
        long a = vm.mmap(0, PAGE, RW, MAP_SHARED, failing, 0);
        mem.writeByte(a, (byte) 1);
        assertThat(errno(() -> vm.msync(a, PAGE, MS_SYNC))).isEqualTo(Errno.ENOSPC);
        vm.munmap(a, PAGE);
        assertThat(mappingAt(a)).isNull();
    }

    @Test
    void adjacentMappingsOfContiguousFileRangesMerge() {
        ByteArrayFile f = ByteArrayFile.of(bytes(8 * (int) PAGE, 0));
        long a = anon(8 * PAGE);
        vm.munmap(a, 8 * PAGE);
        vm.mmap(a, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0);
        vm.mmap(a + 2 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 2 * PAGE);
        vm.mmap(a + 4 * PAGE, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0);
        assertThat(mappingAt(a).end()).isEqualTo(a + 4 * PAGE);
        assertThat(mappingAt(a + 4 * PAGE).fileOffset()).isZero();
    }

    @Test
    void madviseDontneedRereadsAPrivateFileMappingAndKeepsASharedOne() {
        byte[] content = bytes(2 * (int) PAGE, 5);
        ByteArrayFile f = ByteArrayFile.of(content);
        long p = vm.mmap(0, 2 * PAGE, RW, MAP_PRIVATE, f, 0);
        long s = vm.mmap(0, 2 * PAGE, RW, MAP_SHARED, f, 0);
        mem.fill(p, 2 * PAGE, (byte) 1);
        mem.fill(s, PAGE, (byte) 2);
        vm.madvise(p, 2 * PAGE, MADV_DONTNEED);
        vm.madvise(s, 2 * PAGE, MADV_DONTNEED);
        byte[] got = new byte[(int) (2 * PAGE)];
        mem.read(p, got, 0, got.length);
        assertThat(got).isEqualTo(content);
        assertThat(mem.readByte(s)).isEqualTo((byte) 2);
        assertThat(errno(() -> vm.madvise(p, PAGE, MADV_FREE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(s, PAGE, MADV_REMOVE))).isEqualTo(Errno.EOPNOTSUPP);
    }
}
