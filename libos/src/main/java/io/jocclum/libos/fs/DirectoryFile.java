package io.jocclum.libos.fs;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.api.DirEntry;
import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Seek;
import io.jocclum.api.Stat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An open directory: {@code getdents64} over a snapshot of the entries taken at the first read
 * after open or rewind ("." and ".." first, then the file system's entries, then mount points
 * that the underlying directory does not show). {@code read(2)} gives EISDIR. The position is
 * the index of the next entry; {@code d_off} of an entry is the index after it.
 */
public final class DirectoryFile extends OpenFile {
    private final Vfs vfs;
    private final Inode.Dir inode;
    private final String path;
    @GuardedBy("this")
    private List<DirEntry> snapshot;
    @GuardedBy("this")
    private int index;

    DirectoryFile(Vfs vfs, Inode.Dir inode, int flags, String path) {
        super(flags);
        this.vfs = vfs;
        this.inode = inode;
        this.path = path;
    }

    /** The canonical LibOS path of the directory. */
    public String path() {
        return path;
    }

    Inode.Dir inode() {
        return inode;
    }

    @Override
    protected int doRead(Caller caller, ByteBuffer dst) {
        throw Errno.EISDIR.exception(path);
    }

    @Override
    protected int doWrite(Caller caller, ByteBuffer src) {
        throw Errno.EBADF.exception("directory");
    }

    @Override
    protected boolean isSeekable() {
        return true;
    }

    @Override
    protected int doPread(Caller caller, ByteBuffer dst, long offset) {
        throw Errno.EISDIR.exception(path);
    }

    @Override
    public synchronized long lseek(long offset, int whence) {
        long target = switch (whence) {
            case Seek.SEEK_SET -> offset;
            case Seek.SEEK_CUR -> index + offset;
            default -> throw Errno.EINVAL.exception("whence " + whence + " on a directory");
        };
        if (target < 0 || target > Integer.MAX_VALUE) {
            throw Errno.EINVAL.exception("offset " + target);
        }
        if (target == 0) {
            snapshot = null;
        }
        index = (int) target;
        return target;
    }

    @Override
    public Stat fstat() {
        return inode.stat();
    }

    /** The remaining entries, advancing the position to the end. */
    public synchronized List<DirEntry> readAll() {
        List<DirEntry> s = entries();
        List<DirEntry> rest = index >= s.size() ? List.of() : List.copyOf(s.subList(index, s.size()));
        index = s.size();
        return rest;
    }

    /**
     * {@code getdents64(2)}: writes {@code struct linux_dirent64} records (little-endian) into
     * {@code buf} from its position; returns the bytes written, 0 at the end, EINVAL when the
     * buffer cannot hold the next record.
     */
    public synchronized int getdents64(ByteBuffer buf) {
        List<DirEntry> s = entries();
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int start = b.position();
        while (index < s.size()) {
            DirEntry e = s.get(index);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int reclen = (19 + name.length + 1 + 7) & ~7;
            if (b.remaining() < reclen) {
                if (b.position() == start) {
                    throw Errno.EINVAL.exception("buffer of " + b.remaining() + " bytes is too small for a " + reclen + "-byte record");
                }
                break;
            }
            int p = b.position();
            b.putLong(e.ino()).putLong(index + 1L).putShort((short) reclen).put((byte) e.type()).put(name);
            while (b.position() < p + reclen) {
                b.put((byte) 0);
            }
            index++;
        }
        int n = b.position() - start;
        buf.position(b.position());
        return n;
    }

    private List<DirEntry> entries() {
        if (snapshot == null) {
            snapshot = vfs.listDirectory(inode, path);
        }
        return snapshot;
    }

    static int dtype(Inode i) {
        return FileMode.dtype(i.mode());
    }

    @Override
    public String toString() {
        return "DirectoryFile[" + path + "]";
    }
}
