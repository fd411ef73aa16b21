package io.jocclum.libos.fs;

import io.jocclum.libos.vm.MappableFile;

import java.nio.ByteBuffer;

/**
 * An open regular file as the VM maps it: positional I/O on the file (the file position stays),
 * its inode as identity, its access mode. Bytes moved to or from a host-backed file (the image,
 * hostfs) are an OCALL each call, charged to the enclave.
 */
record VmFile(RegularFile file, boolean host, HostIo io) implements MappableFile {
    @Override
    public int read(long position, ByteBuffer dst) {
        return charged(file.readAt(dst, position));
    }

    @Override
    public int write(long position, ByteBuffer src) {
        return charged(file.writeAt(src, position));
    }

    /** Charges the OCALL that moved {@code n} bytes when the file is on the host; returns {@code n}. */
    private int charged(int n) {
        if (host) {
            io.ocall(n);
        }
        return n;
    }

    @Override
    public void attachCache(io.jocclum.libos.vm.FileCache cache, boolean attach) {
        file.attachCache(cache, attach);
    }

    @Override
    public String path() {
        return file.path();
    }

    @Override
    public long size() {
        return file.size();
    }

    @Override
    public Object identity() {
        return file.id();
    }

    @Override
    public boolean readable() {
        return file.canRead();
    }

    @Override
    public boolean writable() {
        return file.writable();
    }
}
