package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.jocclum.api.Mman.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * copy_to_user / copy_from_user through {@link UserCopy}: partial copies stop at the first page
 * the mappings do not allow and report what they copied; the whole-or-EFAULT copies fail as a
 * whole; the bounce buffer.
 */
@ParameterizedClass
@EnumSource(Platform.class)
class UserCopyTest extends VmTestBase {
    private static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS;

    /** Two pages: the first read-write, the second with {@code secondProt}; returns the first's address. */
    private long twoPages(int secondProt) {
        long a = vm.mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, ANON, null, 0);
        vm.mprotect(a + PAGE, PAGE, secondProt);
        return a;
    }

    private static ByteBuffer bytes(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (seed + i));
        }
        return b;
    }

    @Test
    void copyToUserWritesThePagesBeforeTheFirstUnwritableOneAndReportsThem() {
        long a = twoPages(PROT_READ);
        UserCopy u = new UserCopy(kmem);
        ByteBuffer src = bytes(100, 7);
        src.position(20);

        int n = u.copyToUser(a + PAGE - 30, src);

        assertThat(n).isEqualTo(30);
        assertThat(src.position()).isEqualTo(50);
        assertThat(src.limit()).isEqualTo(100);
        byte[] got = new byte[30];
        mem.read(a + PAGE - 30, got, 0, 30);
        for (int i = 0; i < 30; i++) {
            assertThat(got[i]).as("byte %d", i).isEqualTo((byte) (7 + 20 + i));
        }
        assertThat(mem.readByte(a + PAGE)).isZero();
    }

    @Test
    void copyFromUserReadsThePagesBeforeTheFirstUnreadableOne() {
        long a = twoPages(PROT_NONE);
        pattern(a, PAGE, 3);
        UserCopy u = new UserCopy(kmem);
        ByteBuffer dst = ByteBuffer.allocate(64);

        int n = u.copyFromUser(a + PAGE - 16, dst);

        assertThat(n).isEqualTo(16);
        assertThat(dst.position()).isEqualTo(16);
        byte[] want = new byte[16];
        mem.read(a + PAGE - 16, want, 0, 16);
        assertThat(java.util.Arrays.copyOf(dst.array(), 16)).isEqualTo(want);
    }

    @Test
    void aWholeCopyWhenTheRangeAllowsItAndNothingAtAnUnmappedAddress() {
        long a = twoPages(PROT_READ | PROT_WRITE);
        UserCopy u = new UserCopy(kmem);
        assertThat(u.copyToUser(a + 100, bytes(2 * (int) PAGE - 200, 1))).isEqualTo(2 * (int) PAGE - 200);
        vm.munmap(a, 2 * PAGE);
        assertThat(u.copyToUser(a, bytes(10, 1))).isZero();
        assertThat(u.copyFromUser(a, ByteBuffer.allocate(10))).isZero();
    }

    @Test
    void theWholeOrEfaultCopiesFailAsAWholeAndWritablePrefixSaysHowFarAWriteWouldGet() {
        long a = twoPages(PROT_READ);
        UserCopy u = new UserCopy(kmem);
        assertThat(u.writablePrefix(a + PAGE - 8, 100)).isEqualTo(8);
        assertThat(u.writablePrefix(a, 10)).isEqualTo(10);
        assertThat(u.writablePrefix(a + PAGE, 10)).isZero();
        assertThat(errno(() -> u.write(a + PAGE - 8, bytes(16, 0)))).isEqualTo(Errno.EFAULT);
        assertThat(errno(() -> u.writeInt(a + PAGE, 1))).isEqualTo(Errno.EFAULT);
        u.writeLong(a + 8, 0x0102030405060708L);
        assertThat(u.readLong(a + 8)).isEqualTo(0x0102030405060708L);
        assertThat(u.readInt(a + 8)).isEqualTo(0x05060708);
    }

    @Test
    void theBounceBufferIsClearedLittleEndianAtMostAChunkAndReused() {
        UserCopy u = new UserCopy(kmem);
        ByteBuffer small = u.buffer(10);
        assertThat(small.position()).isZero();
        assertThat(small.limit()).isEqualTo(10);
        assertThat(small.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        small.position(5);
        ByteBuffer again = u.buffer(20);
        assertThat(again).isSameAs(small);
        assertThat(again.position()).isZero();
        assertThat(again.limit()).isEqualTo(20);
        ByteBuffer big = u.buffer(Long.MAX_VALUE);
        assertThat(big.limit()).isEqualTo(UserCopy.CHUNK);
        assertThat(big.capacity()).isEqualTo(UserCopy.CHUNK);
    }

    @Test
    void aUserModeAccessorIsRefused() {
        assertThatThrownBy(() -> new UserCopy(mem)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KERNEL");
    }
}
