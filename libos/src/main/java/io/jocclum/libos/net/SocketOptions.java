package io.jocclum.libos.net;

import io.jocclum.api.Errno;
import io.jocclum.api.Socket;

import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.NetworkChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * The int-valued socket options a guest sets and reads that the host channel carries: SO_REUSEADDR,
 * SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF and TCP_NODELAY. Until a socket has a host channel
 * (bind, listen or connect makes it) they are remembered here and set on the channel when it is made.
 *
 * <p>Not thread-safe: the owning {@link SocketFile}'s lock guards it.
 */
final class SocketOptions {
    /** Linux defaults before a host channel exists: net.ipv4.tcp_rmem[1] = 131072, tcp_wmem[1] = 16384. */
    static final int DEFAULT_RCVBUF = 131072;
    static final int DEFAULT_SNDBUF = 16384;

    /** Options set before a host channel exists: (level << 16 | name) → value. */
    private final Map<Integer, Integer> pending = new HashMap<>();

    /** {@code setsockopt}: on {@code ch}, or remembered when there is no host channel yet (null). */
    void set(NetworkChannel ch, int level, int name, int value) {
        SocketOption<?> opt = hostOption(level, name);
        if (opt == null) {
            throw Errno.ENOPROTOOPT.exception("option " + level + "/" + name);
        }
        if (ch == null) {
            pending.put(level << 16 | name, value);
            return;
        }
        try {
            set(ch, opt, value);
        } catch (IOException | UnsupportedOperationException e) {
            throw Errno.ENOPROTOOPT.exception("host rejected option " + level + "/" + name + ": " + e.getMessage());
        }
    }

    /** {@code getsockopt}: from {@code ch}, or the remembered value when there is no host channel yet (null). */
    int get(NetworkChannel ch, int level, int name) {
        SocketOption<?> opt = hostOption(level, name);
        if (opt == null) {
            throw Errno.ENOPROTOOPT.exception("option " + level + "/" + name);
        }
        if (ch == null) {
            Integer v = pending.get(level << 16 | name);
            if (opt == StandardSocketOptions.SO_RCVBUF) {
                return v == null ? DEFAULT_RCVBUF : 2 * v; // Linux doubles the value set
            }
            if (opt == StandardSocketOptions.SO_SNDBUF) {
                return v == null ? DEFAULT_SNDBUF : 2 * v;
            }
            return v == null ? 0 : (v != 0 ? 1 : 0);
        }
        try {
            Object v = ch.getOption(opt);
            return v instanceof Boolean b ? (b ? 1 : 0) : (Integer) v;
        } catch (IOException | UnsupportedOperationException e) {
            throw Errno.ENOPROTOOPT.exception("host option " + opt.name() + ": " + e.getMessage());
        }
    }

    /** Sets the remembered options on a socket's new host channel. */
    void applyTo(NetworkChannel ch) throws IOException {
        for (Map.Entry<Integer, Integer> e : pending.entrySet()) {
            SocketOption<?> opt = hostOption(e.getKey() >>> 16, e.getKey() & 0xFFFF);
            if (opt != null) {
                set(ch, opt, e.getValue());
            }
        }
    }

    private static SocketOption<?> hostOption(int level, int name) {
        if (level == Socket.SOL_SOCKET) {
            return switch (name) {
                case Socket.SO_REUSEADDR -> StandardSocketOptions.SO_REUSEADDR;
                case Socket.SO_REUSEPORT -> StandardSocketOptions.SO_REUSEPORT;
                case Socket.SO_KEEPALIVE -> StandardSocketOptions.SO_KEEPALIVE;
                case Socket.SO_RCVBUF -> StandardSocketOptions.SO_RCVBUF;
                case Socket.SO_SNDBUF -> StandardSocketOptions.SO_SNDBUF;
                default -> null;
            };
        }
        if (level == Socket.IPPROTO_TCP && name == Socket.TCP_NODELAY) {
            return StandardSocketOptions.TCP_NODELAY;
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static void set(NetworkChannel ch, SocketOption<?> opt, int value) throws IOException {
        if (!ch.supportedOptions().contains(opt)) {
            return; // e.g. TCP_NODELAY on a listening channel: Linux accepts and ignores it too
        }
        if (opt.type() == Boolean.class) {
            ch.setOption((SocketOption<Boolean>) opt, value != 0);
        } else {
            ch.setOption((SocketOption<Integer>) opt, value);
        }
    }
}
