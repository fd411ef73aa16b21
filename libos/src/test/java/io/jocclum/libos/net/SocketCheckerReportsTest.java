package io.jocclum.libos.net;

import io.jocclum.api.Socket;
import io.jocclum.libos.events.IoEvents;
import io.jocclum.libos.events.Pollee;
import io.jocclum.libos.fs.FileInvariants;
import io.jocclum.libos.support.FileLayerTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Both reports of {@link SocketFile#checkInvariants}: published readiness that differs from the state's, and a receive queue count out of range. */
class SocketCheckerReportsTest extends FileLayerTest {

    private static Object get(Object o, Class<?> c, String name) throws ReflectiveOperationException {
        var f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    private static void setInt(Object o, Class<?> c, String name, int value) throws ReflectiveOperationException {
        var f = c.getDeclaredField(name);
        f.setAccessible(true);
        f.setInt(o, value);
    }

    @Test
    void staleReadinessAndABadReceiveCountAreFound() throws ReflectiveOperationException {
        int fd = sockets().socket(c, Socket.AF_INET, Socket.SOCK_STREAM, 0);
        SocketFile s = (SocketFile) c.files().get(fd);
        FileInvariants.check(tables(), true);
        Pollee pollee = (Pollee) get(s, SocketFile.class, "pollee");
        int published = pollee.events();
        int computed = IoEvents.OUT | IoEvents.WRNORM | IoEvents.HUP; // a new socket (tcp_poll)
        pollee.set(published | IoEvents.IN);
        try {
            assertThatThrownBy(() -> FileInvariants.check(tables(), true)).isInstanceOf(IllegalStateException.class)
                    .hasMessage(s + ": published readiness " + IoEvents.toString(published | IoEvents.IN)
                            + " != state readiness " + IoEvents.toString(computed));
        } finally {
            pollee.set(published);
        }
        Object rx = get(s, SocketFile.class, "rx");
        setInt(rx, rx.getClass(), "count", -1);
        try {
            assertThatThrownBy(() -> FileInvariants.check(tables(), true)).hasMessage(s + ": receive queue count -1");
        } finally {
            setInt(rx, rx.getClass(), "count", 0);
        }
        FileInvariants.check(tables(), true);
    }
}
