package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.cpu.EpcmEntry;
import io.jocclum.sgx.enclave.Enclave;

import java.util.Objects;

/**
 * {@link EpcmView} of an enclave on the simulated SGX platform, for
 * {@link UserSpace#checkInvariants(EpcmView)}: reads the driver's page table and the EPCM through
 * the platform's inspection API ({@link Enclave#inspectPage}, {@link Enclave#inspectPageIsZero},
 * {@link Enclave#countPages}). An evicted page counts as valid with the EPCM state EWB saved in its
 * PCMD, and its contents are decrypted for the zero check without being loaded, so checking
 * changes neither the EPC nor the cost counters. Use on a quiescent enclave.
 */
public final class EnclaveEpcmView implements EpcmView {
    private final Enclave enclave;

    public EnclaveEpcmView(Enclave enclave) {
        this.enclave = Objects.requireNonNull(enclave, "enclave");
    }

    @Override
    public Entry entry(long address) {
        EpcmEntry e = enclave.inspectPage(Pages.down(address));
        if (e == null || !e.valid()) {
            return Entry.ABSENT;
        }
        long flags = ((long) e.type().encoding() << 8) | e.perms() | (e.pending() ? SecInfo.PENDING : 0)
                | (e.modified() ? SecInfo.MODIFIED : 0) | (e.pr() ? SecInfo.PR : 0);
        return new Entry(true, new SecInfo(flags));
    }

    @Override
    public boolean pageIsZero(long address) {
        return enclave.inspectPageIsZero(Pages.down(address));
    }

    @Override
    public long countValid(long start, long end) {
        return enclave.countPages(start, end);
    }
}
