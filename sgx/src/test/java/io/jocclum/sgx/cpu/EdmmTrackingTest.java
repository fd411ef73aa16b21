package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.SgxStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What EMODPR and EMODT record for the EACCEPT that follows (SDM Vol. 3D, 38.5 EMODPR, EMODT and
 * EACCEPT): the enclave's tracking epoch at the modification, so that EACCEPT fails with
 * SGX_NOT_TRACKED until an ETRACK after the modification, however many ETRACKs came before it; and
 * that EMODPR only ever clears permission bits (EPCM.R/W/X := EPCM.R/W/X AND SECINFO.R/W/X).
 */
class EdmmTrackingTest {
    private static final long RW = SecInfo.R | SecInfo.W;

    private final Hw hw = new Hw();
    private final EpcFrame secs = hw.initialized();
    private final EnclaveControl self = secs.secs();

    /** An accepted RW page at {@code offset}, the enclave's epoch then advanced by {@code tracks} ETRACKs. */
    private EpcFrame acceptedPage(long offset, int tracks) {
        EpcFrame f = hw.fresh();
        hw.cpu.eaug(hw.acct, f, secs, Hw.BASE + offset);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + offset, SecInfo.of(PageType.REG, RW, SecInfo.PENDING)))
                .isEqualTo(SgxStatus.SUCCESS.code());
        for (int i = 0; i < tracks; i++) {
            assertThat(hw.cpu.etrack(hw.acct, secs)).isEqualTo(SgxStatus.SUCCESS);
        }
        return f;
    }

    @Test
    void eacceptAfterEmodprNeedsAnEtrackAfterTheModificationNotBefore() {
        EpcFrame f = acceptedPage(0x4000, 3);
        assertThat(hw.cpu.emodpr(hw.acct, f, new SecInfo(SecInfo.R))).isEqualTo(SgxStatus.SUCCESS);
        SecInfo pr = SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, pr))
                .as("the three ETRACKs before EMODPR do not count").isEqualTo(SgxStatus.NOT_TRACKED.code());
        assertThat(f.epcmEntry().pr()).isTrue();
        hw.cpu.etrack(hw.acct, secs);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, pr)).isEqualTo(SgxStatus.SUCCESS.code());
        assertThat(f.epcmEntry().pr()).isFalse();
    }

    @Test
    void eacceptAfterEmodtNeedsAnEtrackAfterTheModificationNotBefore() {
        EpcFrame f = acceptedPage(0x4000, 2);
        assertThat(hw.cpu.emodt(hw.acct, f, SecInfo.of(PageType.TRIM, 0))).isEqualTo(SgxStatus.SUCCESS);
        SecInfo trim = SecInfo.of(PageType.TRIM, 0, SecInfo.MODIFIED);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, trim))
                .as("the two ETRACKs before EMODT do not count").isEqualTo(SgxStatus.NOT_TRACKED.code());
        assertThat(f.epcmEntry().modified()).isTrue();
        hw.cpu.etrack(hw.acct, secs);
        assertThat(hw.cpu.eaccept(self, f, Hw.BASE + 0x4000, trim)).isEqualTo(SgxStatus.SUCCESS.code());
        assertThat(f.epcmEntry().modified()).isFalse();
        assertThat(f.epcmEntry().type()).isEqualTo(PageType.TRIM);
    }

    @Test
    void emodprNeverAddsAPermission() {
        EpcFrame r = acceptedPage(0x4000, 0);
        assertThat(hw.cpu.emodpr(hw.acct, r, new SecInfo(SecInfo.R))).isEqualTo(SgxStatus.SUCCESS);
        hw.cpu.etrack(hw.acct, secs);
        assertThat(hw.cpu.eaccept(self, r, Hw.BASE + 0x4000, SecInfo.of(PageType.REG, SecInfo.R, SecInfo.PR)))
                .isEqualTo(SgxStatus.SUCCESS.code());
        // an R page restricted to RWX stays R: EMODPR intersects, it never extends (that is EMODPE)
        assertThat(hw.cpu.emodpr(hw.acct, r, new SecInfo(SecInfo.PERM_MASK))).isEqualTo(SgxStatus.SUCCESS);
        assertThat(r.epcmEntry().perms()).isEqualTo(SecInfo.R);
        assertThat(r.epcmEntry().pr()).isTrue();

        EpcFrame rw = acceptedPage(0x5000, 0);
        assertThat(hw.cpu.emodpr(hw.acct, rw, new SecInfo(SecInfo.R | SecInfo.X))).isEqualTo(SgxStatus.SUCCESS);
        assertThat(rw.epcmEntry().perms()).as("RW restricted to R-X").isEqualTo(SecInfo.R);
    }

    /** SDM EMODT: a PT_TCS page may only become PT_TRIM (how a thread's TCS is removed); anything else is #PF. */
    @Test
    void aTcsPageCanBeTrimmedButNotMadeATcsAgain() {
        EpcFrame s = hw.create();
        EpcFrame tcs = hw.addTcs(s, 0);
        assertThat(hw.init(s)).isEqualTo(SgxStatus.SUCCESS);
        assertThatThrownBy(() -> hw.cpu.emodt(hw.acct, tcs, SecInfo.of(PageType.TCS, 0)))
                .isInstanceOfSatisfying(EnclsException.class, e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.PF));
        assertThat(hw.cpu.emodt(hw.acct, tcs, SecInfo.of(PageType.TRIM, 0))).isEqualTo(SgxStatus.SUCCESS);
        assertThat(tcs.epcmEntry().type()).isEqualTo(PageType.TRIM);
        assertThat(tcs.epcmEntry().modified()).isTrue();
    }

    @Test
    void elduRefusesANegativePcmdOffset() {
        EpcFrame page = acceptedPage(0x8000, 0);
        hw.cpu.eblock(hw.acct, page);
        hw.cpu.etrack(hw.acct, secs);
        EpcFrame va = hw.fresh();
        hw.cpu.epa(hw.acct, va);
        byte[] blob = new byte[4096];
        byte[] pcmd = new byte[256];
        assertThat(hw.cpu.ewb(hw.acct, page, va, 0, blob, pcmd, 128)).isEqualTo(SgxStatus.SUCCESS);
        assertThatThrownBy(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, secs, blob, pcmd, -1, va, 0, false))
                .isInstanceOfSatisfying(EnclsException.class, e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.GP));
        assertThatThrownBy(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, secs, blob, pcmd, 129, va, 0, false))
                .isInstanceOfSatisfying(EnclsException.class, e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.GP));
        byte[] shortPcmd = java.util.Arrays.copyOfRange(pcmd, 128, 255);
        assertThatThrownBy(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, secs, blob, shortPcmd, 0, va, 0, false))
                .as("a PCMD one byte short of its 128").isInstanceOfSatisfying(EnclsException.class,
                        e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.GP));
        byte[] vaPcmd = pcmd.clone();
        Pcmd.write(vaPcmd, 128, SecInfo.of(PageType.VA, 0).flags(), self.eid());
        assertThatThrownBy(() -> hw.cpu.eldu(hw.acct, hw.fresh(), Hw.BASE + 0x8000, secs, blob, vaPcmd, 128, va, 0, false))
                .as("a PCMD of a VA page given a parent SECS").isInstanceOfSatisfying(EnclsException.class,
                        e -> assertThat(e.trap()).isEqualTo(EnclsException.Trap.GP));
        EpcFrame back = hw.fresh();
        assertThat(hw.cpu.eldu(hw.acct, back, Hw.BASE + 0x8000, secs, blob, pcmd, 128, va, 0, false))
                .as("a PCMD ending exactly at the end of its buffer").isEqualTo(SgxStatus.SUCCESS);
        assertThat(back.epcmEntry().perms()).isEqualTo(RW);
    }
}
