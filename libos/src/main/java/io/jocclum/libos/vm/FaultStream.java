package io.jocclum.libos.vm;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.jocclum.sgx.arch.Pages;

/**
 * The commit-window state of one VMA for EDMM page faults. An isolated fault commits
 * {@code initial} pages; a fault just above (below) the previous window continues a sequential
 * run upward (downward) and doubles the window, up to {@code max}. So sparse use commits few
 * pages, a sequential sweep takes O(pages / max) faults, and no fault ever commits more than
 * {@code max} pages (Occlum commits the whole VMA, whatever its size, on the 4th fault).
 *
 * <p>Guarded by its own monitor (faults of several threads of a process on one VMA).
 */
final class FaultStream {
    @GuardedBy("this")
    private int window;
    @GuardedBy("this")
    private long nextUp = -1;
    @GuardedBy("this")
    private long nextDown = -1;

    /** The page range [0], [1] to commit for a fault at page {@code page} of a VMA [vs, ve). */
    synchronized long[] windowFor(long page, long vs, long ve, int initial, int max) {
        long s;
        long e;
        if (page == nextUp && window > 0) {
            window = Math.min(window * 2, max);
            s = page;
            e = Math.min(ve, page + Pages.bytes(window));
        } else if (page + Pages.SIZE == nextDown && window > 0) {
            window = Math.min(window * 2, max);
            e = page + Pages.SIZE;
            s = Math.max(vs, e - Pages.bytes(window));
        } else {
            window = initial;
            s = page;
            e = Math.min(ve, page + Pages.bytes(initial));
        }
        nextUp = e;
        nextDown = s;
        return new long[] {s, e};
    }
}
