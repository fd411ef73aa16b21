package io.jocclum.libos.vm;

/**
 * What a guest memory access that cannot complete does to the process: a synchronous signal the
 * process layer turns into "killed by signal" (exit status 128 + signo). Numbers and si_codes
 * are Linux x86_64 ({@code include/uapi/asm-generic/signal.h}, {@code siginfo.h}).
 */
public sealed interface GuestSignal permits GuestSignal.Segv, GuestSignal.Bus {
    /** SIGBUS. */
    int SIGBUS = 7;
    /** SIGSEGV. */
    int SIGSEGV = 11;
    /** si_code SEGV_MAPERR: address not mapped. */
    int SEGV_MAPERR = 1;
    /** si_code SEGV_ACCERR: mapped, access not allowed. */
    int SEGV_ACCERR = 2;
    /** si_code BUS_ADRERR: the memory could not be provided (no EPC page). */
    int BUS_ADRERR = 2;
    /** si_code BUS_OBJERR: hardware error on the object (an evicted page failed its integrity check). */
    int BUS_OBJERR = 3;

    int signo();

    int code();

    /** The faulting guest address (si_addr). */
    long address();

    /** SIGSEGV: unmapped address ({@code accessError} false) or an access the VMA forbids. */
    record Segv(long address, boolean accessError, boolean write) implements GuestSignal {
        @Override
        public int signo() {
            return SIGSEGV;
        }

        @Override
        public int code() {
            return accessError ? SEGV_ACCERR : SEGV_MAPERR;
        }
    }

    /** SIGBUS: the platform could not provide or restore the page. */
    record Bus(long address, int code) implements GuestSignal {
        @Override
        public int signo() {
            return SIGBUS;
        }
    }
}
