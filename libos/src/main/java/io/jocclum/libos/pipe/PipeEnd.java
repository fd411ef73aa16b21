package io.jocclum.libos.pipe;

import io.jocclum.api.Fcntl;
import io.jocclum.api.Ioctls;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Stat;
import io.jocclum.libos.events.Notifier;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.kheap.KernelHeap;
import io.jocclum.libos.vm.UserCopy;
import io.jocclum.sgx.arch.LittleEndian;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One end of a {@link Pipe} as an open file. Releasing the last descriptor of the read end makes
 * writers fail with EPIPE (POLLERR on the write end); releasing the write end gives readers EOF
 * (POLLHUP on the read end). Both ends answer FIONREAD, F_GETPIPE_SZ and F_SETPIPE_SZ.
 */
public abstract sealed class PipeEnd extends OpenFile permits PipeEnd.Reader, PipeEnd.Writer {
    final Pipe pipe;

    PipeEnd(Pipe pipe, int flags) {
        super(flags);
        this.pipe = pipe;
    }

    public Pipe pipe() {
        return pipe;
    }

    @Override
    public Stat fstat() {
        return pipe.stat;
    }

    @Override
    public void checkInvariants(boolean quiescent) {
        super.checkInvariants(quiescent);
        pipe.checkInvariants(quiescent);
    }

    @Override
    public int ioctl(Caller caller, int cmd, ByteBuffer arg) {
        if (cmd == Ioctls.FIONREAD) {
            LittleEndian.putInt(arg, arg.position(), pipe.available());
            return 0;
        }
        return super.ioctl(caller, cmd, arg);
    }

    @Override
    public long fcntl(Caller caller, int cmd, long arg) {
        return switch (cmd) {
            case Fcntl.F_GETPIPE_SZ -> pipe.capacity();
            case Fcntl.F_SETPIPE_SZ -> pipe.setCapacity(arg, maxSize(), caller.credentials().privileged());
            default -> super.fcntl(caller, cmd, arg);
        };
    }

    int maxSize() {
        return pipe.maxSize;
    }

    /** The read end. */
    public static final class Reader extends PipeEnd {
        Reader(Pipe pipe, int flags) {
            super(pipe, OpenFlags.O_RDONLY | flags);
        }

        /** The read end carries the pipe's buffer in the kernel heap account (Occlum allocates it with the pipe). */
        @Override
        protected List<KernelHeap.Kind> kernelObjects() {
            return List.of(KernelHeap.Kind.OPEN_FILE, KernelHeap.Kind.PIPE_BUFFER);
        }

        @Override
        protected int doRead(Caller caller, ByteBuffer dst) {
            return pipe.read(caller, dst, isNonBlocking());
        }

        @Override
        protected int doReadToUser(Caller caller, UserCopy user, long addr, int length) {
            return pipe.readToUser(caller, user, addr, length, isNonBlocking());
        }

        @Override
        public int poll() {
            return pipe.pollRead();
        }

        @Override
        public Notifier notifier() {
            return pipe.readNotifier;
        }

        @Override
        protected void release() {
            pipe.releaseReader();
        }

        @Override
        public String toString() {
            return "pipe:[" + pipe.ino + "] read end";
        }
    }

    /** The write end. */
    public static final class Writer extends PipeEnd {
        Writer(Pipe pipe, int flags) {
            super(pipe, OpenFlags.O_WRONLY | flags);
        }

        @Override
        protected int doWrite(Caller caller, ByteBuffer src) {
            return pipe.write(caller, src, isNonBlocking());
        }

        @Override
        protected int doWriteFromUser(Caller caller, UserCopy user, long addr, int length) {
            return pipe.writeFromUser(caller, user, addr, length, isNonBlocking());
        }

        @Override
        public int poll() {
            return pipe.pollWrite();
        }

        @Override
        public Notifier notifier() {
            return pipe.writeNotifier;
        }

        @Override
        protected void release() {
            pipe.releaseWriter();
        }

        @Override
        public String toString() {
            return "pipe:[" + pipe.ino + "] write end";
        }
    }
}
