package io.jocclum.libos.fs;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;

import java.io.IOException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NoConnectionPendingException;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.NotYetConnectedException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.util.Locale;

/**
 * Turns host (JDK) I/O failures into Linux errnos so that no host exception reaches a guest
 * (Occlum drops some host errors, W7). The JDK on Linux keeps the kernel's strerror text in the
 * message of a generic {@link IOException}; that text is matched when the exception type alone
 * does not tell.
 */
public final class HostErrors {
    private HostErrors() {
    }

    /** The errno a host failure stands for; EIO when nothing more precise is known. */
    public static Errno errno(Throwable e) {
        return switch (e) {
            case ErrnoException ee -> ee.errno();
            case NoSuchFileException x -> Errno.ENOENT;
            case FileAlreadyExistsException x -> Errno.EEXIST;
            case DirectoryNotEmptyException x -> Errno.ENOTEMPTY;
            case NotDirectoryException x -> Errno.ENOTDIR;
            case AccessDeniedException x -> fromMessage(x.getReason(), Errno.EACCES);
            case FileSystemLoopException x -> Errno.ELOOP;
            case NotLinkException x -> Errno.EINVAL;
            case FileSystemException x -> fromMessage(x.getReason(), Errno.EIO);
            case AlreadyConnectedException x -> Errno.EISCONN;
            case ConnectionPendingException x -> Errno.EALREADY;
            case NoConnectionPendingException x -> Errno.EINVAL;
            case NotYetConnectedException x -> Errno.ENOTCONN;
            case NotYetBoundException x -> Errno.EINVAL;
            case UnresolvedAddressException x -> Errno.EINVAL;
            case UnsupportedAddressTypeException x -> Errno.EAFNOSUPPORT;
            case ClosedChannelException x -> Errno.EBADF;
            case IOException x -> fromMessage(x.getMessage(), Errno.EIO);
            default -> Errno.EIO;
        };
    }

    /** An ErrnoException for a host failure, keeping the host message as detail. */
    public static ErrnoException exception(Throwable e) {
        if (e instanceof ErrnoException ee) {
            return ee;
        }
        return errno(e).exception("host: " + e);
    }

    private static Errno fromMessage(String message, Errno fallback) {
        if (message == null) {
            return fallback;
        }
        String m = message.toLowerCase(Locale.ROOT);
        if (m.contains("connection refused")) {
            return Errno.ECONNREFUSED;
        }
        if (m.contains("connection reset")) {
            return Errno.ECONNRESET;
        }
        if (m.contains("broken pipe")) {
            return Errno.EPIPE;
        }
        if (m.contains("address already in use")) {
            return Errno.EADDRINUSE;
        }
        if (m.contains("cannot assign requested address")) {
            return Errno.EADDRNOTAVAIL;
        }
        if (m.contains("network is unreachable")) {
            return Errno.ENETUNREACH;
        }
        if (m.contains("no route to host")) {
            return Errno.EHOSTUNREACH;
        }
        if (m.contains("connection timed out")) {
            return Errno.ETIMEDOUT;
        }
        if (m.contains("permission denied")) {
            return Errno.EACCES;
        }
        if (m.contains("read-only file system")) {
            return Errno.EROFS;
        }
        if (m.contains("no space left")) {
            return Errno.ENOSPC;
        }
        if (m.contains("file too large")) {
            return Errno.EFBIG;
        }
        if (m.contains("too many open files")) {
            return Errno.EMFILE;
        }
        if (m.contains("is a directory")) {
            return Errno.EISDIR;
        }
        if (m.contains("not a directory")) {
            return Errno.ENOTDIR;
        }
        if (m.contains("file name too long")) {
            return Errno.ENAMETOOLONG;
        }
        if (m.contains("too many levels of symbolic links")) {
            return Errno.ELOOP;
        }
        if (m.contains("directory not empty")) {
            return Errno.ENOTEMPTY;
        }
        if (m.contains("invalid argument")) {
            return Errno.EINVAL;
        }
        if (m.contains("socket is closed") || m.contains("closed")) {
            return Errno.EBADF;
        }
        return fallback;
    }
}
