package io.jocclum.libos.boot;

import io.jocclum.libos.vm.EpcmView;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.enclave.Enclave;

/**
 * The VM invariant checker's view of the real platform: EPCM entries from the driver's enclave,
 * page contents through the enclave context. For the checker only (tests), on a quiescent
 * enclave.
 *
 * <p>An evicted page is brought back (an ordinary read through the fault path, ELDU) to see its
 * EPCM entry. A page whose EPCM denies reads (PROT_NONE in a VMA) cannot be read from inside the
 * enclave; {@link #pageIsZero} then answers true (not checkable), which only weakens the
 * clean-on-free check for such pages — free pages are always readable.
 */
final class EnclaveEpcmView implements EpcmView {
    private final Enclave enclave;
    private final EnclaveContext ctx;

    EnclaveEpcmView(Enclave enclave, EnclaveContext ctx) {
        this.enclave = enclave;
        this.ctx = ctx;
    }

    @Override
    public Entry entry(long address) {
        EpcmEntry e = enclave.epcmAt(address);
        if (e == null && enclave.hasPage(address)) {
            try {
                ctx.readByte(address);
            } catch (EnclaveFault ignored) {
                // the load faulted on the EPCM permissions, but the page is resident now
            }
            e = enclave.epcmAt(address);
        }
        if (e == null || !e.valid()) {
            return Entry.ABSENT;
        }
        long state = (e.pending() ? SecInfo.PENDING : 0) | (e.modified() ? SecInfo.MODIFIED : 0) | (e.pr() ? SecInfo.PR : 0);
        return new Entry(true, SecInfo.of(e.type(), e.perms(), state));
    }

    @Override
    public boolean pageIsZero(long address) {
        byte[] b = new byte[Pages.SIZE];
        try {
            ctx.read(Pages.down(address), b, 0, b.length);
        } catch (EnclaveFault e) {
            return true;
        }
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public long countValid(long start, long end) {
        long n = 0;
        for (long a = start; a < end; a += Pages.SIZE) {
            if (enclave.hasPage(a)) {
                n++;
            }
        }
        return n;
    }
}
