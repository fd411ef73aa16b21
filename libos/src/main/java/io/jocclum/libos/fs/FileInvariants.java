package io.jocclum.libos.fs;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The invariant checker of the file layer, run after every test of the area (and usable by the
 * integration after its own tests): every fd table is consistent; every open file's reference
 * count equals the number of descriptors that refer to it across the given tables; no referenced
 * file is released; and each file's own structures hold — epoll registrations only on live files
 * and present in the files' watch lists, ready lists consistent, pipe rings within bounds, socket
 * readiness equal to the socket state, and, after quiescence, no thread left in any waiter queue
 * and no subscriber left on any notifier other than epoll registrations.
 */
public final class FileInvariants {
    private FileInvariants() {
    }

    /**
     * Checks {@code tables} (all tables that may refer to the files involved);
     * {@code quiescent} when no thread is inside a file-layer call.
     */
    public static void check(Collection<FdTable> tables, boolean quiescent) {
        Map<OpenFile, Integer> refs = new IdentityHashMap<>();
        for (FdTable t : tables) {
            t.checkInvariants();
            t.forEach((fd, e) -> refs.merge(e.file(), 1, Integer::sum));
        }
        for (Map.Entry<OpenFile, Integer> e : refs.entrySet()) {
            OpenFile f = e.getKey();
            if (f.refCount() != e.getValue()) {
                throw new IllegalStateException(f + ": reference count " + f.refCount() + " but " + e.getValue()
                        + " descriptors refer to it");
            }
            f.checkInvariants(quiescent);
        }
    }
}
