package io.jocclum.libos.vm.testing;

import io.jocclum.libos.vm.MappableFile;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An in-memory file for VM tests and benchmarks: positional reads and writes (writes past the
 * end grow it), with the open mode's read/write permission. {@link #reopen} gives another open
 * file of the same file (same identity, other permissions). Thread-safe.
 */
public final class ByteArrayFile implements MappableFile {
    private final Object identity;
    private final Store store;
    private final boolean readable;
    private final boolean writable;

    private static final class Store {
        byte[] data;        // guarded by this
        int reads;          // guarded by this
        int writes;         // guarded by this

        Store(byte[] data) {
            this.data = data;
        }
    }

    private ByteArrayFile(Object identity, Store store, boolean readable, boolean writable) {
        this.identity = identity;
        this.store = store;
        this.readable = readable;
        this.writable = writable;
    }

    /** A new file holding a copy of {@code content}, opened O_RDWR. */
    public static ByteArrayFile of(byte[] content) {
        return new ByteArrayFile(new Object(), new Store(content.clone()), true, true);
    }

    /** The same file opened again with other permissions. */
    public ByteArrayFile reopen(boolean read, boolean write) {
        return new ByteArrayFile(identity, store, read, write);
    }

    @Override
    public int read(long position, ByteBuffer dst) {
        synchronized (store) {
            store.reads++;
            if (position >= store.data.length) {
                return 0;
            }
            int n = (int) Math.min(dst.remaining(), store.data.length - position);
            dst.put(store.data, (int) position, n);
            return n;
        }
    }

    @Override
    public int write(long position, ByteBuffer src) {
        synchronized (store) {
            store.writes++;
            int n = src.remaining();
            if (position + n > store.data.length) {
                store.data = Arrays.copyOf(store.data, (int) (position + n));
            }
            src.get(store.data, (int) position, n);
            return n;
        }
    }

    @Override
    public long size() {
        synchronized (store) {
            return store.data.length;
        }
    }

    @Override
    public Object identity() {
        return identity;
    }

    @Override
    public boolean readable() {
        return readable;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    /** A copy of the current contents. */
    public byte[] contents() {
        synchronized (store) {
            return store.data.clone();
        }
    }

    /** Number of write calls so far (to observe write-back). */
    public int writeCalls() {
        synchronized (store) {
            return store.writes;
        }
    }
}
