package io.jocclum.libos.events;

/**
 * A pending signal taken by a signalfd read: its number and the part of its {@code siginfo} the
 * LibOS keeps — the code ({@code SI_USER} for kill, {@code SI_TKILL} for tgkill/tkill,
 * {@code SI_KERNEL} for signals the kernel raises) and the sending process (0: the host or the
 * kernel).
 */
public record SignalInfo(int signo, int code, int pid) {
    /** {@code SI_USER}: sent by kill(2). */
    public static final int SI_USER = 0;
    /** {@code SI_KERNEL}: sent by the kernel. */
    public static final int SI_KERNEL = 0x80;
    /** {@code SI_TKILL}: sent by tkill(2) or tgkill(2). */
    public static final int SI_TKILL = -6;
}
