package io.jocclum.libos.fs;

import io.jocclum.api.Stat;

import java.util.function.LongConsumer;
import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * Which I/O leaves the enclave, and its price: a system call that moves bytes to or from a file
 * system backed by host files (the image, hostfs) or a host socket makes an OCALL, charged to the
 * enclave's account (Occlum's untrusted I/O: each OCALL is an enclave exit and re-entry).
 * Immutable.
 */
public final class HostIo {
    private final LongPredicate hostDevice;
    private final Predicate<OpenFile> hostStream;
    private final LongConsumer ocall;

    /**
     * @param hostDevice true for the device numbers of file systems backed by host files
     * @param hostStream true for open files that are not files of a file system but host streams (sockets)
     * @param ocall      charges one OCALL moving that many bytes
     */
    public HostIo(LongPredicate hostDevice, Predicate<OpenFile> hostStream, LongConsumer ocall) {
        this.hostDevice = hostDevice;
        this.hostStream = hostStream;
        this.ocall = ocall;
    }

    /** True when {@code dev} is a file system backed by host files. */
    public boolean hostDevice(long dev) {
        return hostDevice.test(dev);
    }

    /** Whether I/O on {@code f} leaves the enclave (host file systems, sockets). */
    public boolean host(OpenFile f) {
        if (f instanceof RegularFile rf) {
            return hostDevice(rf.id().dev());
        }
        if (f instanceof DirectoryFile d) {
            return hostDevice(d.fstat().dev());
        }
        return hostStream.test(f);
    }

    /** Charges an OCALL moving {@code bytes} when I/O on {@code f} leaves the enclave. */
    public void charge(OpenFile f, long bytes) {
        if (host(f)) {
            ocall.accept(bytes);
        }
    }

    /** Charges an OCALL (no bytes) when {@code s} is on a host file system: the lookup asked the host. */
    public void charge(Stat s) {
        if (hostDevice(s.dev())) {
            ocall.accept(0);
        }
    }

    /** Charges an OCALL moving {@code bytes} (every call on a host socket is one). */
    public void ocall(long bytes) {
        ocall.accept(bytes);
    }
}
