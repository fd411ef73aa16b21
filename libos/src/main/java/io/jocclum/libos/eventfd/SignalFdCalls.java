package io.jocclum.libos.eventfd;

import io.jocclum.api.Errno;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Signal;
import io.jocclum.api.SignalFd;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.Timespecs;
import io.jocclum.libos.vm.UserCopy;

import java.util.concurrent.atomic.AtomicLong;

/** {@code signalfd(2)} and {@code signalfd4(2)} for one LibOS instance, with fs/signalfd.c's checks in its order. */
public final class SignalFdCalls {
    private final AtomicLong nextIno = new AtomicLong(1);

    /**
     * {@code signalfd4(2)}: EINVAL unless sizemask is 8; the mask at {@code maskAddr} (EFAULT);
     * EINVAL for flags other than SFD_NONBLOCK | SFD_CLOEXEC; SIGKILL and SIGSTOP are dropped from
     * the mask. fd -1 makes a new signalfd; otherwise fd must be a signalfd (EBADF when not open,
     * EINVAL when not a signalfd), whose mask is replaced; returns the descriptor.
     */
    public int signalfd4(Caller c, UserCopy u, int fd, long maskAddr, long sizemask, int flags) {
        long mask = Timespecs.readSigset(u, maskAddr, sizemask);
        if ((flags & ~(SignalFd.SFD_NONBLOCK | SignalFd.SFD_CLOEXEC)) != 0) {
            throw Errno.EINVAL.exception("signalfd flags 0x" + Integer.toHexString(flags));
        }
        mask &= ~(Signal.bit(Signal.SIGKILL) | Signal.bit(Signal.SIGSTOP));
        if (fd != -1) {
            OpenFile f = c.files().get(fd);
            if (!(f instanceof SignalFdFile s)) {
                throw Errno.EINVAL.exception("fd " + fd + " is not a signalfd");
            }
            s.setMask(mask);
            return fd;
        }
        return EventFdCalls.install(c, new SignalFdFile(c.signals(), mask, flags, nextIno.getAndIncrement()),
                (flags & OpenFlags.O_CLOEXEC) != 0);
    }
}
