package io.jocclum.libos.syscall;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.jocclum.libos.epoll.EpollCalls;
import io.jocclum.libos.eventfd.EventFdCalls;
import io.jocclum.libos.net.HostNetwork;
import io.jocclum.libos.net.SocketCalls;
import io.jocclum.libos.net.UnixSockets;
import io.jocclum.libos.pipe.PipeCalls;

/**
 * The LibOS-wide services of the file types that are not in the VFS: pipes, eventfds, epoll
 * instances and host sockets. One per LibOS, shared by every thread's {@link SyscallFacade}, so
 * that the process layer does not depend on any file type.
 */
public final class FileServices implements AutoCloseable {
    private final PipeCalls pipes = new PipeCalls();
    private final EventFdCalls eventfds = new EventFdCalls();
    private final EpollCalls epolls = new EpollCalls();
    private final UnixSockets unix = new UnixSockets();
    /** Started on the first socket. */
    @GuardedBy("this")
    private HostNetwork net;
    private volatile SocketCalls sockets;

    public PipeCalls pipes() {
        return pipes;
    }

    public EventFdCalls eventfds() {
        return eventfds;
    }

    public EpollCalls epolls() {
        return epolls;
    }

    /** The AF_UNIX sockets and their abstract namespace. */
    public UnixSockets unix() {
        return unix;
    }

    /** The host sockets, started on first use (one host poller thread for the LibOS). */
    public SocketCalls sockets() {
        SocketCalls s = sockets;
        if (s == null) {
            synchronized (this) {
                if (sockets == null) {
                    net = HostNetwork.start();
                    sockets = new SocketCalls(net);
                }
                s = sockets;
            }
        }
        return s;
    }

    /** Closes the host network if it was started. */
    @Override
    public synchronized void close() {
        if (net != null) {
            net.close();
            net = null;
            sockets = null;
        }
    }
}
