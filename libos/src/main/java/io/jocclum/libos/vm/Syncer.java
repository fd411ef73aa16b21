package io.jocclum.libos.vm;

import io.jocclum.api.Errno;
import io.jocclum.api.Mman;
import io.jocclum.sgx.arch.Pages;

/**
 * msync(2) and fsync's write-back of a process's shared file mappings (Linux {@code mm/msync.c};
 * Occlum {@code vm/vm_manager.rs} msync): the modified pages of a range, or of every mapping of
 * one file, go back to the file, with the EPCM made readable for PROT_NONE mappings meanwhile.
 * Runs under its process's {@link ProcessVm#lock}, as a part of {@link ProcessVm}.
 */
final class Syncer {
    private final ProcessVm vm;
    private final VmEpc epc;

    Syncer(ProcessVm vm) {
        this.vm = vm;
        this.epc = vm.space.epc;
    }

    /**
     * msync(2): writes the modified pages of shared file mappings in the range back to their
     * files (MS_ASYNC too: our mappings are not coherent with the file otherwise). ENOMEM if part
     * of the range is unmapped (after flushing the mapped parts, as Linux).
     */
    void msync(long addr, long length, int flags) {
        if ((flags & ~(Mman.MS_ASYNC | Mman.MS_INVALIDATE | Mman.MS_SYNC)) != 0) {
            throw Errno.EINVAL.exception("unknown msync flags 0x" + Integer.toHexString(flags));
        }
        if (!Pages.isAligned(addr)) {
            throw Errno.EINVAL.exception("address 0x" + Long.toHexString(addr) + " is not page aligned");
        }
        if ((flags & Mman.MS_ASYNC) != 0 && (flags & Mman.MS_SYNC) != 0) {
            throw Errno.EINVAL.exception("MS_ASYNC and MS_SYNC together");
        }
        long len = Pages.up(length);
        long end = addr + len;
        if (Long.compareUnsigned(end, addr) < 0) {
            throw Errno.ENOMEM.exception("range wraps around");
        }
        if (len == 0) {
            return; // also a length that rounds up to 2^64, as in Linux
        }
        long stamp = vm.lock.writeLock();
        try {
            vm.ensureAlive();
            long x = addr;
            boolean hole = false;
            for (Vma v : vm.vmas.in(addr, end)) {
                if (v.start > x) {
                    if (flags == Mman.MS_ASYNC) {
                        throw Errno.ENOMEM.exception("unmapped hole at 0x" + Long.toHexString(x));
                    }
                    hole = true;
                }
                if ((flags & Mman.MS_INVALIDATE) != 0 && (v.flags & Mman.MAP_LOCKED) != 0) {
                    throw Errno.EBUSY.exception("MS_INVALIDATE on a locked mapping");
                }
                flush(v, Math.max(addr, v.start), Math.min(end, v.end));
                x = v.end;
            }
            if (hole || x < end) {
                throw Errno.ENOMEM.exception("part of the range is not mapped");
            }
        } finally {
            vm.lock.unlockWrite(stamp);
        }
    }

    /**
     * fsync/fdatasync of a file: writes back the modified pages of every shared mapping of that
     * file in this process (as Occlum does; other processes' mappings flush on their own msync,
     * munmap or exit).
     */
    void syncFile(Object identity) {
        long stamp = vm.lock.writeLock();
        try {
            vm.ensureAlive();
            for (Vma v : vm.vmas.values()) {
                if (v.sharedFile() && v.file.file().identity().equals(identity)) {
                    flush(v, v.start, v.end);
                }
            }
            SharedSegment seg = vm.space.shared.fileSegment(identity);
            if (seg != null) {
                seg.writeBack(seg.start, seg.end);
            }
        } finally {
            vm.lock.unlockWrite(stamp);
        }
    }

    private void flush(Vma v, long s, long e) {
        if (v.inSegment()) {
            v.chunk.segment.writeBack(s, e);
            return;
        }
        if (!v.sharedFile()) {
            return;
        }
        boolean none = epc.edmm && VmEpc.hw(v.prot) == 0;
        if (none) {
            epc.transition(v.region, s, e, 0, VmEpc.base(v.region));
        }
        try {
            epc.writeBack(v, s, e);
        } finally {
            if (none) {
                epc.transition(v.region, s, e, VmEpc.base(v.region), 0);
            }
        }
    }
}
