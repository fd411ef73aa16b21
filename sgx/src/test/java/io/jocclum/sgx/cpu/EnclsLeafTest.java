package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.measure.MeasurementBuilder;
import io.jocclum.sgx.measure.SigStruct;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Architectural preconditions and error codes of the ENCLS leaves (SDM Vol. 3D, chapter 38). */
class EnclsLeafTest {
    private final Hw hw = new Hw();

    private static void gp(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(EnclsException.class,
                e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.GP));
    }

    private static void pf(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(EnclsException.class,
                e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.PF));
    }

    private static void ud(Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(EnclsException.class,
                e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.UD));
    }

    private void ecreate(Secs s) {
        hw.cpu.ecreate(hw.acct, hw.fresh(), s.toBytes(), new SecInfo(0));
    }

    // ---- ECREATE ----------------------------------------------------------------------------------

    @Test
    void ecreateMakesAValidSecsPage() {
        EpcFrame s = hw.create();
        EpcmEntry e = s.epcmEntry();
        assertThat(e.valid()).isTrue();
        assertThat(e.type()).isEqualTo(PageType.SECS);
        assertThat(s.secs().base()).isEqualTo(Hw.BASE);
        assertThat(s.secs().isInitialized()).isFalse();
        assertThat(hw.acct.count(CostEvent.ECREATE)).isEqualTo(1);
    }

    @Test
    void ecreateChecksTheSecs() {
        Attributes a = Hw.attrs();
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, 3 * 4096, 1, 0, a)));               // not a power of two
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, 4096, 1, 0, a)));                   // one page
        gp(() -> ecreate(Secs.forCreate(Hw.BASE + 4096, Hw.SIZE, 1, 0, a)));         // base not aligned to size
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, a.with(Attributes.INIT))));
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, new Attributes(a.flags() | (1L << 3), 3))));
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, new Attributes(a.flags(), 1))));   // no SSE
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, new Attributes(a.flags(), 0x103)))); // beyond XCR0
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, new Attributes(a.flags(), 0xB)))); // BNDREGS only
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 0, 0, a)));                 // SSAFRAMESIZE 0
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 0, new Attributes(a.flags(), 0xE7)))); // AVX-512 needs 2 SSA pages
        gp(() -> ecreate(Secs.forCreate(Hw.BASE, Hw.SIZE, 1, 2, a)));                 // reserved MISCSELECT
        gp(() -> ecreate(Secs.forCreate(1L << 47, Hw.SIZE, 1, 0, a)));                // not canonical
        gp(() -> ecreate(Secs.forCreate(1L << 32, Hw.SIZE, 1, 0, new Attributes(Attributes.DEBUG, 3)))); // 32-bit above 4G
        byte[] raw = Hw.secs(Hw.BASE, Hw.SIZE);
        raw[100] = 1; // reserved
        gp(() -> hw.cpu.ecreate(hw.acct, hw.fresh(), raw, new SecInfo(0)));
        byte[] cfg = new byte[64];
        cfg[0] = 1;
        gp(() -> ecreate(new Secs(Hw.SIZE, Hw.BASE, 1, 0, a, new byte[32], new byte[32], cfg, 0, 0, 0))); // CONFIGID without KSS
        ecreate(new Secs(Hw.SIZE, Hw.BASE, 1, 0, a.with(Attributes.KSS), new byte[32], new byte[32], cfg, 0, 0, 3));
        gp(() -> hw.cpu.ecreate(hw.acct, hw.fresh(), Hw.secs(Hw.BASE, Hw.SIZE), new SecInfo(1L << 20)));
    }

    @Test
    void ecreateOnAValidPageFaults() {
        EpcFrame s = hw.create();
        pf(() -> hw.cpu.ecreate(hw.acct, s, Hw.secs(Hw.BASE, Hw.SIZE), new SecInfo(0)));
    }

    // ---- EADD / EEXTEND -----------------------------------------------------------------------------

    @Test
    void eaddCopiesThePageAndSetsTheEpcm() {
        EpcFrame s = hw.create();
        EpcFrame f = hw.add(s, 0x3000, SecInfo.reg(SecInfo.R | SecInfo.X), Hw.pattern(9), false);
        EpcmEntry e = f.epcmEntry();
        assertThat(e).isEqualTo(new EpcmEntry(true, PageType.REG, SecInfo.R | SecInfo.X, false, false, false, false,
                Hw.BASE + 0x3000, s.secs().eid()));
        assertThat(f.contentOrNull().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Hw.pattern(9));
        assertThat(s.secs().children()).isEqualTo(1);
    }

    @Test
    void eaddOfAZeroPageMaterialisesNothing() {
        EpcFrame s = hw.create();
        long before = hw.epc.materializedPages();
        EpcFrame f = hw.add(s, 0x3000, SecInfo.reg(SecInfo.R | SecInfo.W), new byte[4096], false);
        assertThat(f.isMaterialized()).isFalse();
        assertThat(hw.epc.materializedPages()).isEqualTo(before);
    }

    @Test
    void eaddPreconditions() {
        EpcFrame s = hw.create();
        MemorySegment src = MemorySegment.ofArray(new byte[4096]);
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE, SecInfo.of(PageType.VA, 0), src));
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE, SecInfo.of(PageType.TRIM, 0), src));
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE, new SecInfo(SecInfo.reg(SecInfo.R).flags() | SecInfo.PENDING), src));
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE + 8, SecInfo.reg(SecInfo.R), src));
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE + Hw.SIZE, SecInfo.reg(SecInfo.R), src));
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE, SecInfo.of(PageType.TCS, 0), src)); // bad TCS (limits 0)
        pf(() -> hw.cpu.eadd(hw.acct, hw.fresh(), hw.fresh(), Hw.BASE, SecInfo.reg(SecInfo.R), src)); // SECS invalid
        EpcFrame taken = hw.add(s, 0, SecInfo.reg(SecInfo.R), new byte[4096], false);
        pf(() -> hw.cpu.eadd(hw.acct, taken, s, Hw.BASE + 0x1000, SecInfo.reg(SecInfo.R), src));
        EpcFrame reg = taken;
        pf(() -> hw.cpu.eadd(hw.acct, hw.fresh(), reg, Hw.BASE + 0x1000, SecInfo.reg(SecInfo.R), src)); // SECS operand not a SECS
    }

    @Test
    void eaddOfATcsClearsItsPermissions() {
        EpcFrame s = hw.create();
        EpcFrame t = hw.add(s, 0, SecInfo.of(PageType.TCS, SecInfo.R | SecInfo.W), Tcs.image(0x1000, 1, 0, 0, 0), false);
        assertThat(t.epcmEntry().type()).isEqualTo(PageType.TCS);
        assertThat(t.epcmEntry().perms()).isZero();
    }

    @Test
    void eaddAndEextendAfterEinitFault() {
        EpcFrame s = hw.initialized();
        gp(() -> hw.cpu.eadd(hw.acct, hw.fresh(), s, Hw.BASE + 0x5000, SecInfo.reg(SecInfo.R),
                MemorySegment.ofArray(new byte[4096])));
    }

    @Test
    void eextendPreconditions() {
        EpcFrame s = hw.create();
        EpcFrame f = hw.add(s, 0x1000, SecInfo.reg(SecInfo.R), Hw.pattern(1), false);
        gp(() -> hw.cpu.eextend(hw.acct, s, f, 128));
        gp(() -> hw.cpu.eextend(hw.acct, s, f, 4096));
        EpcFrame other = hw.create();
        pf(() -> hw.cpu.eextend(hw.acct, other, f, 0));     // page of another enclave
        pf(() -> hw.cpu.eextend(hw.acct, s, hw.fresh(), 0)); // invalid page
    }

    @Test
    void measurementFollowsTheSdm() {
        EpcFrame s = hw.create();
        hw.addTcs(s, 0);
        hw.add(s, 0x1000, SecInfo.reg(SecInfo.R | SecInfo.X), Hw.pattern(3), true);
        hw.add(s, 0x2000, SecInfo.reg(SecInfo.R | SecInfo.W), Hw.pattern(4), false);
        byte[] expected = new MeasurementBuilder().ecreate(1, Hw.SIZE)
                .eadd(0, SecInfo.of(PageType.TCS, 0)).eextendPage(0, Tcs.image(0x1000, 1, 0x2000, 0, 0))
                .eadd(0x1000, SecInfo.reg(SecInfo.R | SecInfo.X)).eextendPage(0x1000, Hw.pattern(3))
                .eadd(0x2000, SecInfo.reg(SecInfo.R | SecInfo.W)).finish();
        assertThat(hw.init(s)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(s.secs().mrEnclave()).isEqualTo(expected);
        assertThat(s.secs().mrSigner()).isEqualTo(hw.sigFor(s).mrSigner());
        assertThat(s.secs().isvProdId()).isEqualTo(5);
        assertThat(s.secs().attributes().has(Attributes.INIT)).isTrue();
    }

    // ---- EINIT --------------------------------------------------------------------------------------

    @Test
    void einitStatusCodes() {
        EpcFrame s = hw.create();
        hw.addTcs(s, 0);
        EnclaveControl c = s.secs();
        byte[] good = hw.sigFor(s).toBytes();

        byte[] badHeader = good.clone();
        badHeader[0] ^= 1;
        assertThat(hw.cpu.einit(hw.acct, badHeader, s, null)).isEqualTo(SgxStatus.INVALID_SIG_STRUCT);
        byte[] badSig = good.clone();
        badSig[600] ^= 1;
        assertThat(hw.cpu.einit(hw.acct, badSig, s, null)).isEqualTo(SgxStatus.INVALID_SIGNATURE);
        SigStruct wrongAttrs = SigStruct.unsigned(0, 0, 0, new byte[16],
                new Attributes(Attributes.MODE64BIT, Attributes.XFRM_LEGACY).with(Attributes.PROVISIONKEY),
                Attributes.SDK_DEFAULT_MASK, c.measurement().peek(), new byte[16], 1, 1).sign(SgxTestSupport.signingKey());
        assertThat(hw.cpu.einit(hw.acct, wrongAttrs.toBytes(), s, null)).isEqualTo(SgxStatus.INVALID_ATTRIBUTE);
        SigStruct wrongHash = SigStruct.unsigned(0, 0, 0, new byte[16], c.attributes(), Attributes.SDK_DEFAULT_MASK,
                new byte[32], new byte[16], 1, 1).sign(SgxTestSupport.signingKey());
        assertThat(hw.cpu.einit(hw.acct, wrongHash.toBytes(), s, null)).isEqualTo(SgxStatus.INVALID_MEASUREMENT);
        // a failed EINIT leaves the enclave open: more pages can still be added, then EINIT succeeds
        hw.add(s, 0x1000, SecInfo.reg(SecInfo.R), Hw.pattern(2), true);
        assertThat(hw.init(s)).isEqualTo(SgxStatus.SUCCESS);
        gp(() -> hw.cpu.einit(hw.acct, good, s, null));
        assertThat(hw.acct.count(CostEvent.EINIT)).isEqualTo(6);
    }

    @Test
    void einitComparesAttributesUnderTheMask() {
        EpcFrame s = hw.create();
        hw.addTcs(s, 0);
        EnclaveControl c = s.secs();
        Attributes ignoreDebug = new Attributes(~Attributes.DEBUG, Attributes.SDK_DEFAULT_MASK.xfrm());
        SigStruct prod = SigStruct.unsigned(0, 0, 0, new byte[16], new Attributes(Attributes.MODE64BIT, 3),
                Attributes.SDK_DEFAULT_MASK, c.measurement().peek(), new byte[16], 1, 1).sign(SgxTestSupport.signingKey());
        assertThat(hw.cpu.einit(hw.acct, prod.toBytes(), s, null)).as("the SDK mask enforces DEBUG")
                .isEqualTo(SgxStatus.INVALID_ATTRIBUTE);
        SigStruct any = SigStruct.unsigned(0, 0, 0, new byte[16], new Attributes(Attributes.MODE64BIT, 3),
                ignoreDebug, c.measurement().peek(), new byte[16], 1, 1).sign(SgxTestSupport.signingKey());
        assertThat(hw.cpu.einit(hw.acct, any.toBytes(), s, null)).isEqualTo(SgxStatus.SUCCESS);
    }

    // ---- EREMOVE, EPA, EBLOCK, ETRACK ---------------------------------------------------------------

    @Test
    void eremoveStatuses() {
        EpcFrame s = hw.create();
        EpcFrame f = hw.add(s, 0x1000, SecInfo.reg(SecInfo.R | SecInfo.W), Hw.pattern(1), false);
        assertThat(hw.cpu.eremove(hw.acct, hw.fresh())).as("invalid page").isEqualTo(SgxStatus.SUCCESS);
        assertThat(hw.cpu.eremove(hw.acct, s)).isEqualTo(SgxStatus.CHILD_PRESENT);
        assertThat(f.pinOwned(s.secs().eid(), Hw.BASE + 0x1000)).isTrue();
        assertThat(hw.cpu.eremove(hw.acct, f)).as("access in flight").isEqualTo(SgxStatus.ENCLAVE_ACT);
        f.unpin();
        assertThat(hw.cpu.eremove(hw.acct, f)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(f.isValid()).isFalse();
        assertThat(f.isMaterialized()).as("contents returned to the pool").isFalse();
        assertThat(hw.cpu.eremove(hw.acct, s)).isEqualTo(SgxStatus.SUCCESS);
    }

    @Test
    void aFramesSecsIsTheControlOfItsValidSecsEntryOnly() {
        EpcFrame s = hw.create();
        EnclaveControl first = s.secs();
        assertThat(first).isNotNull();
        assertThat(s.secs()).isSameAs(first);
        EpcFrame f = hw.add(s, 0x1000, SecInfo.reg(SecInfo.R | SecInfo.W), Hw.pattern(1), false);
        assertThat(f.secs()).as("a regular page").isNull();
        assertThat(hw.fresh().secs()).as("an invalid frame").isNull();
        assertThat(hw.cpu.eremove(hw.acct, f)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(hw.cpu.eremove(hw.acct, s)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(s.secs()).as("removed").isNull();
        hw.cpu.ecreate(hw.acct, s, Hw.secs(Hw.BASE, Hw.SIZE), new SecInfo(0));
        assertThat(s.secs()).as("the same frame made a SECS again").isNotNull().isNotSameAs(first);
        assertThat(s.secs().eid()).isNotEqualTo(first.eid());
    }

    @Test
    void anEnclaveFaultNamesItsKindAddressAndDetail() {
        EnclaveFault f = new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, 0x7f00_1000L, true, "not present");
        assertThat(f.getMessage()).isEqualTo("PAGE_FAULT at 0x7f001000 (write): not present");
        assertThat(new EnclaveFault(EnclaveFault.Kind.SIGBUS, 0x2000L, false, "gone").getMessage())
                .isEqualTo("SIGBUS at 0x2000: gone");
        assertThat(f.toString()).endsWith(": PAGE_FAULT at 0x7f001000 (write): not present");
    }

    @Test
    void epaMakesAVaPage() {
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        assertThat(va.epcmEntry().type()).isEqualTo(PageType.VA);
        assertThat(va.vaSlot(511)).isZero();
        pf(() -> hw.cpu.epa(hw.acct, va));
    }

    @Test
    void eblockStatuses() {
        EpcFrame s = hw.initialized();
        EpcFrame f = hw.add(hw.create(), 0, SecInfo.reg(SecInfo.R), new byte[4096], false);
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        assertThat(hw.cpu.eblock(hw.acct, hw.fresh())).isEqualTo(SgxStatus.PG_INVLD);
        assertThat(hw.cpu.eblock(hw.acct, s)).isEqualTo(SgxStatus.PG_IS_SECS);
        assertThat(hw.cpu.eblock(hw.acct, va)).isEqualTo(SgxStatus.NOTBLOCKABLE);
        assertThat(hw.cpu.eblock(hw.acct, f)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(f.isBlocked()).isTrue();
        assertThat(f.pinOwned(f.epcmEntry().ownerEid(), Hw.BASE)).as("blocked pages cannot be pinned").isFalse();
        assertThat(hw.cpu.eblock(hw.acct, f)).isEqualTo(SgxStatus.BLKSTATE);
    }

    @Test
    void etrackNeedsASecs() {
        EpcFrame s = hw.create();
        long e = s.secs().epoch();
        assertThat(hw.cpu.etrack(hw.acct, s)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(s.secs().epoch()).isEqualTo(e + 1);
        pf(() -> hw.cpu.etrack(hw.acct, hw.fresh()));
    }

    // ---- EWB / ELDU ---------------------------------------------------------------------------------

    @Test
    void ewbNeedsBlockAndTrackThenEldURestoresThePage() {
        EpcFrame s = hw.initialized();
        EpcFrame f = hw.add(hw.create(), 0, SecInfo.reg(SecInfo.R), new byte[4096], false); // unrelated
        EpcFrame s2 = hw.create();
        EpcFrame page = hw.add(s2, 0x2000, SecInfo.reg(SecInfo.R | SecInfo.W), Hw.pattern(7), false);
        hw.addTcs(s2, 0);
        assertThat(hw.init(s2)).isEqualTo(SgxStatus.SUCCESS);
        EpcFrame va = hw.fresh();
        long[] before = {hw.acct.count(CostEvent.EPA), hw.acct.count(CostEvent.EBLOCK), hw.acct.count(CostEvent.ETRACK),
            hw.acct.count(CostEvent.EWB), hw.acct.count(CostEvent.ELDU)};
        hw.cpu.epa(hw.acct, va);
        byte[] blob = new byte[4096];
        byte[] pcmd = new byte[4096];
        assertThat(hw.cpu.ewb(hw.acct, page, va, 3, blob, pcmd, 256)).isEqualTo(SgxStatus.PAGE_NOT_BLOCKED);
        assertThat(hw.cpu.eblock(hw.acct, page)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(hw.cpu.ewb(hw.acct, page, va, 3, blob, pcmd, 256)).isEqualTo(SgxStatus.NOT_TRACKED);
        hw.cpu.etrack(hw.acct, s2);
        assertThat(hw.cpu.ewb(hw.acct, page, va, 3, blob, pcmd, 256)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(page.isValid()).isFalse();
        assertThat(va.vaSlot(3)).isNotZero();
        assertThat(s2.secs().children()).isEqualTo(1);
        assertThat(Pcmd.enclaveId(pcmd, 256)).isEqualTo(s2.secs().eid());
        assertThat(Pcmd.secInfoFlags(pcmd, 256)).isEqualTo(SecInfo.reg(SecInfo.R | SecInfo.W).flags());
        assertThat(blob).isNotEqualTo(Hw.pattern(7));

        EpcFrame back = hw.fresh();
        assertThat(hw.cpu.eldu(hw.acct, back, Hw.BASE + 0x2000, s2, blob, pcmd, 256, va, 3, false))
                .isEqualTo(SgxStatus.SUCCESS);
        assertThat(back.contentOrNull().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Hw.pattern(7));
        assertThat(back.epcmEntry().perms()).isEqualTo(SecInfo.R | SecInfo.W);
        assertThat(va.vaSlot(3)).as("ELDU clears the slot").isZero();
        assertThat(s2.secs().children()).isEqualTo(2);
        assertThat(new long[] {hw.acct.count(CostEvent.EPA) - before[0], hw.acct.count(CostEvent.EBLOCK) - before[1],
            hw.acct.count(CostEvent.ETRACK) - before[2], hw.acct.count(CostEvent.EWB) - before[3],
            hw.acct.count(CostEvent.ELDU) - before[4]}).as("EPA, EBLOCK, ETRACK, EWB, ELDU each charged once per execution")
                .containsExactly(1, 1, 1, 3, 1);
        // the same blob cannot be loaded twice: the version is gone from the slot
        assertThat(hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x2000, s2, blob, pcmd, 256, va, 3, false))
                .isEqualTo(SgxStatus.MAC_COMPARE_FAIL);
        assertThat(s.isValid() && f.isValid()).isTrue();
    }

    @Test
    void ewbWaitsForInFlightAccessesAndKeepsPendingBits() {
        EpcFrame s = hw.initialized();
        EnclaveControl c = s.secs();
        EpcFrame page = hw.fresh();
        hw.cpu.eaug(hw.acct, page, s, Hw.BASE + 0x8000);
        assertThat(page.pinOwned(c.eid(), Hw.BASE + 0x8000)).isTrue();
        hw.cpu.eblock(hw.acct, page);
        hw.cpu.etrack(hw.acct, s);
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        byte[] blob = new byte[4096];
        byte[] pcmd = new byte[128];
        assertThat(hw.cpu.ewb(hw.acct, page, va, 0, blob, pcmd, 0)).as("a thread still holds a translation")
                .isEqualTo(SgxStatus.NOT_TRACKED);
        page.unpin();
        assertThat(hw.cpu.ewb(hw.acct, page, va, 0, blob, pcmd, 0)).isEqualTo(SgxStatus.SUCCESS);
        EpcFrame back = hw.fresh();
        assertThat(hw.cpu.eldu(hw.acct, back, Hw.BASE + 0x8000, s, blob, pcmd, 0, va, 0, true))
                .isEqualTo(SgxStatus.SUCCESS);
        EpcmEntry e = back.epcmEntry();
        assertThat(e.pending()).as("PENDING survives eviction").isTrue();
        assertThat(e.blocked()).as("ELDB loads blocked").isTrue();
    }

    @Test
    void ewbAndElduOperandChecks() {
        EpcFrame s = hw.initialized();
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        EpcFrame page = hw.fresh();
        hw.cpu.eaug(hw.acct, page, s, Hw.BASE + 0x8000);
        hw.cpu.eblock(hw.acct, page);
        hw.cpu.etrack(hw.acct, s);
        byte[] blob = new byte[4096];
        byte[] pcmd = new byte[128];
        pf(() -> hw.cpu.ewb(hw.acct, hw.fresh(), va, 0, blob, pcmd, 0));
        pf(() -> hw.cpu.ewb(hw.acct, page, s, 0, blob, pcmd, 0));            // VA operand is a SECS
        gp(() -> hw.cpu.ewb(hw.acct, page, va, 512, blob, pcmd, 0));
        gp(() -> hw.cpu.ewb(hw.acct, va, va, 0, blob, pcmd, 0));             // VA eviction not modelled
        gp(() -> hw.cpu.ewb(hw.acct, page, va, 0, blob, pcmd, 1));            // PCMD past the end of its buffer
        gp(() -> hw.cpu.ewb(hw.acct, page, va, 0, blob, pcmd, -1));
        gp(() -> hw.cpu.ewb(hw.acct, page, va, 0, new byte[4095], pcmd, 0));  // contents shorter than a page
        gp(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, blob, pcmd, 1, va, 0, false));
        gp(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, new byte[4095], pcmd, 0, va, 0, false));
        assertThat(hw.cpu.ewb(hw.acct, s, va, 1, blob, pcmd, 0)).as("SECS with children").isEqualTo(SgxStatus.CHILD_PRESENT);
        assertThat(hw.cpu.ewb(hw.acct, page, va, 0, blob, pcmd, 0)).isEqualTo(SgxStatus.SUCCESS);
        EpcFrame valid = hw.fresh();
        hw.cpu.eaug(hw.acct, valid, s, Hw.BASE + 0xA000);
        pf(() -> hw.cpu.eldu(hw.acct, valid, Hw.BASE + 0x8000, s, blob, pcmd, 0, va, 0, false));
        gp(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + Hw.SIZE, s, blob, pcmd, 0, va, 0, false));
        gp(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, blob, pcmd, 0, va, 0x200, false));
        byte[] badPcmd = pcmd.clone();
        badPcmd[80] = 1; // reserved
        gp(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, blob, badPcmd, 0, va, 0, false));
        assertThat(hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, blob, pcmd, 0, va, 0, false))
                .isEqualTo(SgxStatus.SUCCESS);
    }

    /**
     * SDM EWB, "Flags Affected": ZF is set if the page is not written out, CF if the VA slot was
     * occupied. An occupied slot is a warning: the page is evicted and the slot overwritten, so the
     * blob whose version was there can no longer be loaded, and the new one can.
     */
    @Test
    void ewbIntoAnOccupiedVaSlotWritesThePageOutWithAWarning() {
        EpcFrame s = hw.initialized();
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        EpcFrame p1 = hw.fresh();
        hw.cpu.eaug(hw.acct, p1, s, Hw.BASE + 0x8000);
        EpcFrame p2 = hw.fresh();
        hw.cpu.eaug(hw.acct, p2, s, Hw.BASE + 0x9000);
        hw.cpu.eblock(hw.acct, p1);
        hw.cpu.eblock(hw.acct, p2);
        hw.cpu.etrack(hw.acct, s);
        byte[] blob1 = new byte[4096 + 16];
        byte[] pcmd1 = new byte[128];
        byte[] blob2 = new byte[4096 + 16];
        byte[] pcmd2 = new byte[128];
        long children = s.secs().children();
        assertThat(hw.cpu.ewb(hw.acct, p1, va, 7, blob1, pcmd1, 0)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(hw.cpu.ewb(hw.acct, p2, va, 7, blob2, pcmd2, 0)).isEqualTo(SgxStatus.VA_SLOT_OCCUPIED);
        assertThat(p2.isValid()).as("the page was written out anyway").isFalse();
        assertThat(s.secs().children()).isEqualTo(children - 2);
        assertThat(hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, blob1, pcmd1, 0, va, 7, false))
                .as("the overwritten version").isEqualTo(SgxStatus.MAC_COMPARE_FAIL);
        assertThat(hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x9000, s, blob2, pcmd2, 0, va, 7, false))
                .isEqualTo(SgxStatus.SUCCESS);
    }

    @Test
    void vaSlotReuseCannotReplayAnOldBlob() {
        EpcFrame s = hw.initialized();
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        EpcFrame p = hw.fresh();
        hw.cpu.eaug(hw.acct, p, s, Hw.BASE + 0x8000);
        hw.cpu.eblock(hw.acct, p);
        hw.cpu.etrack(hw.acct, s);
        byte[] oldBlob = new byte[4096];
        byte[] oldPcmd = new byte[128];
        assertThat(hw.cpu.ewb(hw.acct, p, va, 7, oldBlob, oldPcmd, 0)).isEqualTo(SgxStatus.SUCCESS);
        EpcFrame back = hw.fresh();
        assertThat(hw.cpu.eldu(hw.acct, back, Hw.BASE + 0x8000, s, oldBlob, oldPcmd, 0, va, 7, false))
                .isEqualTo(SgxStatus.SUCCESS);
        // evict the same page again into the same slot: a new version
        hw.cpu.eblock(hw.acct, back);
        hw.cpu.etrack(hw.acct, s);
        byte[] newBlob = new byte[4096];
        byte[] newPcmd = new byte[128];
        assertThat(hw.cpu.ewb(hw.acct, back, va, 7, newBlob, newPcmd, 0)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, oldBlob, oldPcmd, 0, va, 7, false))
                .as("replay of the older blob through the reused slot").isEqualTo(SgxStatus.MAC_COMPARE_FAIL);
        assertThat(hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, s, newBlob, newPcmd, 0, va, 7, false))
                .isEqualTo(SgxStatus.SUCCESS);
    }

    @Test
    void secsEvictionAndReload() {
        EpcFrame s = hw.create();
        EpcFrame t = hw.addTcs(s, 0);
        assertThat(hw.init(s)).isEqualTo(SgxStatus.SUCCESS);
        EnclaveControl before = s.secs();
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        byte[] blob = new byte[4096];
        byte[] pcmd = new byte[128];
        hw.cpu.eblock(hw.acct, t);
        hw.cpu.etrack(hw.acct, s);
        assertThat(hw.cpu.ewb(hw.acct, t, va, 0, blob, pcmd, 0)).isEqualTo(SgxStatus.SUCCESS);
        byte[] sblob = new byte[4096];
        byte[] spcmd = new byte[128];
        assertThat(hw.cpu.ewb(hw.acct, s, va, 1, sblob, spcmd, 0)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(s.isValid()).isFalse();
        pf(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE, s, blob, pcmd, 0, va, 0, false)); // SECS not resident
        gp(() -> hw.cpu.eldu(hw.acct, hw.fresh(), 0, s, sblob, spcmd, 0, va, 1, false));  // SECS needs no parent
        EpcFrame s2 = hw.fresh();
        assertThat(hw.cpu.eldu(hw.acct, s2, 0, null, sblob, spcmd, 0, va, 1, false)).isEqualTo(SgxStatus.SUCCESS);
        EnclaveControl after = s2.secs();
        assertThat(after.eid()).isEqualTo(before.eid());
        assertThat(after.mrEnclave()).isEqualTo(before.mrEnclave());
        assertThat(after.mrSigner()).isEqualTo(before.mrSigner());
        assertThat(after.isInitialized()).isTrue();
        EpcFrame t2 = hw.fresh();
        assertThat(hw.cpu.eldu(hw.acct, t2, Hw.BASE, s2, blob, pcmd, 0, va, 0, false)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(t2.epcmEntry().type()).isEqualTo(PageType.TCS);
        assertThat(after.children()).isEqualTo(1);
    }

    @Test
    void uninitialisedSecsIsNotEvicted() {
        EpcFrame s = hw.create();
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        gp(() -> hw.cpu.ewb(hw.acct, s, va, 0, new byte[4096], new byte[128], 0));
    }

    // ---- EAUG, EMODPR, EMODT -------------------------------------------------------------------------

    @Test
    void eaugAddsAPendingZeroPage() {
        EpcFrame s = hw.initialized();
        EpcFrame f = hw.fresh();
        hw.cpu.eaug(hw.acct, f, s, Hw.BASE + 0x4000);
        EpcmEntry e = f.epcmEntry();
        assertThat(e.type()).isEqualTo(PageType.REG);
        assertThat(e.perms()).isEqualTo(SecInfo.R | SecInfo.W);
        assertThat(e.pending()).isTrue();
        assertThat(f.isMaterialized()).isFalse();
        gp(() -> hw.cpu.eaug(hw.acct, hw.fresh(), hw.create(), Hw.BASE)); // not initialised
        gp(() -> hw.cpu.eaug(hw.acct, hw.fresh(), s, Hw.BASE + Hw.SIZE));
        gp(() -> hw.cpu.eaug(hw.acct, hw.fresh(), s, Hw.BASE + 1));
        pf(() -> hw.cpu.eaug(hw.acct, f, s, Hw.BASE + 0x5000));
    }

    @Test
    void sgx1RejectsTheEdmmLeaves() {
        Hw h1 = new Hw(false, 1);
        EpcFrame s = h1.initialized();
        EpcFrame page = h1.add(h1.create(), 0, SecInfo.reg(SecInfo.R), new byte[4096], false);
        ud(() -> h1.cpu.eaug(h1.acct, h1.fresh(), s, Hw.BASE + 0x4000));
        ud(() -> h1.cpu.emodpr(h1.acct, page, SecInfo.reg(SecInfo.R)));
        ud(() -> h1.cpu.emodt(h1.acct, page, SecInfo.of(PageType.TRIM, 0)));
    }

    @Test
    void emodprStatusesAndEffect() {
        EpcFrame s = hw.create();
        EpcFrame rw = hw.add(s, 0x1000, SecInfo.reg(SecInfo.R | SecInfo.W | SecInfo.X), Hw.pattern(1), false);
        EpcFrame tcs = hw.addTcs(s, 0);
        gp(() -> hw.cpu.emodpr(hw.acct, rw, new SecInfo(SecInfo.R))); // enclave not initialised
        assertThat(hw.init(s)).isEqualTo(SgxStatus.SUCCESS);
        gp(() -> hw.cpu.emodpr(hw.acct, rw, new SecInfo(SecInfo.W)));
        gp(() -> hw.cpu.emodpr(hw.acct, rw, SecInfo.reg(SecInfo.R)));  // page type bits are reserved here
        pf(() -> hw.cpu.emodpr(hw.acct, hw.fresh(), new SecInfo(SecInfo.R)));
        pf(() -> hw.cpu.emodpr(hw.acct, tcs, new SecInfo(SecInfo.R)));
        EpcFrame pending = hw.fresh();
        hw.cpu.eaug(hw.acct, pending, s, Hw.BASE + 0x3000);
        assertThat(hw.cpu.emodpr(hw.acct, pending, new SecInfo(SecInfo.R))).isEqualTo(SgxStatus.PAGE_NOT_MODIFIABLE);
        assertThat(hw.cpu.emodpr(hw.acct, rw, new SecInfo(SecInfo.R | SecInfo.W))).isEqualTo(SgxStatus.SUCCESS);
        EpcmEntry e = rw.epcmEntry();
        assertThat(e.perms()).isEqualTo(SecInfo.R | SecInfo.W);
        assertThat(e.pr()).isTrue();
    }

    @Test
    void emodtStatusesAndEffect() {
        EpcFrame s = hw.initialized();
        EpcFrame reg = hw.add(hw.create(), 0, SecInfo.reg(SecInfo.R), new byte[4096], false);
        gp(() -> hw.cpu.emodt(hw.acct, reg, SecInfo.of(PageType.TRIM, 0))); // owner not initialised
        EpcFrame p = hw.fresh();
        hw.cpu.eaug(hw.acct, p, s, Hw.BASE + 0x3000);
        gp(() -> hw.cpu.emodt(hw.acct, p, SecInfo.of(PageType.REG, 0)));
        gp(() -> hw.cpu.emodt(hw.acct, p, SecInfo.of(PageType.TRIM, SecInfo.R)));
        assertThat(hw.cpu.emodt(hw.acct, p, SecInfo.of(PageType.TRIM, 0))).as("PENDING page")
                .isEqualTo(SgxStatus.PAGE_NOT_MODIFIABLE);
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        pf(() -> hw.cpu.emodt(hw.acct, va, SecInfo.of(PageType.TRIM, 0)));
        pf(() -> hw.cpu.emodt(hw.acct, hw.fresh(), SecInfo.of(PageType.TRIM, 0)));
    }
}
