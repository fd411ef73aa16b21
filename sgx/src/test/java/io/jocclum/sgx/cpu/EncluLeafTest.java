package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cost.CostEvent;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** EACCEPT, EACCEPTCOPY and EMODPE against the EPCM (SDM Vol. 3D, chapter 38, ENCLU leaves). */
class EncluLeafTest {
    private final Hw hw = new Hw();
    private final EpcFrame secs = hw.initialized();
    private final EnclaveControl self = secs.secs();

    private static final long RW = SecInfo.R | SecInfo.W;

    private EpcFrame eaug(long offset) {
        EpcFrame f = hw.fresh();
        hw.cpu.eaug(hw.acct, f, secs, Hw.BASE + offset);
        return f;
    }

    private static void fault(EnclaveFault.Kind kind, Runnable r) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(EnclaveFault.class, f -> assertThat(f.kind()).isEqualTo(kind));
    }

    @Test
    void eacceptOfAnEaugedPage() {
        EpcFrame f = eaug(0x4000);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PENDING)))
                .as("permissions must match EAUG's RW").isEqualTo(SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code());
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x5000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)))
                .as("wrong linear address").isEqualTo(SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code());
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)))
                .isEqualTo(SgxStatus.SUCCESS.code());
        assertThat(f.epcmEntry().pending()).isFalse();
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)))
                .as("already accepted").isEqualTo(SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code());
        assertThat(self.account().count(CostEvent.EACCEPT)).isEqualTo(4);
    }

    @Test
    void eacceptChecksItsOperands() {
        EpcFrame f = eaug(0x4000);
        fault(EnclaveFault.Kind.GENERAL_PROTECTION,
                () -> hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW)));   // neither PENDING nor PR
        fault(EnclaveFault.Kind.GENERAL_PROTECTION,
                () -> hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.TRIM, 0)));   // TRIM without MODIFIED
        fault(EnclaveFault.Kind.GENERAL_PROTECTION,
                () -> hw.cpu.eaccept(self, f, Hw.BASE + 0x4001, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)));
        fault(EnclaveFault.Kind.GENERAL_PROTECTION,
                () -> hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.of(PageType.REG, RW, SecInfo.PENDING).flags() | (1L << 40))));
        EnclaveControl other = hw.initialized().secs();
        fault(EnclaveFault.Kind.PAGE_FAULT,
                () -> hw.cpu.eaccept(other, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)));
        hw.cpu.eblock(hw.acct, f);
        fault(EnclaveFault.Kind.PAGE_FAULT,
                () -> hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)));
    }

    @Test
    void eacceptAfterEmodprNeedsTracking() {
        EpcFrame f = eaug(0x4000);
        hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING));
        assertThat(hw.cpu.emodpr(hw.acct, f, new SecInfo(SecInfo.R))).isEqualTo(SgxStatus.SUCCESS);
        SecInfo pr = SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, pr)).isEqualTo(SgxStatus.NOT_TRACKED.code());
        hw.cpu.etrack(hw.acct, secs);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, pr)).isEqualTo(SgxStatus.SUCCESS.code());
        EpcmEntry e = f.epcmEntry();
        assertThat(e.pr()).isFalse();
        assertThat(e.perms()).isEqualTo(SecInfo.R);
        assertThat(f.pinForAccess(self.eid(), Hw.BASE + 0x4000, false)).isTrue();
        f.unpin();
        assertThatThrownBy(() -> f.pinForAccess(self.eid(), Hw.BASE + 0x4000, true))
                .isInstanceOfSatisfying(EnclaveFault.class, x -> assertThat(x.kind()).isEqualTo(EnclaveFault.Kind.PAGE_FAULT));
    }

    @Test
    void trimThenAcceptThenRemove() {
        EpcFrame f = eaug(0x4000);
        hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING));
        assertThat(hw.cpu.emodt(hw.acct, f, SecInfo.of(PageType.TRIM, 0))).isEqualTo(SgxStatus.SUCCESS);
        SecInfo trim = SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, trim)).isEqualTo(SgxStatus.NOT_TRACKED.code());
        // before EACCEPT, EMODPR reports the page as not modifiable (what REMOVE_PAGES probes)
        assertThat(hw.cpu.emodpr(hw.acct, f, new SecInfo(SecInfo.PERM_MASK))).isEqualTo(SgxStatus.PAGE_NOT_MODIFIABLE);
        hw.cpu.etrack(hw.acct, secs);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, trim)).isEqualTo(SgxStatus.SUCCESS.code());
        assertThatThrownBy(() -> hw.cpu.emodpr(hw.acct, f, new SecInfo(SecInfo.PERM_MASK)))
                .isInstanceOfSatisfying(EnclsException.class, x -> assertThat(x.trap()).isEqualTo(EnclsException.Trap.PF));
        int before = self.children();
        assertThat(hw.cpu.eremove(hw.acct, f)).isEqualTo(SgxStatus.SUCCESS);
        assertThat(self.children()).isEqualTo(before - 1);
    }

    @Test
    void emodtToTcsChecksTheTcsAtEaccept() {
        EpcFrame bad = eaug(0x4000);
        hw.cpu.eaccept(self, bad, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING));
        hw.cpu.emodt(hw.acct, bad, SecInfo.of(PageType.TCS, 0));
        hw.cpu.etrack(hw.acct, secs);
        fault(EnclaveFault.Kind.GENERAL_PROTECTION,
                () -> hw.cpu.eaccept(self, bad, Hw.BASE + 0x4000, SecInfo.of(PageType.TCS, 0, SecInfo.MODIFIED)));

        EpcFrame good = eaug(0x5000);
        assertThat(hw.cpu.eacceptcopy(self, good, Hw.BASE + 0x5000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING),
                MemorySegment.ofArray(Tcs.image(0x1000, 1, 0x2000, 0, 0)))).isEqualTo(0);
        hw.cpu.emodt(hw.acct, good, SecInfo.of(PageType.TCS, 0));
        hw.cpu.etrack(hw.acct, secs);
        assertThat(hw.cpu.eaccept(self, good, Hw.BASE + 0x5000, SecInfo.of(PageType.TCS, 0, SecInfo.MODIFIED)))
                .isEqualTo(SgxStatus.SUCCESS.code());
        assertThat(good.epcmEntry().type()).isEqualTo(PageType.TCS);
    }

    @Test
    void eacceptcopyFillsAPendingPage() {
        EpcFrame f = eaug(0x4000);
        byte[] data = Hw.pattern(5);
        assertThat(hw.cpu.eacceptcopy(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, SecInfo.R | SecInfo.X, SecInfo.PENDING),
                MemorySegment.ofArray(data))).isEqualTo(SgxStatus.SUCCESS.code());
        EpcmEntry e = f.epcmEntry();
        assertThat(e.pending()).isFalse();
        assertThat(e.perms()).isEqualTo(SecInfo.R | SecInfo.X);
        assertThat(f.contentOrNull().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
        assertThat(hw.cpu.eacceptcopy(self, f, Hw.BASE + 0x4000, SecInfo.reg(SecInfo.R), MemorySegment.ofArray(data)))
                .as("no longer pending").isEqualTo(SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code());
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> hw.cpu.eacceptcopy(self, eaug(0x6000), Hw.BASE + 0x6000,
                SecInfo.of(PageType.TCS, 0), MemorySegment.ofArray(data)));
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> hw.cpu.eacceptcopy(self, eaug(0x7000), Hw.BASE + 0x7000,
                SecInfo.reg(SecInfo.W), MemorySegment.ofArray(data)));
    }

    @Test
    void emodpeExtendsPermissions() {
        EpcFrame f = eaug(0x4000);
        fault(EnclaveFault.Kind.PAGE_FAULT, () -> hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.X)));
        hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING));
        hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.X));
        assertThat(f.epcmEntry().perms()).isEqualTo(SecInfo.R | SecInfo.W | SecInfo.X);
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.W)));
        fault(EnclaveFault.Kind.GENERAL_PROTECTION,
                () -> hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.R | SecInfo.PENDING)));
    }

    /** The SGX SDK's EMM passes PT_REG | permissions to EMODPE; PAGE_TYPE is not a reserved field. */
    @Test
    void emodpeAcceptsTheSdksSecinfoWithPageTypeReg() {
        EpcFrame f = eaug(0x4000);
        hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING));
        hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, SecInfo.reg(SecInfo.R | SecInfo.X));
        assertThat(f.epcmEntry().perms()).isEqualTo(SecInfo.R | SecInfo.W | SecInfo.X);
        assertThat(f.epcmEntry().type()).isEqualTo(PageType.REG);
        fault(EnclaveFault.Kind.GENERAL_PROTECTION, () -> hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.R | (1L << 16))));
    }

    @Test
    void sgx1RaisesUd() {
        Hw h1 = new Hw(false, 1);
        EpcFrame s = h1.initialized();
        EpcFrame page = h1.add(h1.create(), 0, SecInfo.reg(SecInfo.R), new byte[4096], false);
        fault(EnclaveFault.Kind.INVALID_OPCODE, () -> h1.cpu.eaccept(s.secs(), page, Hw.BASE, SecInfo.reg(SecInfo.R)));
        fault(EnclaveFault.Kind.INVALID_OPCODE, () -> h1.cpu.eacceptcopy(s.secs(), page, Hw.BASE, SecInfo.reg(SecInfo.R),
                MemorySegment.ofArray(new byte[4096])));
        fault(EnclaveFault.Kind.INVALID_OPCODE, () -> h1.cpu.emodpe(s.secs(), page, Hw.BASE, new SecInfo(SecInfo.X)));
    }

    @Test
    void accessChecksFollowTheEpcm() {
        EpcFrame pending = eaug(0x4000);
        assertThatThrownBy(() -> pending.pinForAccess(self.eid(), Hw.BASE + 0x4010, false))
                .isInstanceOfSatisfying(EnclaveFault.class, x -> {
                    assertThat(x.kind()).isEqualTo(EnclaveFault.Kind.PAGE_FAULT);
                    assertThat(x.address()).isEqualTo(Hw.BASE + 0x4010);
                    assertThat(x.getMessage()).contains("PENDING");
                });
        assertThat(pending.pins()).as("a failed access holds no pin").isZero();
        assertThat(pending.pinForAccess(self.eid() + 1, Hw.BASE + 0x4000, false)).as("other enclave").isFalse();
        assertThat(pending.pinForAccess(self.eid(), Hw.BASE + 0x5000, false)).as("other address").isFalse();
    }

    /** Each EDMM leaf charges its own cost event once per execution (the simulated cycles depend on it). */
    @Test
    void everyEdmmLeafIsChargedOnce() {
        io.jocclum.sgx.cost.CostAccount acct = hw.acct;
        io.jocclum.sgx.cost.CostAccount enclave = self.account();
        long aug = acct.count(CostEvent.EAUG);
        long children = self.children();
        EpcFrame f = eaug(0x4000);
        assertThat(acct.count(CostEvent.EAUG) - aug).isEqualTo(1);
        assertThat(self.children()).as("an EAUGed page is a child of its SECS").isEqualTo(children + 1);
        long accept = enclave.count(CostEvent.EACCEPT);
        hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING));
        assertThat(enclave.count(CostEvent.EACCEPT) - accept).isEqualTo(1);
        long pe = enclave.count(CostEvent.EMODPE);
        hw.cpu.emodpe(self, f, Hw.BASE + 0x4000, new SecInfo(SecInfo.X));
        assertThat(enclave.count(CostEvent.EMODPE) - pe).isEqualTo(1);
        long pr = acct.count(CostEvent.EMODPR);
        hw.cpu.emodpr(hw.acct, f, new SecInfo(SecInfo.R));
        assertThat(acct.count(CostEvent.EMODPR) - pr).isEqualTo(1);
        EpcFrame g = eaug(0x5000);
        long copy = enclave.count(CostEvent.EACCEPTCOPY);
        assertThat(hw.cpu.eacceptcopy(self, g, Hw.BASE + 0x5000, SecInfo.of(PageType.REG, RW, SecInfo.PENDING),
                MemorySegment.ofArray(new byte[4096]))).isEqualTo(SgxStatus.SUCCESS.code());
        assertThat(enclave.count(CostEvent.EACCEPTCOPY) - copy).isEqualTo(1);
        long t = acct.count(CostEvent.EMODT);
        hw.cpu.emodt(hw.acct, g, SecInfo.of(PageType.TRIM, 0));
        assertThat(acct.count(CostEvent.EMODT) - t).isEqualTo(1);
    }
}
