package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The LibOS touching a process's memory on behalf of one guest thread's system call (Linux
 * {@code copy_from_user}, {@code copy_to_user}, {@code get_user}, {@code put_user} in
 * {@code include/linux/uaccess.h}), through that thread's KERNEL-mode {@link GuestMemory}: an
 * access the mappings do not allow is EFAULT for the call, never a signal.
 *
 * <p>Two kinds of copy: the whole-or-EFAULT ones ({@link #write}, {@link #read},
 * {@link #readInt} and friends) for structures, and the partial ones ({@link #copyToUser},
 * {@link #copyFromUser}) for read and write buffers, which copy page by page up to the first
 * page that cannot be accessed and return how much they copied, so that read(2) and write(2)
 * can return a short count and EFAULT only when nothing was copied.
 *
 * <p>It also holds the thread's bounce buffer ({@link #buffer}): the layers below read into and
 * write from heap buffers of at most {@link #CHUNK} bytes, which the calls copy to and from
 * guest memory. Not thread-safe: one per guest thread.
 */
public final class UserCopy {
    /** Largest transfer per call to the layers below (bytes): the size of the bounce buffer at most. */
    public static final int CHUNK = 1 << 20;

    private final GuestMemory kmem;
    private ByteBuffer bounce;

    /** @param kmem a KERNEL-mode accessor of the process's memory, for this thread only */
    public UserCopy(GuestMemory kmem) {
        if (kmem.mode() != AccessMode.KERNEL) {
            throw new IllegalArgumentException("copies to and from user memory need a KERNEL-mode accessor, got " + kmem.mode());
        }
        this.kmem = kmem;
    }

    /** The KERNEL-mode accessor this copier reads and writes through. */
    public GuestMemory kernelMemory() {
        return kmem;
    }

    /**
     * The thread's bounce buffer, cleared, little-endian, with {@code min(n, CHUNK)} bytes
     * between position and limit. The same buffer each call: its contents are valid until the next.
     */
    public ByteBuffer buffer(long n) {
        int want = (int) Math.min(n, CHUNK);
        if (bounce == null || bounce.capacity() < want) {
            int cap = Math.max(Pages.SIZE, Integer.highestOneBit(Math.max(1, want - 1)) << 1);
            bounce = ByteBuffer.allocate(Math.min(cap, CHUNK)).order(ByteOrder.LITTLE_ENDIAN);
        }
        bounce.clear().limit(want);
        return bounce;
    }

    /**
     * Copies {@code src} (position to limit) to guest memory at {@code addr} and leaves its
     * position after the bytes copied; returns their number, fewer than asked when a page cannot
     * be written (the pages before it are written, as copy_to_user does).
     */
    public int copyToUser(long addr, ByteBuffer src) {
        return copyPartial(addr, src, true);
    }

    /**
     * Fills {@code dst} (position to limit) from guest memory at {@code addr} and leaves its
     * position after the bytes read; fewer than asked when a page cannot be read (copy_from_user).
     */
    public int copyFromUser(long addr, ByteBuffer dst) {
        return copyPartial(addr, dst, false);
    }

    /**
     * copy_to_user straight from a file's own storage: {@code length} bytes of {@code src} at
     * {@code offset} to guest memory at {@code addr}; returns the bytes copied, fewer than asked
     * when a page cannot be written (the pages before it are written). One copy, no allocation:
     * what a pipe read uses to move bytes from its ring to the reader's buffer.
     */
    public int copyToUser(long addr, MemorySegment src, long offset, int length) {
        return copySegment(addr, src, offset, length, true);
    }

    /**
     * copy_from_user straight into a file's own storage: {@code length} bytes of guest memory at
     * {@code addr} into {@code dst} at {@code offset}; returns the bytes copied, fewer than asked
     * when a page cannot be read. What a pipe write uses to move bytes from the writer's buffer
     * to its ring.
     */
    public int copyFromUser(long addr, MemorySegment dst, long offset, int length) {
        return copySegment(addr, dst, offset, length, false);
    }

    /** All at once when the range allows it, else page by page up to the first page that faults. */
    private int copySegment(long addr, MemorySegment seg, long offset, int length, boolean toUser) {
        try {
            segment(addr, seg, offset, length, toUser);
            return length;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EFAULT) {
                throw e;
            }
        }
        int done = 0;
        while (done < length) {
            int len = (int) Math.min(length - done, Pages.SIZE - Pages.offset(addr + done));
            try {
                segment(addr + done, seg, offset + done, len, toUser);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EFAULT) {
                    throw e;
                }
                break;
            }
            done += len;
        }
        return done;
    }

    private void segment(long addr, MemorySegment seg, long offset, int length, boolean toUser) {
        if (toUser) {
            kmem.write(addr, seg, offset, length);
        } else {
            kmem.read(addr, seg, offset, length);
        }
    }

    /** {@link #copySegment} over the buffer's remaining bytes; its position ends after the bytes copied. */
    private int copyPartial(long addr, ByteBuffer buf, boolean toUser) {
        int n = buf.remaining();
        int start = buf.position();
        int done = copySegment(addr, MemorySegment.ofBuffer(buf), 0, n, toUser);
        buf.limit(start + n).position(start + done);
        return done;
    }

    /**
     * How many bytes from {@code addr} on (at most {@code length}) can be written: what
     * copy_to_user could store before an inaccessible page. A read from a stream asks first, so
     * that it takes from the stream only what it can store.
     */
    public long writablePrefix(long addr, long length) {
        return kmem.accessiblePrefix(addr, length, true);
    }

    /** Writes {@code src} (position to limit) to guest memory at {@code addr}, all or EFAULT. */
    public void write(long addr, ByteBuffer src) {
        kmem.write(addr, src);
    }

    /** Writes the first {@code n} bytes of {@code buf} (from index 0, whatever its position) at {@code addr}, all or EFAULT. */
    public void writeHead(long addr, ByteBuffer buf, int n) {
        ByteBuffer out = buf.duplicate();
        out.position(0).limit(n);
        kmem.write(addr, out);
    }

    /** Fills {@code dst} (position to limit) from guest memory at {@code addr}, all or EFAULT. */
    public void read(long addr, ByteBuffer dst) {
        kmem.read(addr, dst);
    }

    /** Reads {@code length} bytes at {@code addr} into {@code dst} at {@code offset}, all or EFAULT. */
    public void read(long addr, byte[] dst, int offset, int length) {
        kmem.read(addr, dst, offset, length);
    }

    public int readInt(long addr) {
        return kmem.readInt(addr);
    }

    public void writeInt(long addr, int value) {
        kmem.writeInt(addr, value);
    }

    public long readLong(long addr) {
        return kmem.readLong(addr);
    }

    public void writeLong(long addr, long value) {
        kmem.writeLong(addr, value);
    }

    public void writeByte(long addr, byte value) {
        kmem.writeByte(addr, value);
    }
}
