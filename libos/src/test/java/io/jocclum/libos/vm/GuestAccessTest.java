package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Loads and stores through {@link GuestMemory}: values, bulk copies, and every failure outcome. */
@ParameterizedClass
@EnumSource(Platform.class)
class GuestAccessTest extends VmTestBase {
    private static final int RW = PROT_READ | PROT_WRITE;
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    @Test
    void valuesRoundTripLittleEndianIncludingAcrossPagesAndVmas() {
        long a = anon(2 * PAGE);
        mem.writeInt(a, 0x01020304);
        assertThat(mem.readByte(a)).isEqualTo((byte) 4);
        mem.writeLong(a + PAGE - 3, 0x1122334455667788L);
        assertThat(mem.readLong(a + PAGE - 3)).isEqualTo(0x1122334455667788L);
        // a value straddling two VMAs (different protections, so they cannot merge)
        long b = vm.mmap(a + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, ANON | MAP_FIXED, null, 0);
        mem.writeInt(b - 2, 0xCAFEBABE);
        assertThat(mem.readInt(b - 2)).isEqualTo(0xCAFEBABE);
        assertThat(mem.readByte(b)).isEqualTo((byte) 0xFE);
    }

    @Test
    void unmappedAccessIsSegvMaperr() {
        long a = anon(PAGE);
        vm.munmap(a, PAGE);
        GuestSignal s = signal(() -> mem.readByte(a + 5));
        assertThat(s).isEqualTo(new GuestSignal.Segv(a + 5, false, false));
        assertThat(s.code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        assertThat(signal(() -> mem.writeLong(-8L, 1)).signo()).isEqualTo(GuestSignal.SIGSEGV);
        assertThat(signal(() -> mem.readInt(0)).signo()).isEqualTo(GuestSignal.SIGSEGV);
    }

    @Test
    void writeToReadOnlyAndAnyAccessToProtNoneIsSegvAccerr() {
        long r = vm.mmap(0, PAGE, PROT_READ, ANON, null, 0);
        assertThat(signal(() -> mem.writeByte(r, (byte) 1))).isEqualTo(new GuestSignal.Segv(r, true, true));
        assertThat(mem.readLong(r)).isZero();
        long n = vm.mmap(0, PAGE, PROT_NONE, ANON, null, 0);
        assertThat(signal(() -> mem.readByte(n)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        assertThat(signal(() -> mem.write(n, new byte[10], 0, 10)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        // PROT_WRITE alone and PROT_EXEC alone are readable on x86
        long w = vm.mmap(0, PAGE, PROT_WRITE, ANON, null, 0);
        mem.writeInt(w, 3);
        assertThat(mem.readInt(w)).isEqualTo(3);
        long x = vm.mmap(0, PAGE, PROT_EXEC, ANON, null, 0);
        assertThat(mem.readInt(x)).isZero();
        assertThat(signal(() -> mem.writeInt(x, 1)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
    }

    @Test
    void kernelModeAccessFailsWithEfaultInsteadOfASignal() {
        long r = vm.mmap(0, PAGE, PROT_READ, ANON, null, 0);
        assertThat(errno(() -> kmem.write(r, new byte[4], 0, 4))).isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> kmem.readInt(r + (1L << 40)))).isEqualTo(Errno.EFAULT);
        byte[] buf = new byte[16];
        kmem.read(r, buf, 0, 16);
        assertThat(buf).containsOnly(0);
        assertThat(space.stats().signals()).isZero();
    }

    @Test
    void bulkCopyStopsAtTheFirstBadPageAndKeepsWhatItWrote() {
        long a = anon(2 * PAGE);
        byte[] src = new byte[(int) (3 * PAGE)];
        java.util.Arrays.fill(src, (byte) 5);
        GuestSignal s = signal(() -> mem.write(a + 10, src, 0, src.length));
        assertThat(s.address()).isEqualTo(a + 2 * PAGE);
        assertThat(mem.readByte(a + 2 * PAGE - 1)).isEqualTo((byte) 5);
    }

    @Test
    void bulkCopiesSpanVmasAndAcceptArraysBuffersAndSegments() {
        long a = anon(4 * PAGE);
        vm.mprotect(a + PAGE, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
        byte[] src = new byte[(int) (3 * PAGE)];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) i;
        }
        mem.write(a + 100, ByteBuffer.wrap(src));
        ByteBuffer back = ByteBuffer.allocateDirect(src.length);
        mem.read(a + 100, back);
        assertThat(back.position()).isEqualTo(src.length);
        back.flip();
        byte[] got = new byte[src.length];
        back.get(got);
        assertThat(got).isEqualTo(src);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(PAGE);
            mem.read(a + PAGE, seg, 0, PAGE);
            assertThat(seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo(src[(int) (PAGE - 100)]);
            seg.fill((byte) 9);
            mem.write(a + 3 * PAGE, seg, 0, PAGE);
        }
        assertThat(mem.readByte(a + 4 * PAGE - 1)).isEqualTo((byte) 9);
        mem.fill(a, 4 * PAGE, (byte) 0);
        assertThat(isZero(a, 4 * PAGE)).isTrue();
    }

    @Test
    void aCachedTranslationNoticesUnmapAndMprotect() {
        long a = anon(2 * PAGE);
        mem.writeInt(a, 1);
        vm.mprotect(a, PAGE, PROT_READ);
        assertThat(signal(() -> mem.writeInt(a, 2)).code()).isEqualTo(GuestSignal.SEGV_ACCERR);
        vm.munmap(a, 2 * PAGE);
        assertThat(signal(() -> mem.readInt(a)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        long b = vm.mmap(a, 2 * PAGE, RW, ANON | MAP_FIXED, null, 0);
        assertThat(mem.readInt(b)).as("remapped memory is fresh").isZero();
    }

    @Test
    void anotherProcessCannotSeeOrTouchMyMemory() {
        long a = anon(PAGE);
        mem.writeInt(a, 1234);
        ProcessVm other = space.createProcess(2, spec());
        GuestMemory om = other.memory(AccessMode.USER);
        assertThat(signal(() -> om.readInt(a)).code()).isEqualTo(GuestSignal.SEGV_MAPERR);
        other.munmap(a, PAGE); // not its mapping: nothing happens
        assertThat(mem.readInt(a)).isEqualTo(1234);
    }

    @Test
    void freedMemoryReadsAsZeroWhenMappedAgainEvenByAnotherProcess() {
        long a = anon(8 * PAGE);
        pattern(a, 8 * PAGE, 11);
        vm.munmap(a, 8 * PAGE);
        ProcessVm other = space.createProcess(2, spec());
        long b = other.mmap(a, 8 * PAGE, RW, ANON | MAP_FIXED, null, 0);
        byte[] buf = new byte[(int) (8 * PAGE)];
        other.memory(AccessMode.USER).read(b, buf, 0, buf.length);
        assertThat(buf).containsOnly(0);
    }
}
