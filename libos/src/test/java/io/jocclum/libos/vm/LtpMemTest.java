package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.libos.vm.testing.ByteArrayFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Cases of LTP's {@code testcases/kernel/syscalls/{mmap,munmap,mprotect,mremap,brk,msync,madvise}}, rewritten. */
@ParameterizedClass
@EnumSource(Platform.class)
class LtpMemTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    private static byte[] text(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'A');
        return b;
    }

    @Test
    void mmap01() {
        // a file whose size is not a page multiple: the rest of the page is accessible, zero, and not reflected in the file
        byte[] content = text(1234);
        ByteArrayFile f = ByteArrayFile.of(content);
        long a = vm.mmap(0, content.length, RW, MAP_SHARED, f, 0);
        assertThat(isZero(a + content.length, PAGE - content.length)).isTrue();
        mem.fill(a + content.length, PAGE - content.length, (byte) 'X');
        vm.msync(a, content.length, MS_SYNC);
        assertThat(f.contents()).isEqualTo(content);
    }

    @Test
    void mmap02() {
        byte[] content = text(3000);
        ByteArrayFile f = ByteArrayFile.of(content).reopen(true, false);
        long a = vm.mmap(0, content.length, PROT_READ, MAP_SHARED, f, 0);
        byte[] got = new byte[content.length];
        mem.read(a, got, 0, got.length);
        assertThat(got).isEqualTo(content);
    }

    @Test
    void mmap05() {
        long a = vm.mmap(0, PAGE, PROT_NONE, ANON, null, 0);
        assertThat(signal(() -> mem.readByte(a)).signo()).isEqualTo(GuestSignal.SIGSEGV);
    }

    @Test
    void mmap06() {
        ByteArrayFile wo = ByteArrayFile.of(text(100)).reopen(false, true);
        assertThat(errno(() -> vm.mmap(0, PAGE, PROT_READ, MAP_PRIVATE, wo, 0))).isEqualTo(Errno.EACCES);
    }

    @Test
    void mmap07() {
        ByteArrayFile ro = ByteArrayFile.of(text(100)).reopen(true, false);
        assertThat(errno(() -> vm.mmap(0, PAGE, RW, MAP_SHARED, ro, 0))).isEqualTo(Errno.EACCES);
    }

    @Test
    void mmap08() {
        assertThat(errno(() -> vm.mmap(0, PAGE, PROT_READ, MAP_SHARED, null, 0))).isEqualTo(Errno.EBADF);
    }

    @Test
    void munmap01() {
        long a = anon(4 * PAGE);
        vm.munmap(a, 4 * PAGE);
        assertThat(signal(() -> mem.writeByte(a + 2 * PAGE, (byte) 1)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
    }

    @Test
    void munmap02() {
        long a = anon(4 * PAGE);
        vm.munmap(a + PAGE, PAGE);
        mem.writeByte(a, (byte) 1);
        assertThat(signal(() -> mem.writeByte(a + PAGE, (byte) 1)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        mem.writeByte(a + 2 * PAGE, (byte) 1);
    }

    @Test
    void munmap03() {
        long a = anon(PAGE);
        assertThat(errno(() -> vm.munmap(a, 0))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.munmap(a + 1, PAGE))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.munmap(-PAGE, PAGE))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mprotect01() {
        assertThat(errno(() -> vm.mprotect(1L << 30, PAGE, PROT_READ))).isEqualTo(Errno.ENOMEM);
        long a = anon(PAGE);
        assertThat(errno(() -> vm.mprotect(a + 1, PAGE, PROT_READ))).isEqualTo(Errno.EINVAL);
        ByteArrayFile ro = ByteArrayFile.of(text(100)).reopen(true, false);
        long b = vm.mmap(0, PAGE, PROT_READ, MAP_SHARED, ro, 0);
        assertThat(errno(() -> vm.mprotect(b, PAGE, RW))).isEqualTo(Errno.EACCES);
    }

    @Test
    void mprotect02() {
        long a = anon(PAGE);
        vm.mprotect(a, PAGE, PROT_READ);
        assertThat(signal(() -> mem.writeInt(a, 1)).signo()).isEqualTo(GuestSignal.SIGSEGV);
        vm.mprotect(a, PAGE, RW);
        mem.writeInt(a, 1);
        assertThat(mem.readInt(a)).isEqualTo(1);
    }

    @Test
    void mprotect03() {
        long a = anon(PAGE);
        mem.writeInt(a, 5);
        vm.mprotect(a, PAGE, PROT_NONE);
        assertThat(signal(() -> mem.readInt(a)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        vm.mprotect(a, PAGE, PROT_READ);
        assertThat(mem.readInt(a)).isEqualTo(5);
    }

    @Test
    void mremap01() {
        long a = anon(PAGE);
        mem.fill(a, PAGE, (byte) 'C');
        long b = vm.mremap(a, PAGE, 10 * PAGE, MREMAP_MAYMOVE, 0);
        byte[] got = new byte[(int) PAGE];
        mem.read(b, got, 0, got.length);
        assertThat(got).containsOnly('C');
        mem.writeByte(b + 10 * PAGE - 1, (byte) 1);
    }

    @Test
    void mremap02() {
        long a = anon(PAGE);
        assertThat(errno(() -> vm.mremap(a + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mremap03() {
        assertThat(errno(() -> vm.mremap(1L << 30, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0))).isEqualTo(Errno.EFAULT);
    }

    @Test
    void mremap04() {
        long a = anon(2 * PAGE);
        vm.mmap(a + 2 * PAGE, PAGE, PROT_NONE, ANON | MAP_FIXED, null, 0);
        assertThat(errno(() -> vm.mremap(a, 2 * PAGE, 4 * PAGE, 0, 0))).isEqualTo(Errno.ENOMEM);
    }

    @Test
    void brk01() {
        long cur = vm.brk(0);
        long incr = 3 * PAGE + 17;
        assertThat(vm.brk(cur + incr)).isEqualTo(cur + incr);
        mem.writeByte(cur + incr - 1, (byte) 1);
        assertThat(vm.brk(cur)).isEqualTo(cur);
        assertThat(vm.brk(0)).isEqualTo(cur);
    }

    @Test
    void msync03() {
        long a = anon(PAGE);
        assertThat(errno(() -> vm.msync(a + 1, PAGE, MS_SYNC))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.msync(a, PAGE, -1))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.msync(a, PAGE, MS_ASYNC | MS_SYNC))).isEqualTo(Errno.EINVAL);
        vm.munmap(a, PAGE);
        assertThat(errno(() -> vm.msync(a, PAGE, MS_SYNC))).isEqualTo(Errno.ENOMEM);
    }

    @Test
    void madvise02() {
        long a = anon(4 * PAGE);
        assertThat(errno(() -> vm.madvise(a + 1, PAGE, MADV_NORMAL))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> vm.madvise(a, PAGE, 1212))).isEqualTo(Errno.EINVAL);
        vm.munmap(a + 2 * PAGE, 2 * PAGE);
        assertThat(errno(() -> vm.madvise(a, 4 * PAGE, MADV_WILLNEED))).isEqualTo(Errno.ENOMEM);
        mem.writeByte(a, (byte) 3);
        vm.madvise(a, 2 * PAGE, MADV_DONTNEED);
        assertThat(mem.readByte(a)).as("MADV_DONTNEED zeroes private anonymous memory (Occlum does not)").isZero();
    }
}
