package io.jocclum.libos.vm;

/**
 * Thrown by a user-mode {@link GuestMemory} access that raised a signal; the process layer
 * catches it at the guest program's boundary and kills the process with {@link #signal()}.
 * No stack trace: it is an ordinary outcome of a guest program.
 */
public final class GuestFault extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient GuestSignal signal;

    public GuestFault(GuestSignal signal, String detail) {
        super(describe(signal) + (detail == null ? "" : ": " + detail), null, false, false);
        this.signal = signal;
    }

    public GuestSignal signal() {
        return signal;
    }

    private static String describe(GuestSignal s) {
        return switch (s) {
            case GuestSignal.Segv v -> "SIGSEGV (" + (v.accessError() ? "SEGV_ACCERR" : "SEGV_MAPERR") + ") at 0x"
                    + Long.toHexString(v.address()) + (v.write() ? " on write" : " on read");
            case GuestSignal.Bus b -> "SIGBUS (" + (b.code() == GuestSignal.BUS_OBJERR ? "BUS_OBJERR" : "BUS_ADRERR") + ") at 0x"
                    + Long.toHexString(b.address());
        };
    }
}
