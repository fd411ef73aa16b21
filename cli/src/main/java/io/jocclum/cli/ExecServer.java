package io.jocclum.cli;

import io.jocclum.api.Signal;
import io.jocclum.libos.boot.BootException;
import io.jocclum.libos.boot.LibOs;
import io.jocclum.libos.process.GuestProcess;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The server of {@code jocclum start} (Occlum's {@code occlum_exec_server}): one booted enclave,
 * and a loop accepting connections on the instance's socket ({@link ExecProtocol}). Each
 * {@code exec} starts its program in that enclave as a top-level process with the connection as
 * its stdio ({@link LibOs#spawnHost}), forwards the client's signals to it, and answers with its
 * wait status; a client that goes away before the program ended leaves it a SIGHUP, as a hung-up
 * terminal. {@code stop} ends every program (SIGTERM, then SIGKILL, as Occlum's
 * {@code occlum stop}), shuts the enclave down, answers and ends {@link #serve}.
 */
final class ExecServer {
    private final LibOs os;
    private final ServerSocketChannel listener;
    private final PrintStream log;
    private final Object spawnLock = new Object();
    private final Set<Thread> handlers = ConcurrentHashMap.newKeySet();
    private boolean stopping;
    private volatile SocketChannel stopper;

    private ExecServer(LibOs os, ServerSocketChannel listener, PrintStream log) {
        this.os = os;
        this.listener = listener;
        this.log = log;
    }

    /** Binds {@code socket} (removing a stale one: nobody listens, the caller holds the instance's lock). */
    static ServerSocketChannel bind(Path socket) throws IOException {
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(ExecProtocol.address(socket));
        return s;
    }

    /** Serves on {@code listener} until a stop request; then the enclave is shut down. */
    static void serve(LibOs os, ServerSocketChannel listener, PrintStream log) throws InterruptedException {
        new ExecServer(os, listener, log).loop();
    }

    private void loop() throws InterruptedException {
        for (;;) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                log.println("jocclum: accept failed: " + e.getMessage());
                continue;
            }
            Thread t = Thread.ofPlatform().daemon().name("exec-connection").unstarted(() -> connection(ch));
            handlers.add(t);
            t.start();
        }
        // stopped: the stop handler has shut the enclave down; let the exec handlers send their statuses
        for (Thread t : handlers) {
            if (t != Thread.currentThread()) {
                t.join(java.time.Duration.ofSeconds(10));
            }
        }
        SocketChannel s = stopper;
        if (s != null) {
            try {
                ExecProtocol.write(s, ExecProtocol.STOPPED, new byte[0]);
            } catch (IOException ignored) {
                // the stop client went away; the server ends all the same
            }
            ExecProtocol.close(s);
        }
    }

    private void connection(SocketChannel ch) {
        try {
            ExecProtocol.Frame f = ExecProtocol.read(ch);
            if (f == null) {
                ExecProtocol.close(ch);
            } else if (f.type() == ExecProtocol.EXEC) {
                exec(ch, f.strings());
            } else if (f.type() == ExecProtocol.STOP) {
                stop(ch);
            } else {
                ExecProtocol.close(ch);
            }
        } catch (IOException | RuntimeException e) {
            log.println("jocclum: a connection failed: " + e);
            ExecProtocol.close(ch);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            handlers.remove(Thread.currentThread());
        }
    }

    private void exec(SocketChannel ch, List<String> request) throws IOException, InterruptedException {
        String path = request.get(0);
        int argc = Integer.parseInt(request.get(1));
        List<String> args = request.subList(2, 2 + argc);
        Map<String, String> env = new HashMap<>();
        for (String kv : request.subList(2 + argc, request.size())) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        Stdin stdin = new Stdin();
        GuestProcess p;
        try {
            synchronized (spawnLock) {
                if (stopping) {
                    throw new BootException("the enclave is stopping (jocclum stop); start it again with jocclum start.");
                }
                p = os.spawnHost(path, args, env, stdin, new Out(ch, ExecProtocol.STDOUT), new Out(ch, ExecProtocol.STDERR));
            }
        } catch (BootException e) {
            byte[] msg = e.getMessage().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] payload = java.nio.ByteBuffer.allocate(4 + msg.length).putInt(127).put(msg).array();
            ExecProtocol.write(ch, ExecProtocol.FAILED, payload);
            ExecProtocol.close(ch);
            return;
        }
        Thread reader = Thread.ofPlatform().daemon().name("exec-input-" + p.pid()).start(() -> input(ch, p, stdin));
        int status = os.awaitExit(p);
        try {
            ExecProtocol.write(ch, ExecProtocol.EXIT, ExecProtocol.ofInt(status));
        } finally {
            ExecProtocol.close(ch);
            stdin.end();
            reader.join(java.time.Duration.ofSeconds(10));
        }
    }

    /** The client's frames after EXEC: stdin, its end, signals; the connection's end before the program's is a hang-up. */
    private void input(SocketChannel ch, GuestProcess p, Stdin stdin) {
        try {
            for (;;) {
                ExecProtocol.Frame f = ExecProtocol.read(ch);
                if (f == null) {
                    break;
                }
                switch (f.type()) {
                    case ExecProtocol.STDIN -> stdin.put(f.payload());
                    case ExecProtocol.STDIN_EOF -> stdin.end();
                    case ExecProtocol.SIGNAL -> {
                        int sig = f.intValue();
                        if (sig > 0 && sig <= Signal.NSIG) {
                            os.signal(p, sig);
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (ClosedChannelException e) {
            return; // the program ended and the handler closed the connection
        } catch (IOException | RuntimeException e) {
            // the client is gone
        } finally {
            stdin.end();
        }
        if (!p.exited()) {
            os.signal(p, Signal.SIGHUP);
        }
    }

    private void stop(SocketChannel ch) throws IOException {
        synchronized (spawnLock) {
            stopping = true;
        }
        stopper = ch;
        for (GuestProcess p : os.kernel().processes()) {
            if (!p.exited()) {
                os.signal(p, Signal.SIGTERM);
            }
        }
        os.close(); // SIGKILL to what is left, then the enclave and the platform go
        listener.close();
    }

    /** A program's standard input: what the client sends, in order, then end of file. */
    private static final class Stdin extends InputStream {
        private static final byte[] END = new byte[0];
        private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int pos;
        private boolean ended;

        void put(byte[] b) {
            if (b.length > 0) {
                chunks.add(b);
            }
        }

        void end() {
            chunks.add(END);
        }

        @Override
        public synchronized int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos == current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("stdin read interrupted");
                }
                pos = 0;
                if (current == END) {
                    ended = true;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    /** A program's stdout or stderr: each write is a frame to the client. */
    private static final class Out extends OutputStream {
        private final SocketChannel ch;
        private final byte type;

        Out(SocketChannel ch, byte type) {
            this.ch = ch;
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[]{(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ExecProtocol.write(ch, type, b, off, len);
        }
    }
}
