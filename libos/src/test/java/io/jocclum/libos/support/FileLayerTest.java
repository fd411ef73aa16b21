package io.jocclum.libos.support;

import io.jocclum.libos.epoll.EpollCalls;
import io.jocclum.libos.eventfd.EventFdCalls;
import io.jocclum.libos.events.ThreadSignals;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.events.Waiter;
import io.jocclum.libos.fs.Caller;
import io.jocclum.libos.fs.Credentials;
import io.jocclum.libos.fs.FdTable;
import io.jocclum.libos.fs.FileInvariants;
import io.jocclum.libos.fs.FsContext;
import io.jocclum.libos.fs.OpenFile;
import io.jocclum.libos.fs.Vfs;
import io.jocclum.libos.net.HostNetwork;
import io.jocclum.libos.net.SocketCalls;
import io.jocclum.libos.pipe.PipeCalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Base of the file-layer tests: one LibOS's file services (VFS over a temporary image, /tmp,
 * a hostfs mount, pipes, eventfd, epoll, and on demand the host network), "processes" made of
 * fd tables, and — after every test — the invariant checker over every table the test made,
 * then a full close that must release every file.
 */
public abstract class FileLayerTest {
    @TempDir
    protected Path tmp;
    protected Path image;
    protected Path hostDir;
    protected Vfs vfs;
    protected final PipeCalls pipes = new PipeCalls();
    protected final EventFdCalls eventfds = new EventFdCalls();
    protected final EpollCalls epolls = new EpollCalls();
    protected final ManualClock clock = new ManualClock();
    private final List<FdTable> tables = new ArrayList<>();
    private HostNetwork net;
    private SocketCalls sockets;
    /** The first process's main thread. */
    protected Caller c;

    @BeforeEach
    void setUpFileLayer() throws IOException {
        image = Files.createDirectories(tmp.resolve("image"));
        hostDir = Files.createDirectories(tmp.resolve("host"));
        Files.createDirectories(image.resolve("bin"));
        Files.createDirectories(image.resolve("etc"));
        Files.writeString(image.resolve("etc/hostname"), "jocclum\n");
        Files.writeString(image.resolve("bin/hello"), "#!hello\n");
        vfs = Vfs.builder().image(image).tmpfs("/tmp", 64L << 20).hostfs("/host", hostDir, false)
                .random(new SplittableRandom(42)).build();
        c = process();
    }

    @AfterEach
    void checkInvariantsAndClose() {
        FileInvariants.check(tables, true);
        Map<OpenFile, Boolean> files = new IdentityHashMap<>();
        for (FdTable t : tables) {
            t.forEach((fd, e) -> files.put(e.file(), true));
        }
        for (FdTable t : tables) {
            t.closeAll();
        }
        for (OpenFile f : files.keySet()) {
            if (!f.isReleased()) {
                throw new IllegalStateException(f + " not released after every table was closed (refs " + f.refCount() + ")");
            }
        }
        if (net != null) {
            net.close();
        }
    }

    /** A new "process": its own fd table, root credentials, the manual clock. */
    protected Caller process() {
        return process(new FdTable());
    }

    protected Caller process(FdTable t) {
        track(t);
        return new Caller(t, FsContext.initial(), Credentials.ROOT, ThreadSignals.NONE, Waiter.level(), clock);
    }

    /** A process whose clock is the system clock (for tests with real host I/O). */
    protected Caller realTimeProcess() {
        FdTable t = new FdTable();
        tables.add(t);
        return new Caller(t, FsContext.initial(), Credentials.ROOT, ThreadSignals.NONE, Waiter.level(), WaitClock.system());
    }

    /** Tracks a table made elsewhere (e.g. by spawnChild) for the invariant check. */
    protected FdTable track(FdTable t) {
        if (tables.stream().noneMatch(x -> x == t)) {
            tables.add(t);
        }
        return t;
    }

    protected List<FdTable> tables() {
        return tables;
    }

    /** Another thread of the same process with its own waiter and signal state. */
    protected Caller thread(Caller of, TestSignals signals) {
        return new Caller(of.files(), of.fs(), of.credentials(), signals, Waiter.level(), of.clock());
    }

    protected SocketCalls sockets() {
        if (sockets == null) {
            net = HostNetwork.start();
            sockets = new SocketCalls(net);
        }
        return sockets;
    }

    protected HostNetwork hostNetwork() {
        sockets();
        return net;
    }

    // ---------------------------------------------------------------- helpers

    protected static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    protected static ByteBuffer bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return ByteBuffer.wrap(b);
    }

    protected static String string(ByteBuffer b, int n) {
        return new String(b.array(), b.arrayOffset(), n, StandardCharsets.UTF_8);
    }

    /** Starts a virtual thread (guest threads are virtual threads). */
    protected static Thread vthread(String name, Runnable r) {
        return Thread.ofVirtual().name(name).start(r);
    }
}
