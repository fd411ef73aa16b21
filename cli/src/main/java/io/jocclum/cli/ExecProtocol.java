package io.jocclum.cli;

import io.jocclum.libos.layout.InstancePaths;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The local protocol between {@code jocclum exec}/{@code stop} and the server of
 * {@code jocclum start}, over the UNIX domain socket {@code run/occlum_exec.sock} of the instance
 * (Occlum's socket name; Occlum speaks gRPC over it and passes the client's descriptors, jocclum
 * forwards the bytes). A frame is a type byte, a 4-byte big-endian length and that many bytes.
 *
 * <p>Client to server: {@link #EXEC} (first frame: path, argument count, arguments, then the
 * client's environment as NAME=VALUE), then {@link #STDIN} data, {@link #STDIN_EOF} and
 * {@link #SIGNAL} (a signal number); or {@link #STOP} alone. Server to client: {@link #STDOUT},
 * {@link #STDERR}, then {@link #EXIT} (the wait status) or {@link #FAILED} (exit code, sentence);
 * {@link #STOPPED} answers STOP once the enclave is gone.
 */
final class ExecProtocol {
    static final byte EXEC = 'X';
    static final byte STDIN = 'I';
    static final byte STDIN_EOF = 'E';
    static final byte SIGNAL = 'K';
    static final byte STOP = 'S';
    static final byte STDOUT = 'O';
    static final byte STDERR = 'R';
    static final byte EXIT = 'Z';
    static final byte FAILED = 'F';
    static final byte STOPPED = 'P';

    /** The largest frame either side accepts. */
    static final int MAX_FRAME = 16 << 20;
    /** The socket's file name under run/ (Occlum's {@code DEFAULT_SOCK_FILE}, src/exec/src/lib.rs). */
    static final String SOCKET = "occlum_exec.sock";

    private ExecProtocol() {
    }

    /** One frame. */
    record Frame(byte type, byte[] payload) {
        int intValue() {
            if (payload.length != 4) {
                throw new IllegalArgumentException("a frame of type " + (char) type + " carries " + payload.length + " bytes, not 4");
            }
            return ByteBuffer.wrap(payload).getInt();
        }

        List<String> strings() {
            List<String> out = new ArrayList<>();
            ByteBuffer b = ByteBuffer.wrap(payload);
            while (b.hasRemaining()) {
                int n = b.getInt();
                if (n < 0 || n > b.remaining()) {
                    throw new IllegalArgumentException("a string of " + n + " bytes with " + b.remaining() + " left");
                }
                byte[] s = new byte[n];
                b.get(s);
                out.add(new String(s, StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    static Path socket(InstancePaths paths) {
        return paths.root().resolve("run").resolve(SOCKET);
    }

    static UnixDomainSocketAddress address(Path socket) {
        try {
            return UnixDomainSocketAddress.of(socket);
        } catch (IllegalArgumentException e) {
            throw new UserError("the socket path " + socket + " is too long for a UNIX domain socket (at most 107 bytes);"
                    + " move the instance to a shorter path.");
        }
    }

    /** A connection to the instance's server, or null when it is not started (no socket, or nobody listening). */
    static SocketChannel connect(InstancePaths paths) {
        Path s = socket(paths);
        if (!Files.exists(s)) {
            return null;
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(address(s));
            return ch;
        } catch (ConnectException e) {
            close(ch);
            return null;
        } catch (IOException e) {
            close(ch);
            throw Instance.io("cannot connect to " + s, e);
        }
    }

    static void close(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to say to it
            }
        }
    }

    /** Writes one frame; frames of several threads do not interleave. */
    static void write(SocketChannel ch, byte type, byte[] payload, int off, int len) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(5).put(type).putInt(len).flip();
        ByteBuffer body = ByteBuffer.wrap(payload, off, len);
        synchronized (ch) {
            while (head.hasRemaining() || body.hasRemaining()) {
                ch.write(new ByteBuffer[]{head, body});
            }
        }
    }

    static void write(SocketChannel ch, byte type, byte[] payload) throws IOException {
        write(ch, type, payload, 0, payload.length);
    }

    static byte[] ofInt(int v) {
        return ByteBuffer.allocate(4).putInt(v).array();
    }

    static byte[] ofStrings(List<String> strings) {
        List<byte[]> bytes = strings.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        ByteBuffer b = ByteBuffer.allocate(bytes.stream().mapToInt(x -> 4 + x.length).sum());
        bytes.forEach(x -> b.putInt(x.length).put(x));
        return b.array();
    }

    /** The next frame, or null at the end of the stream between frames. Reads by one thread per channel. */
    static Frame read(SocketChannel ch) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(5);
        if (!fill(ch, head, true)) {
            return null;
        }
        head.flip();
        byte type = head.get();
        int len = head.getInt();
        if (len < 0 || len > MAX_FRAME) {
            throw new IOException("a frame of " + len + " bytes (at most " + MAX_FRAME + ")");
        }
        ByteBuffer body = ByteBuffer.allocate(len);
        fill(ch, body, false);
        return new Frame(type, body.array());
    }

    private static boolean fill(SocketChannel ch, ByteBuffer b, boolean eofAllowed) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                if (eofAllowed && b.position() == 0) {
                    return false;
                }
                throw new EOFException("the connection ended inside a frame");
            }
        }
        return true;
    }
}
