package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostModel;
import io.jocclum.sgx.cost.CycleClock;
import io.jocclum.sgx.crypto.PlatformKeys;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.testing.SgxTestSupport;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** A bare simulated CPU for leaf tests: frames are handed out in order, no driver. */
final class Hw {
    static final long BASE = 0x40_0000_0000L;
    static final long SIZE = 1L << 20;

    final Epc epc;
    final SgxCpu cpu;
    final CostAccount acct;
    private long next;

    Hw(boolean sgx2, long seed) {
        this(CpuFeatures.defaults(sgx2), new PlatformKeys(seed));
    }

    Hw(CpuFeatures features, PlatformKeys keys) {
        epc = new Epc(List.of(4096L * 4096));
        cpu = new SgxCpu(epc, features, keys);
        acct = new CostAccount("test", CostModel.defaults(), new CycleClock(CostModel.defaults()));
    }

    Hw() {
        this(true, 1);
    }

    EpcFrame fresh() {
        return epc.frame(next++);
    }

    static Attributes attrs() {
        return new Attributes(Attributes.MODE64BIT | Attributes.DEBUG, Attributes.XFRM_LEGACY);
    }

    static byte[] secs(long base, long size) {
        return Secs.forCreate(base, size, 1, 0, attrs()).toBytes();
    }

    EpcFrame create() {
        EpcFrame s = fresh();
        cpu.ecreate(acct, s, secs(BASE, SIZE), new SecInfo(0));
        return s;
    }

    static byte[] pattern(int seed) {
        byte[] b = new byte[4096];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 13 + seed);
        }
        return b;
    }

    EpcFrame add(EpcFrame secs, long offset, SecInfo si, byte[] data, boolean measure) {
        EpcFrame f = fresh();
        cpu.eadd(acct, f, secs, BASE + offset, si, MemorySegment.ofArray(data));
        if (measure) {
            for (int o = 0; o < 4096; o += 256) {
                cpu.eextend(acct, secs, f, o);
            }
        }
        return f;
    }

    EpcFrame addTcs(EpcFrame secs, long offset) {
        return add(secs, offset, SecInfo.of(PageType.TCS, 0), Tcs.image(0x1000, 1, 0x2000, 0, 0), true);
    }

    SigStruct sigFor(EpcFrame secs) {
        EnclaveControl c = secs.secs();
        return SigStruct.unsigned(0, 0, 0, new byte[16], c.attributes(), Attributes.SDK_DEFAULT_MASK,
                c.measurement().peek(), new byte[16], 5, 2).sign(SgxTestSupport.signingKey());
    }

    SgxStatus init(EpcFrame secs) {
        return cpu.einit(acct, sigFor(secs).toBytes(), secs, null);
    }

    /** An initialised enclave with a TCS at 0 and a RW page at 0x1000. */
    EpcFrame initialized() {
        EpcFrame s = create();
        addTcs(s, 0);
        add(s, 0x1000, SecInfo.reg(SecInfo.R | SecInfo.W), pattern(1), true);
        if (init(s) != SgxStatus.SUCCESS) {
            throw new AssertionError("EINIT failed");
        }
        return s;
    }
}
