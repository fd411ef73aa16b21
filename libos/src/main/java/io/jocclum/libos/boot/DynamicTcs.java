package io.jocclum.libos.boot;

import io.jocclum.api.Errno;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.Region;
import io.jocclum.libos.layout.RegionKind;
import io.jocclum.libos.process.TcsPool;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cpu.EnclaveContext;
import io.jocclum.sgx.cpu.EnclaveFault;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Adds a thread context to an EDMM enclave at run time, as the SGX SDK's tRTS does for threads
 * beyond TCSMinPool ({@code do_add_thread}, SDK {@code trts_add_trim.cpp}): inside the TCS pool
 * region, at the context's slot, every page of its stack, SSA frames, thread data and TCS is
 * EACCEPTed (the driver EAUGs it on the #PF), the thread data and the TCS are written as the
 * loader would have added them, the TCS page is converted by an OCALL to
 * SGX_IOC_ENCLAVE_MODIFY_TYPES (EMODT to PT_TCS) and EACCEPTed as TCS|MODIFIED, which makes the
 * CPU check its fields. Every leaf and OCALL is charged to the enclave. The guard page stays
 * uncommitted.
 */
final class DynamicTcs implements TcsPool.Grower {
    /** Size of the GPRSGX area at the end of an SSA frame (SDM Vol. 3D, 34.9.1), as the layout uses it. */
    private static final int GPRSGX_SIZE = 184;
    private static final SecInfo PENDING_RW = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING);

    private final EnclaveContext ctx;
    private final long base;
    private final long poolStart;
    private final int tcsNum;
    private final long contextSize;
    private final long stackSize;
    private final long ssaBytes;
    private final int ssaFrame;

    DynamicTcs(EnclaveContext ctx, long base, EnclaveLayout layout) {
        Region pool = layout.region(RegionKind.TCS_POOL);
        Region stack = layout.regions().stream().filter(r -> r.kind() == RegionKind.STACK).findFirst().orElseThrow();
        this.ctx = ctx;
        this.base = base;
        this.poolStart = pool.offset();
        this.tcsNum = layout.measuredData().tcsNum();
        this.contextSize = layout.threadContextSize();
        this.stackSize = stack.size();
        this.ssaFrame = layout.secs().ssaFrameSize();
        this.ssaBytes = (long) EnclaveLayout.NSSA * ssaFrame * Pages.SIZE;
    }

    @Override
    public long add(int index) {
        if (index < tcsNum) {
            throw new IllegalArgumentException("TCS " + index + " was loaded with the enclave");
        }
        long ctxAt = poolStart + (index - tcsNum) * contextSize;
        long stackAt = ctxAt + Pages.SIZE;
        long tcsAt = stackAt + stackSize;
        long ssaAt = tcsAt + Pages.SIZE;
        long tdAt = ssaAt + ssaBytes;
        try {
            accept(stackAt, stackSize);
            accept(ssaAt, ssaBytes);
            accept(tdAt, Pages.SIZE);
            accept(tcsAt, Pages.SIZE);
            byte[] td = threadData(index, tdAt, stackAt, tcsAt, ssaAt);
            ctx.write(base + tdAt, td, 0, td.length);
            byte[] tcs = Tcs.image(ssaAt, EnclaveLayout.NSSA, 0, tdAt, tdAt);
            ctx.write(base + tcsAt, tcs, 0, tcs.length);
            ctx.modifyTypes(base + tcsAt, Pages.SIZE, PageType.TCS);
            int st = ctx.eaccept(base + tcsAt, SecInfo.of(PageType.TCS, 0, SecInfo.MODIFIED));
            if (st != SgxStatus.SUCCESS.code()) {
                throw new IllegalStateException("EACCEPT of the new TCS at 0x" + Long.toHexString(base + tcsAt) + " returned " + st);
            }
        } catch (EnclaveFault e) {
            throw Errno.ENOMEM.exception("no EPC for thread context " + index + ": " + e.getMessage());
        }
        return base + tcsAt;
    }

    private void accept(long offset, long length) {
        acceptPages(ctx, base + offset, length);
    }

    /**
     * EACCEPTs each page of [at, at + length) as pending RW (EAUGed by the driver on the #PF); a page
     * accepted by an earlier, failed attempt is kept. {@link EnclaveFault} when the platform has no EPC.
     */
    static void acceptPages(EnclaveContext ctx, long at, long length) {
        for (long a = at; a < at + length; a += Pages.SIZE) {
            int st = ctx.eaccept(a, PENDING_RW);
            if (st != SgxStatus.SUCCESS.code()) {
                try {
                    ctx.readByte(a);
                } catch (EnclaveFault e) {
                    throw new IllegalStateException("EACCEPT at 0x" + Long.toHexString(a) + " returned " + st, e);
                }
            }
        }
    }

    /** The SDK's thread_data_t prefix as the layout writes it: self, last_sp, stack base and limit, first SSA GPR, TCS, index. */
    private byte[] threadData(int index, long tdAt, long stackAt, long tcsAt, long ssaAt) {
        ByteBuffer b = ByteBuffer.allocate(Pages.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        long top = stackAt + stackSize;
        b.putLong(tdAt).putLong(top).putLong(top).putLong(stackAt)
                .putLong(ssaAt + (long) ssaFrame * Pages.SIZE - GPRSGX_SIZE).putLong(tcsAt).putInt(index);
        return b.array();
    }
}
