package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.Stat;
import io.jocclum.sgx.arch.Pages;

/**
 * The file an AF_UNIX socket's {@code bind} to a path creates (mode S_IFSOCK; Linux
 * net/unix/af_unix.c {@code unix_bind_bsd}). It names the bound socket — its endpoint, an object
 * of the socket layer — until that socket is closed; the file itself stays until unlinked, as on
 * Linux, and a connect to it then finds nobody (ECONNREFUSED). Opening it gives ENXIO. A file
 * system that stores its files extends it (the root union keeps the file in its upper layer).
 */
class SocketInode extends Inode.Device {
    private final long ino;
    private final int mode;
    private final int uid;
    private final int gid;
    private final long ctime;
    private volatile Object endpoint;

    SocketInode(GuestFileSystem fs, long ino, int perm, Credentials c, Object endpoint) {
        this(fs, ino, perm, c.uid(), c.gid(), endpoint);
    }

    /** A socket file of {@code uid} and {@code gid}; {@code endpoint} null for one no socket is bound to. */
    SocketInode(GuestFileSystem fs, long ino, int perm, int uid, int gid, Object endpoint) {
        super(fs);
        this.ino = ino;
        this.mode = FileMode.S_IFSOCK | (perm & 07777);
        this.uid = uid;
        this.gid = gid;
        this.ctime = fs.nowNanos();
        this.endpoint = endpoint;
    }

    /** The bound socket, or null once it was closed. */
    Object endpoint() {
        return endpoint;
    }

    /** The socket was closed: the name no longer leads to it. */
    void unbind() {
        endpoint = null;
    }

    @Override
    long ino() {
        return ino;
    }

    @Override
    int mode() {
        return mode;
    }

    @Override
    int uid() {
        return uid;
    }

    @Override
    int gid() {
        return gid;
    }

    @Override
    Stat stat() {
        return new Stat(fs.dev, ino, mode, 1, uid, gid, 0, 0, Pages.SIZE, 0, ctime, ctime, ctime);
    }

    @Override
    OpenFile open(int flags, String path) {
        throw Errno.ENXIO.exception(path + " is a socket");
    }
}
