package io.jocclum.api;

/**
 * A {@code struct sigaction}: the disposition of a signal, the signals blocked while its handler
 * runs, and {@link Signal} SA_* flags.
 *
 * @param kind    default action, ignore, or run {@code handler}
 * @param handler the Java handler when {@code kind} is {@link Kind#HANDLER}, else null
 * @param mask    signals (a {@link Signal#bit} set) blocked while the handler runs, in addition to the signal itself
 * @param flags   SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_NOCLDWAIT, ... ({@link Signal})
 */
public record SigAction(Kind kind, SignalHandler handler, long mask, int flags) {

    /** {@code SIG_DFL}, {@code SIG_IGN} or a handler. */
    public enum Kind { DEFAULT, IGNORE, HANDLER }

    /** {@code SIG_DFL} without flags. */
    public static final SigAction DEFAULT = new SigAction(Kind.DEFAULT, null, 0, 0);
    /** {@code SIG_IGN} without flags. */
    public static final SigAction IGNORE = new SigAction(Kind.IGNORE, null, 0, 0);

    public SigAction {
        if ((kind == Kind.HANDLER) != (handler != null)) {
            throw new IllegalArgumentException("a handler is given exactly when kind is HANDLER");
        }
    }

    /** A handler with {@code flags} (e.g. {@link Signal#SA_RESTART}) and an empty mask. */
    public static SigAction handler(SignalHandler h, int flags) {
        return new SigAction(Kind.HANDLER, h, 0, flags);
    }

    /** A handler with {@code flags} and {@code mask}. */
    public static SigAction handler(SignalHandler h, int flags, long mask) {
        return new SigAction(Kind.HANDLER, h, mask, flags);
    }
}
