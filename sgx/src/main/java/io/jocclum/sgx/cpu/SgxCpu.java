package io.jocclum.sgx.cpu;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import io.jocclum.sgx.arch.PageType;
import io.jocclum.sgx.arch.Pages;
import io.jocclum.sgx.arch.Pcmd;
import io.jocclum.sgx.arch.Report;
import io.jocclum.sgx.arch.SecInfo;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.arch.SgxStatus;
import io.jocclum.sgx.arch.TargetInfo;
import io.jocclum.sgx.arch.Tcs;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.cost.CostEvent;
import io.jocclum.sgx.crypto.AesCmac;
import io.jocclum.sgx.crypto.KeyDerivation;
import io.jocclum.sgx.crypto.PagingCrypto;
import io.jocclum.sgx.crypto.PlatformKeys;
import io.jocclum.sgx.measure.SigStruct;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static io.jocclum.sgx.cpu.EpcFrame.EPCM_MODIFIED;
import static io.jocclum.sgx.cpu.EpcFrame.EPCM_PENDING;
import static io.jocclum.sgx.cpu.EpcFrame.EPCM_PR;
import static io.jocclum.sgx.cpu.EpcFrame.EPCM_R;
import static io.jocclum.sgx.cpu.EpcFrame.EPCM_VALID;
import static io.jocclum.sgx.cpu.EpcFrame.EPCM_W;
import static io.jocclum.sgx.cpu.EpcFrame.SECINFO_BITS;
import static io.jocclum.sgx.cpu.EpcFrame.TYPE_MASK;
import static io.jocclum.sgx.cpu.EpcFrame.TYPE_SHIFT;

/**
 * The SGX leaves of the simulated processor (SDM Vol. 3D, chapters 37-38, the "Operation" sections).
 *
 * <p>Design: each ENCLS leaf takes its operands explicitly (the EPC frames, the linear address, the
 * SECINFO, source and destination buffers instead of a PAGEINFO in memory), checks the SDM's
 * preconditions in the SDM's order where it matters, and either faults ({@link EnclsException}
 * with #GP, #PF or #UD), returns an {@link SgxStatus}, or performs the operation. ENCLS leaves charge
 * the {@link CostAccount} passed by the kernel (the enclave on whose behalf it runs). The ENCLU leaves
 * (EACCEPT, EACCEPTCOPY, EMODPE, EREPORT, EGETKEY) are called by the in-enclave access path with the
 * operand frame already translated and pinned; they fault with {@link EnclaveFault} and charge the
 * enclave's own account. SGX2 leaves raise #UD on an SGX1 CPU.
 *
 * <p>Model choices (documented in docs/sgx.md): launch control is flexible (any signer may EINIT, no
 * EINITTOKEN is checked); EINIT never reports UNMASKED_EVENT; VA pages are never evicted; a SECS is
 * evicted only after EINIT; ETRACK never reports PREV_TRK_INCMPL; concurrent leaves on one page are
 * serialised instead of failing with EPC_PAGE_CONFLICT; EREMOVE of a page with an access in flight
 * reports ENCLAVE_ACT.
 *
 * <p>Thread-safe.
 */
public final class SgxCpu {
    private final Epc epc;
    private final CpuFeatures features;
    private final PlatformKeys keys;
    private final PagingCrypto paging;
    private final byte[] reportKeyId;
    /** Source of EWB versions: never 0 (a cleared VA slot), never reused. */
    private final AtomicLong versions = new AtomicLong(1);
    private final AtomicLong eids = new AtomicLong(1);

    public SgxCpu(Epc epc, CpuFeatures features, PlatformKeys keys) {
        this.epc = epc;
        this.features = features;
        this.keys = keys;
        this.paging = new PagingCrypto(keys.pagingKey());
        this.reportKeyId = keys.reportKeyId();
    }

    public Epc epc() {
        return epc;
    }

    public CpuFeatures features() {
        return features;
    }

    public boolean sgx2() {
        return features.sgx2();
    }

    // =============================================================================================
    // ENCLS
    // =============================================================================================

    /**
     * ECREATE: makes {@code target} the SECS of a new enclave described by the 4096-byte {@code secs}.
     * Returns the new SECS state.
     */
    public EnclaveControl ecreate(CostAccount acct, EpcFrame target, byte[] secsBytes, SecInfo secInfo) {
        acct.charge(CostEvent.ECREATE);
        if (secsBytes.length != Secs.SIZE) {
            throw gp("ECREATE", "SECS must be 4096 bytes");
        }
        if (secInfo.reservedBitsSet()) {
            throw gp("ECREATE", "reserved SECINFO bits set");
        }
        Secs s = Secs.parse(secsBytes);
        String bad = checkSecs(s, secsBytes);
        if (bad != null) {
            throw gp("ECREATE", bad);
        }
        synchronized (target) {
            if (target.isValid()) {
                throw pf("ECREATE", "target EPC page is already valid");
            }
            EnclaveControl c = new EnclaveControl(eids.getAndIncrement(), s, acct);
            target.setSecs(c);
            target.setEpcm(EPCM_VALID | (PageType.SECS.encoding() << TYPE_SHIFT), 0, null);
            return c;
        }
    }

    private String checkSecs(Secs s, byte[] raw) {
        if (!Secs.reservedFieldsZero(raw)) {
            return "reserved SECS fields are not zero";
        }
        long size = s.size();
        if (size < 2 * Pages.SIZE || Long.bitCount(size) != 1) {
            return "SECS.SIZE 0x" + Long.toHexString(size) + " is not a power of two of at least two pages";
        }
        if ((s.baseAddr() & (size - 1)) != 0) {
            return "SECS.BASEADDR is not naturally aligned to SECS.SIZE";
        }
        Attributes a = s.attributes();
        if (a.has(Attributes.MODE64BIT)) {
            if (features.maxEnclaveSize64Log2() < 63 && size > (1L << features.maxEnclaveSize64Log2())) {
                return "SECS.SIZE exceeds the 64-bit maximum enclave size";
            }
            long top = s.baseAddr() + size - 1;
            if ((s.baseAddr() >>> 47) != 0 || (top >>> 47) != 0) {
                return "ELRANGE is not canonical (must lie below 2^47)";
            }
        } else if (s.baseAddr() + size > (1L << 32)) {
            return "a 32-bit enclave must lie below 4 GiB";
        }
        if (a.has(Attributes.INIT)) {
            return "ATTRIBUTES.INIT must be 0 at ECREATE";
        }
        if ((a.flags() & ~features.allowedAttributes()) != 0) {
            return "reserved ATTRIBUTES bits 0x" + Long.toHexString(a.flags() & ~features.allowedAttributes());
        }
        if ((a.xfrm() & 3) != 3) {
            return "XFRM must enable x87 and SSE (bits 0 and 1)";
        }
        if ((a.xfrm() & ~features.allowedXfrm()) != 0) {
            return "XFRM 0x" + Long.toHexString(a.xfrm()) + " is not a subset of XCR0 0x" + Long.toHexString(features.allowedXfrm());
        }
        if (((a.xfrm() >>> 3) & 1) != ((a.xfrm() >>> 4) & 1)) {
            return "XFRM BNDREGS and BNDCSR must be equal";
        }
        if ((s.miscSelect() & ~features.allowedMiscSelect()) != 0) {
            return "reserved MISCSELECT bits";
        }
        if (s.ssaFrameSize() < requiredSsaPages(a.xfrm())) {
            return "SSAFRAMESIZE " + s.ssaFrameSize() + " is smaller than the " + requiredSsaPages(a.xfrm())
                    + " page(s) XFRM needs";
        }
        boolean kssData = !Arrays.equals(s.configId(), new byte[64]) || s.configSvn() != 0;
        if (kssData && !a.has(Attributes.KSS)) {
            return "CONFIGID/CONFIGSVN need ATTRIBUTES.KSS";
        }
        return null;
    }

    /** SSA pages XSAVE needs: one page holds GPRs, legacy and AVX state; AVX-512 state needs a second page. */
    static int requiredSsaPages(long xfrm) {
        return (xfrm & 0xE0) != 0 ? 2 : 1;
    }

    /** EADD: copies {@code src} (4096 bytes) into {@code target} as a page of the enclave of {@code secsFrame}. */
    public void eadd(CostAccount acct, EpcFrame target, EpcFrame secsFrame, long linaddr, SecInfo secInfo,
                     MemorySegment src) {
        acct.charge(CostEvent.EADD);
        if (secInfo.reservedBitsSet() || (secInfo.flags() & (SecInfo.PENDING | SecInfo.MODIFIED | SecInfo.PR)) != 0) {
            throw gp("EADD", "reserved SECINFO bits set: " + secInfo);
        }
        int type = secInfo.pageTypeEncoding();
        if (type != PageType.REG.encoding() && type != PageType.TCS.encoding()) {
            throw gp("EADD", "SECINFO page type " + type + " cannot be EADDed");
        }
        if (!Pages.isAligned(linaddr)) {
            throw gp("EADD", "LINADDR 0x" + Long.toHexString(linaddr) + " is not page aligned");
        }
        if (src.byteSize() < Pages.SIZE) {
            throw gp("EADD", "source page shorter than 4096 bytes");
        }
        EnclaveControl c = secsOf("EADD", secsFrame);
        if (c.isInitialized()) {
            throw gp("EADD", "the enclave is already initialised");
        }
        if (!c.contains(linaddr)) {
            throw gp("EADD", "LINADDR 0x" + Long.toHexString(linaddr) + " is outside ELRANGE");
        }
        long perms = secInfo.perms();
        if (type == PageType.TCS.encoding()) {
            byte[] tcs = src.asSlice(0, Pages.SIZE).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            String bad = Tcs.check(tcs);
            if (bad != null) {
                throw gp("EADD", bad);
            }
            perms = 0; // the CPU silently clears a TCS's permissions
        }
        synchronized (target) {
            if (target.isValid()) {
                throw pf("EADD", "target EPC page is already valid");
            }
            target.storeContent(src);
            target.setEpcm(EPCM_VALID | (type << TYPE_SHIFT) | (int) perms, linaddr, c);
        }
        synchronized (c) {
            c.addChild();
            c.measurement().eadd(linaddr - c.base(), secInfo);
        }
    }

    /** EEXTEND: measures the 256 bytes at {@code offset} in {@code page}. */
    public void eextend(CostAccount acct, EpcFrame secsFrame, EpcFrame page, int offset) {
        acct.charge(CostEvent.EEXTEND);
        if (offset < 0 || offset >= Pages.SIZE || (offset & 0xFF) != 0) {
            throw gp("EEXTEND", "chunk offset " + offset + " is not 256-byte aligned inside the page");
        }
        EnclaveControl c = secsOf("EEXTEND", secsFrame);
        byte[] chunk = new byte[256];
        long lin;
        synchronized (page) {
            int t = page.pageTypeBits();
            if (!page.isValid() || page.ownerControl() != c
                    || (t != PageType.REG.encoding() && t != PageType.TCS.encoding())) {
                throw pf("EEXTEND", "page is not a REG/TCS page of this enclave");
            }
            MemorySegment content = page.contentOrNull();
            if (content != null) {
                MemorySegment.copy(content, java.lang.foreign.ValueLayout.JAVA_BYTE, offset, chunk, 0, 256);
            }
            lin = page.linaddr();
        }
        synchronized (c) {
            if (c.isInitialized()) {
                throw gp("EEXTEND", "the enclave is already initialised");
            }
            c.measurement().eextend(lin - c.base() + offset, chunk, 0);
        }
    }

    /** EINIT: verifies {@code sigstruct} against the enclave and marks it initialised. */
    public SgxStatus einit(CostAccount acct, byte[] sigstruct, EpcFrame secsFrame, byte[] einitToken) {
        acct.charge(CostEvent.EINIT);
        EnclaveControl c = secsOf("EINIT", secsFrame);
        synchronized (c) {
            if (c.isInitialized()) {
                throw gp("EINIT", "the enclave is already initialised");
            }
            SigStruct sig;
            try {
                sig = SigStruct.parse(sigstruct);
            } catch (IllegalArgumentException e) {
                return SgxStatus.INVALID_SIG_STRUCT;
            }
            if (!sig.verify()) {
                return SgxStatus.INVALID_SIGNATURE;
            }
            Attributes mask = sig.attributeMask();
            Attributes mine = c.attributes();
            if (((sig.attributes().flags() ^ mine.flags()) & mask.flags()) != 0
                    || ((sig.attributes().xfrm() ^ mine.xfrm()) & mask.xfrm()) != 0
                    || ((sig.miscSelect() ^ c.miscSelect()) & sig.miscMask()) != 0) {
                return SgxStatus.INVALID_ATTRIBUTE;
            }
            if (!Arrays.equals(c.measurement().peek(), sig.enclaveHash())) {
                return SgxStatus.INVALID_MEASUREMENT;
            }
            byte[] mr = c.measurement().finish();
            boolean kss = mine.has(Attributes.KSS);
            c.initialize(mr, sig.mrSigner(), sig.isvProdId(), sig.isvSvn(),
                    kss ? sig.isvFamilyId() : new byte[16], kss ? sig.isvExtProdId() : new byte[16]);
            return SgxStatus.SUCCESS;
        }
    }

    /** EREMOVE: invalidates {@code page}. A SECS with children reports CHILD_PRESENT. */
    public SgxStatus eremove(CostAccount acct, EpcFrame page) {
        acct.charge(CostEvent.EREMOVE);
        synchronized (page) {
            if (!page.isValid()) {
                return SgxStatus.SUCCESS;
            }
            int t = page.pageTypeBits();
            if (t == PageType.SECS.encoding()) {
                if (page.secsControl().children() > 0) {
                    return SgxStatus.CHILD_PRESENT;
                }
                page.invalidate();
                return SgxStatus.SUCCESS;
            }
            if (t == PageType.VA.encoding()) {
                page.invalidate();
                return SgxStatus.SUCCESS;
            }
            if (!page.tryExclusive()) {
                return SgxStatus.ENCLAVE_ACT;
            }
            try {
                EnclaveControl owner = page.ownerControl();
                page.invalidate();
                if (owner != null) {
                    owner.removeChild();
                }
            } finally {
                page.releaseExclusive();
            }
            return SgxStatus.SUCCESS;
        }
    }

    /** EPA: makes {@code target} a version array page with 512 empty slots. */
    public void epa(CostAccount acct, EpcFrame target) {
        acct.charge(CostEvent.EPA);
        synchronized (target) {
            if (target.isValid()) {
                throw pf("EPA", "target EPC page is already valid");
            }
            target.dropContent();
            target.setVaSlots(new long[512]);
            target.setEpcm(EPCM_VALID | (PageType.VA.encoding() << TYPE_SHIFT), 0, null);
        }
    }

    /** EBLOCK: marks {@code page} blocked; accesses fault from now on. */
    public SgxStatus eblock(CostAccount acct, EpcFrame page) {
        acct.charge(CostEvent.EBLOCK);
        synchronized (page) {
            if (!page.isValid()) {
                return SgxStatus.PG_INVLD;
            }
            int t = page.pageTypeBits();
            if (t == PageType.SECS.encoding()) {
                return SgxStatus.PG_IS_SECS;
            }
            if (t == PageType.VA.encoding()) {
                return SgxStatus.NOTBLOCKABLE;
            }
            if (!page.block(page.ownerControl().epoch())) {
                return SgxStatus.BLKSTATE;
            }
            return SgxStatus.SUCCESS;
        }
    }

    /** ETRACK: starts a new tracking epoch for the enclave of {@code secsFrame}. */
    public SgxStatus etrack(CostAccount acct, EpcFrame secsFrame) {
        acct.charge(CostEvent.ETRACK);
        EnclaveControl c = secsOf("ETRACK", secsFrame);
        c.bumpEpoch();
        return SgxStatus.SUCCESS;
    }

    /**
     * The kernel's IPI to the CPUs that may run the enclave owning {@code page}: waits until no
     * in-flight access holds a translation of it. Charges an AEX and ERESUME to the enclave when a
     * thread had to be kicked out.
     */
    public void ipi(CostAccount acct, EpcFrame page) {
        if (page.awaitNoPins()) {
            acct.charge(CostEvent.AEX);
            acct.charge(CostEvent.ERESUME);
        }
    }

    /**
     * EWB: evicts {@code page}, writing its encrypted contents to {@code contents[0, 4096)} and its
     * PCMD to {@code pcmd[pcmdOff, pcmdOff+128)}; the version goes into slot {@code slot} of
     * {@code va}. Child pages must be blocked and tracked. A slot that already holds a version is a
     * warning, as in the SDM: the page is written out, the slot overwritten, and the result is
     * VA_SLOT_OCCUPIED (RFLAGS.CF) instead of SUCCESS (the older blob can then never be loaded).
     */
    public SgxStatus ewb(CostAccount acct, EpcFrame page, EpcFrame va, int slot, byte[] contents, byte[] pcmd,
                         int pcmdOff) {
        return ewb(acct, page, va, slot, MemorySegment.ofArray(contents), MemorySegment.ofArray(pcmd), pcmdOff);
    }

    /** {@link #ewb(CostAccount, EpcFrame, EpcFrame, int, byte[], byte[], int)} into backing pages as segments. */
    public SgxStatus ewb(CostAccount acct, EpcFrame page, EpcFrame va, int slot, MemorySegment contents,
                         MemorySegment pcmd, long pcmdOff) {
        return ewb(acct, page, va, slot, contents, 0, pcmd, pcmdOff);
    }

    /**
     * {@link #ewb(CostAccount, EpcFrame, EpcFrame, int, byte[], byte[], int)} into the backing page at
     * {@code contents[contentsOff, contentsOff+4096)} (a page inside a larger mapping).
     */
    public SgxStatus ewb(CostAccount acct, EpcFrame page, EpcFrame va, int slot, MemorySegment contents,
                         long contentsOff, MemorySegment pcmd, long pcmdOff) {
        acct.charge(CostEvent.EWB);
        if (slot < 0 || slot >= 512) {
            throw gp("EWB", "VA slot " + slot + " out of range");
        }
        if (!fits(contents, contentsOff, Pages.SIZE) || !fits(pcmd, pcmdOff, Pcmd.SIZE)) {
            throw gp("EWB", "contents or PCMD buffer too small");
        }
        boolean occupied;
        synchronized (page) {
            if (!page.isValid()) {
                throw pf("EWB", "page is not valid");
            }
            int t = page.pageTypeBits();
            EnclaveControl secs = null;
            if (t == PageType.VA.encoding()) {
                throw gp("EWB", "eviction of VA pages is not modelled (Linux never evicts them)");
            } else if (t == PageType.SECS.encoding()) {
                secs = page.secsControl();
                if (secs.children() > 0) {
                    return SgxStatus.CHILD_PRESENT;
                }
                if (!secs.isInitialized()) {
                    throw gp("EWB", "the model evicts a SECS only after EINIT");
                }
            } else {
                if (!page.isBlocked()) {
                    return SgxStatus.PAGE_NOT_BLOCKED;
                }
                EnclaveControl owner = page.ownerControl();
                if (owner.epoch() <= page.blockEpoch() || page.inUse()) {
                    return SgxStatus.NOT_TRACKED;
                }
            }
            synchronized (va) {
                if (!va.isValid() || va.pageTypeBits() != PageType.VA.encoding()) {
                    throw pf("EWB", "VA operand is not a VA page");
                }
                long[] slots = va.vaSlotsArray();
                // SDM EWB: an occupied slot is only a warning (RFLAGS.CF, SGX_VA_SLOT_OCCUPIED): the page is
                // still written out and the slot overwritten with the new version (ZF stays clear).
                occupied = slots[slot] != 0;
                long version = versions.getAndIncrement();
                long secInfo = page.epcmBits() & SECINFO_BITS;
                long eid = secs != null ? secs.eid() : page.ownerEid();
                long lin = secs != null ? 0 : page.linaddr();
                Pcmd.write(pcmd, pcmdOff, secInfo, eid);
                if (secs != null) {
                    paging.seal(MemorySegment.ofArray(secs.toPage()), 0, version, lin, eid, secInfo, contents, contentsOff,
                            pcmd, pcmdOff + Pcmd.OFF_MAC);
                } else {
                    long h = page.contentHandle();
                    HostPagePool pool = page.pool();
                    paging.seal(h == HostPagePool.NONE ? null : pool.slab(h), HostPagePool.offset(h), version, lin, eid,
                            secInfo, contents, contentsOff, pcmd, pcmdOff + Pcmd.OFF_MAC);
                }
                slots[slot] = version;
            }
            EnclaveControl owner = page.ownerControl();
            page.invalidate();
            if (owner != null) {
                owner.removeChild();
            }
            return occupied ? SgxStatus.VA_SLOT_OCCUPIED : SgxStatus.SUCCESS;
        }
    }

    /**
     * ELDU (or ELDB when {@code blocked}): loads an evicted page into {@code target} after checking
     * its MAC with the version in slot {@code slot} of {@code va}. {@code secsFrame} is the enclave's
     * SECS for a child page, null when loading a SECS. Returns MAC_COMPARE_FAIL for a modified,
     * swapped or replayed page, leaving {@code target} invalid.
     */
    public SgxStatus eldu(CostAccount acct, EpcFrame target, long linaddr, EpcFrame secsFrame, byte[] contents,
                          byte[] pcmd, int pcmdOff, EpcFrame va, int slot, boolean blocked) {
        return eldu(acct, target, linaddr, secsFrame, MemorySegment.ofArray(contents), MemorySegment.ofArray(pcmd), pcmdOff,
                va, slot, blocked);
    }

    /** {@link #eldu(CostAccount, EpcFrame, long, EpcFrame, byte[], byte[], int, EpcFrame, int, boolean)} from segments. */
    public SgxStatus eldu(CostAccount acct, EpcFrame target, long linaddr, EpcFrame secsFrame, MemorySegment contents,
                          MemorySegment pcmd, long pcmdOff, EpcFrame va, int slot, boolean blocked) {
        return eldu(acct, target, linaddr, secsFrame, contents, 0, pcmd, pcmdOff, va, slot, blocked);
    }

    /**
     * {@link #eldu(CostAccount, EpcFrame, long, EpcFrame, byte[], byte[], int, EpcFrame, int, boolean)} from
     * the backing page at {@code contents[contentsOff, contentsOff+4096)} (a page inside a larger mapping).
     */
    public SgxStatus eldu(CostAccount acct, EpcFrame target, long linaddr, EpcFrame secsFrame, MemorySegment contents,
                          long contentsOff, MemorySegment pcmd, long pcmdOff, EpcFrame va, int slot, boolean blocked) {
        acct.charge(CostEvent.ELDU);
        if (slot < 0 || slot >= 512) {
            throw gp("ELDU", "VA slot " + slot + " out of range");
        }
        if (!fits(contents, contentsOff, Pages.SIZE) || !fits(pcmd, pcmdOff, Pcmd.SIZE)) {
            throw gp("ELDU", "contents or PCMD buffer too small");
        }
        long secInfo = Pcmd.secInfoFlags(pcmd, pcmdOff);
        if ((secInfo & ~(long) SECINFO_BITS) != 0 || !Pcmd.reservedFieldsZero(pcmd, pcmdOff)) {
            throw gp("ELDU", "reserved PCMD fields set");
        }
        int type = (int) ((secInfo & TYPE_MASK) >>> TYPE_SHIFT);
        EnclaveControl parent = null;
        if (type == PageType.SECS.encoding() || type == PageType.VA.encoding()) {
            if (secsFrame != null) {
                throw gp("ELDU", "a SECS or VA page is loaded without a parent SECS");
            }
            if (type == PageType.VA.encoding()) {
                throw gp("ELDU", "eviction of VA pages is not modelled");
            }
        } else {
            parent = secsOf("ELDU", secsFrame);
            if (!Pages.isAligned(linaddr) || !parent.contains(linaddr)) {
                throw gp("ELDU", "LINADDR 0x" + Long.toHexString(linaddr) + " outside ELRANGE");
            }
        }
        synchronized (target) {
            if (target.isValid()) {
                throw pf("ELDU", "target EPC page is already valid");
            }
            synchronized (va) {
                if (!va.isValid() || va.pageTypeBits() != PageType.VA.encoding()) {
                    throw pf("ELDU", "VA operand is not a VA page");
                }
                long version = va.vaSlotsArray()[slot];
                if (parent == null) {
                    long eid = Pcmd.enclaveId(pcmd, pcmdOff);
                    byte[] image = new byte[Pages.SIZE];
                    if (!paging.open(contents, contentsOff, pcmd, pcmdOff + Pcmd.OFF_MAC, version, 0, eid, secInfo,
                            MemorySegment.ofArray(image), 0)) {
                        return SgxStatus.MAC_COMPARE_FAIL;
                    }
                    EnclaveControl c = EnclaveControl.fromPage(image, acct);
                    if (c.eid() != eid) {
                        return SgxStatus.MAC_COMPARE_FAIL;
                    }
                    va.vaSlotsArray()[slot] = 0;
                    target.dropContent();
                    target.setSecs(c);
                    target.setEpcm(EPCM_VALID | (int) secInfo, 0, null);
                } else {
                    if (Pcmd.enclaveId(pcmd, pcmdOff) != parent.eid()) {
                        return SgxStatus.MAC_COMPARE_FAIL; // the MAC covers PCMD.ENCLAVEID
                    }
                    long h = target.contentHandleForLoad();
                    if (!paging.open(contents, contentsOff, pcmd, pcmdOff + Pcmd.OFF_MAC, version, linaddr, parent.eid(),
                            secInfo, target.pool().slab(h), HostPagePool.offset(h))) {
                        target.dropContent();
                        return SgxStatus.MAC_COMPARE_FAIL;
                    }
                    va.vaSlotsArray()[slot] = 0;
                    if (blocked) {
                        target.block(parent.epoch());
                    }
                    target.setEpcm(EPCM_VALID | (int) secInfo, linaddr, parent);
                    parent.addChild();
                }
            }
            return SgxStatus.SUCCESS;
        }
    }

    /** True if {@code [off, off+len)} lies inside {@code s}. */
    private static boolean fits(MemorySegment s, long off, long len) {
        return off >= 0 && off <= s.byteSize() - len;
    }

    /**
     * Not an instruction: what a debugger holding the platform's secrets sees of an evicted child
     * page of enclave {@code eid} at {@code linaddr}. Decrypts the blob EWB wrote into {@code dst}
     * (4096 bytes) with the version in slot {@code slot} of {@code va} and the SECINFO of the PCMD,
     * changing nothing (no EPCM, VA slot, cost or clock update). False if the MAC does not verify.
     * For invariant checkers; the enclave's own view goes through ELDU.
     */
    public boolean inspectEvicted(MemorySegment contents, MemorySegment pcmd, long pcmdOff, EpcFrame va, int slot,
                                  long linaddr, long eid, MemorySegment dst) {
        long version;
        synchronized (va) {
            version = va.vaSlotsArray()[slot];
        }
        long secInfo = Pcmd.secInfoFlags(pcmd, pcmdOff);
        return paging.open(contents, pcmd, pcmdOff + Pcmd.OFF_MAC, version, linaddr, eid, secInfo, dst);
    }

    /** EAUG: adds a zeroed, PENDING regular page with RW permissions to an initialised enclave. */
    public void eaug(CostAccount acct, EpcFrame target, EpcFrame secsFrame, long linaddr) {
        requireSgx2Encls("EAUG");
        acct.charge(CostEvent.EAUG);
        EnclaveControl c = secsOf("EAUG", secsFrame);
        if (!c.isInitialized()) {
            throw gp("EAUG", "the enclave is not initialised");
        }
        if (!Pages.isAligned(linaddr) || !c.contains(linaddr)) {
            throw gp("EAUG", "LINADDR 0x" + Long.toHexString(linaddr) + " is not a page of ELRANGE");
        }
        synchronized (target) {
            if (target.isValid()) {
                throw pf("EAUG", "target EPC page is already valid");
            }
            target.dropContent();
            target.setEpcm(EPCM_VALID | (PageType.REG.encoding() << TYPE_SHIFT) | EPCM_R | EPCM_W | EPCM_PENDING,
                    linaddr, c);
        }
        c.addChild();
    }

    /** EMODPR: restricts the permissions of a regular page to those of {@code secInfo}, setting PR. */
    public SgxStatus emodpr(CostAccount acct, EpcFrame page, SecInfo secInfo) {
        SgxStatus st = emodpr0(acct, page, secInfo);
        if (st == null) {
            throw pf("EMODPR", page.isValid() ? "page type is not PT_REG" : "page is not valid");
        }
        return st;
    }

    /**
     * EMODPR as the driver's REMOVE_PAGES probes a trimmed page with it: true if the leaf raised #PF
     * (the page is invalid or not PT_REG: a TRIM page once accepted), false if it returned a status.
     * The same checks, charge and effects as {@link #emodpr}; only the #PF is an answer instead of an
     * {@link EnclsException} (the probe faults on every page it removes).
     */
    public boolean emodprFaults(CostAccount acct, EpcFrame page, SecInfo secInfo) {
        return emodpr0(acct, page, secInfo) == null;
    }

    /** EMODPR; null for #PF. */
    private SgxStatus emodpr0(CostAccount acct, EpcFrame page, SecInfo secInfo) {
        requireSgx2Encls("EMODPR");
        acct.charge(CostEvent.EMODPR);
        if ((secInfo.flags() & ~SecInfo.PERM_MASK) != 0) {
            throw gp("EMODPR", "SECINFO may only hold permission bits: " + secInfo);
        }
        if (secInfo.has(SecInfo.W) && !secInfo.has(SecInfo.R)) {
            throw gp("EMODPR", "W without R");
        }
        synchronized (page) {
            int e = page.epcmBits();
            if ((e & EPCM_VALID) == 0) {
                return null;
            }
            if ((e & (EPCM_PENDING | EPCM_MODIFIED)) != 0) {
                return SgxStatus.PAGE_NOT_MODIFIABLE;
            }
            if (page.pageTypeBits() != PageType.REG.encoding()) {
                return null;
            }
            EnclaveControl c = page.ownerControl();
            if (!c.isInitialized()) {
                throw gp("EMODPR", "the enclave is not initialised");
            }
            int perms = (e & (int) SecInfo.PERM_MASK) & (int) secInfo.perms();
            page.setModEpoch(c.epoch());
            page.updateEpcmBits((e & ~(int) SecInfo.PERM_MASK) | perms | EPCM_PR);
            return SgxStatus.SUCCESS;
        }
    }

    /** EMODT: changes a page's type to PT_TCS or PT_TRIM, setting MODIFIED and clearing permissions. */
    public SgxStatus emodt(CostAccount acct, EpcFrame page, SecInfo secInfo) {
        requireSgx2Encls("EMODT");
        acct.charge(CostEvent.EMODT);
        if ((secInfo.flags() & ~(0xFFL << TYPE_SHIFT)) != 0) {
            throw gp("EMODT", "SECINFO may only hold a page type: " + secInfo);
        }
        int nt = secInfo.pageTypeEncoding();
        if (nt != PageType.TCS.encoding() && nt != PageType.TRIM.encoding()) {
            throw gp("EMODT", "new page type must be PT_TCS or PT_TRIM");
        }
        synchronized (page) {
            int e = page.epcmBits();
            if ((e & EPCM_VALID) == 0) {
                throw pf("EMODT", "page is not valid");
            }
            if ((e & (EPCM_PENDING | EPCM_MODIFIED)) != 0) {
                return SgxStatus.PAGE_NOT_MODIFIABLE;
            }
            int t = page.pageTypeBits();
            if (!(t == PageType.REG.encoding() || (t == PageType.TCS.encoding() && nt == PageType.TRIM.encoding()))) {
                throw pf("EMODT", "page type " + t + " cannot change to " + nt);
            }
            EnclaveControl c = page.ownerControl();
            if (!c.isInitialized()) {
                throw gp("EMODT", "the enclave is not initialised");
            }
            page.setModEpoch(c.epoch());
            page.updateEpcmBits(EPCM_VALID | (nt << TYPE_SHIFT) | EPCM_MODIFIED);
            return SgxStatus.SUCCESS;
        }
    }

    // =============================================================================================
    // ENCLU (called from inside the enclave; the operand frame is pinned by the caller)
    // =============================================================================================

    /** EACCEPT of the pinned {@code page} at {@code address} by the enclave {@code self}. */
    public int eaccept(EnclaveControl self, EpcFrame page, long address, SecInfo secInfo) {
        requireSgx2Enclu(address, "EACCEPT");
        self.account().charge(CostEvent.EACCEPT);
        long f = secInfo.flags();
        if (secInfo.reservedBitsSet() || !Pages.isAligned(address)) {
            throw encluGp(address, "EACCEPT: reserved SECINFO bits or unaligned address");
        }
        int pt = secInfo.pageTypeEncoding();
        boolean pr = (f & SecInfo.PR) != 0;
        boolean pending = (f & SecInfo.PENDING) != 0;
        boolean modified = (f & SecInfo.MODIFIED) != 0;
        boolean legal = (pt == PageType.REG.encoding() && (pr || pending) && !modified)
                || ((pt == PageType.TCS.encoding() || pt == PageType.TRIM.encoding()) && !pr && !pending && modified);
        if (!legal) {
            throw encluGp(address, "EACCEPT: illegal SECINFO combination " + secInfo);
        }
        synchronized (page) {
            int e = page.epcmBits();
            int t = page.pageTypeBits();
            if ((e & EPCM_VALID) == 0 || page.isBlocked() || page.ownerControl() != self
                    || !(t == PageType.REG.encoding() || t == PageType.TCS.encoding() || t == PageType.TRIM.encoding())) {
                throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, false, "EACCEPT: not an acceptable page");
            }
            int want = (int) (f & SECINFO_BITS);
            if (page.linaddr() != address || (e & SECINFO_BITS) != want) {
                return SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code();
            }
            if ((pr || modified) && self.epoch() <= page.modEpoch()) {
                return SgxStatus.NOT_TRACKED.code();
            }
            if (t == PageType.TCS.encoding() && modified) {
                MemorySegment c = page.contentOrNull();
                byte[] tcs = c == null ? new byte[Pages.SIZE] : c.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                String bad = Tcs.check(tcs);
                if (bad != null) {
                    throw encluGp(address, "EACCEPT of a TCS: " + bad);
                }
            }
            page.updateEpcmBits(e & ~(EPCM_PENDING | EPCM_MODIFIED | EPCM_PR));
            return SgxStatus.SUCCESS.code();
        }
    }

    /** The SECINFO flags of the EPCM entry EAUG gives a page: PENDING, PT_REG, RW ({@link #eaug}). */
    private static final long EAUGED_SECINFO = SecInfo.of(PageType.REG, SecInfo.R | SecInfo.W, SecInfo.PENDING).flags();

    /**
     * Whether {@link #eaccept} with {@code secInfo} returns SUCCESS for a page just added by
     * {@link #eaug} (at its own address, of the caller's enclave): its SECINFO must equal the
     * page's EPCM state (PT_REG, R|W, PENDING), with no reserved bit. Any other SECINFO gets a #GP
     * or a status other than SUCCESS from such a page.
     */
    public static boolean eacceptFitsEauged(SecInfo secInfo) {
        return secInfo.flags() == EAUGED_SECINFO;
    }

    /**
     * Whether {@code secInfo} passes {@link #eacceptcopy}'s SECINFO checks (no reserved bit,
     * neither MODIFIED nor PR, PT_REG, no W without R; SDM Vol. 3D, EACCEPTCOPY): with it, and an
     * aligned address and a 4096-byte source, a page just added by {@link #eaug} is accepted.
     */
    public static boolean eacceptcopySecInfoValid(SecInfo secInfo) {
        return !secInfo.reservedBitsSet() && (secInfo.flags() & (SecInfo.MODIFIED | SecInfo.PR)) == 0
                && secInfo.pageTypeEncoding() == PageType.REG.encoding()
                && !(secInfo.has(SecInfo.W) && !secInfo.has(SecInfo.R));
    }

    /** EACCEPTCOPY: fills the pinned PENDING {@code page} with {@code source} and gives it {@code secInfo}'s permissions. */
    public int eacceptcopy(EnclaveControl self, EpcFrame page, long address, SecInfo secInfo, MemorySegment source) {
        return eacceptcopy(self, page, address, secInfo, source, null);
    }

    /**
     * {@link #eacceptcopy(EnclaveControl, EpcFrame, long, SecInfo, MemorySegment)} for a caller that
     * copies one source into many pages and has checked once whether its first 4096 bytes are all
     * zero ({@code sourceZero}; null: not known, checked here).
     */
    public int eacceptcopy(EnclaveControl self, EpcFrame page, long address, SecInfo secInfo, MemorySegment source,
                           Boolean sourceZero) {
        requireSgx2Enclu(address, "EACCEPTCOPY");
        self.account().charge(CostEvent.EACCEPTCOPY);
        if (!eacceptcopySecInfoValid(secInfo) || !Pages.isAligned(address) || source.byteSize() < Pages.SIZE) {
            throw encluGp(address, "EACCEPTCOPY: bad SECINFO " + secInfo + " or operands");
        }
        synchronized (page) {
            int e = page.epcmBits();
            if ((e & EPCM_VALID) == 0 || page.isBlocked() || page.ownerControl() != self || page.linaddr() != address) {
                throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, true, "EACCEPTCOPY: not a page of this enclave");
            }
            if ((e & EPCM_PENDING) == 0 || (e & EPCM_MODIFIED) != 0 || page.pageTypeBits() != PageType.REG.encoding()) {
                return SgxStatus.PAGE_ATTRIBUTES_MISMATCH.code();
            }
            if (sourceZero == null) {
                page.storeContent(source);
            } else {
                page.storeContent(source, sourceZero);
            }
            page.updateEpcmBits((e & ~(int) SecInfo.PERM_MASK & ~EPCM_PENDING) | (int) secInfo.perms());
            return SgxStatus.SUCCESS.code();
        }
    }

    /** EMODPE: extends the EPCM permissions of the pinned regular {@code page}. */
    public void emodpe(EnclaveControl self, EpcFrame page, long address, SecInfo secInfo) {
        requireSgx2Enclu(address, "EMODPE");
        self.account().charge(CostEvent.EMODPE);
        // Only R/W/X are used. PAGE_TYPE is not a reserved field and is ignored: the SGX SDK's
        // EMM passes PT_REG | permissions (sgx_mm_modify_permissions), the kernel selftests the
        // permissions alone; both must work. Reserved bits and the state bits are #GP.
        if (secInfo.reservedBitsSet() || (secInfo.flags() & (SecInfo.PENDING | SecInfo.MODIFIED | SecInfo.PR)) != 0) {
            throw encluGp(address, "EMODPE: reserved SECINFO bits " + secInfo);
        }
        if (secInfo.has(SecInfo.W) && !secInfo.has(SecInfo.R)) {
            throw encluGp(address, "EMODPE: W without R");
        }
        synchronized (page) {
            int e = page.epcmBits();
            if ((e & EPCM_VALID) == 0 || page.ownerControl() != self || (e & (EPCM_PENDING | EPCM_MODIFIED)) != 0
                    || page.pageTypeBits() != PageType.REG.encoding()) {
                throw new EnclaveFault(EnclaveFault.Kind.PAGE_FAULT, address, false,
                        "EMODPE: page is not a regular, accepted page of this enclave");
            }
            page.updateEpcmBits(e | (int) secInfo.perms());
        }
    }

    /** EREPORT: a REPORT of enclave {@code self} MACed with the REPORT key of the target enclave. */
    public byte[] ereport(EnclaveControl self, byte[] targetInfo, byte[] reportData) {
        self.account().charge(CostEvent.EREPORT);
        if (targetInfo.length != TargetInfo.SIZE || reportData.length != 64) {
            throw encluGp(0, "EREPORT: TARGETINFO must be 512 bytes and REPORTDATA 64");
        }
        TargetInfo ti = TargetInfo.parse(targetInfo);
        Report body = new Report(features.cpuSvn(), self.miscSelect(), self.isvExtProdId(), self.attributes(),
                self.mrEnclave(), self.mrSigner(), self.configId(), self.isvProdId(), self.isvSvn(), self.configSvn(),
                self.isvFamilyId(), reportData, reportKeyId, new byte[16]);
        byte[] key = reportKey(ti.mrEnclave(), ti.attributes(), ti.miscSelect(), ti.configId(), ti.configSvn(), reportKeyId);
        byte[] out = body.toBytes();
        byte[] mac = AesCmac.mac(key, Arrays.copyOf(out, Report.BODY_SIZE));
        System.arraycopy(mac, 0, out, 416, 16);
        return out;
    }

    /** EGETKEY: the key a KEYREQUEST asks for, bound to enclave {@code self}. */
    public byte[] egetkey(EnclaveControl self, byte[] keyRequest) {
        self.account().charge(CostEvent.EGETKEY);
        if (keyRequest.length != KeyRequest.SIZE || !KeyRequest.reservedFieldsZero(keyRequest)) {
            throw encluGp(0, "EGETKEY: KEYREQUEST reserved fields are not zero");
        }
        KeyRequest r = KeyRequest.parse(keyRequest);
        if ((r.keyPolicy() & KeyRequest.POLICY_RESERVED) != 0) {
            throw encluGp(0, "EGETKEY: reserved KEYPOLICY bits");
        }
        Attributes attrs = self.attributes();
        int kssPolicy = KeyRequest.POLICY_CONFIGID | KeyRequest.POLICY_ISVFAMILYID | KeyRequest.POLICY_ISVEXTPRODID;
        if ((r.keyPolicy() & kssPolicy) != 0 && !attrs.has(Attributes.KSS)) {
            throw encluGp(0, "EGETKEY: KSS key policy without ATTRIBUTES.KSS");
        }
        byte[] cpuSvn = features.cpuSvn();
        byte[] z16 = new byte[16];
        byte[] z32 = new byte[32];
        switch (r.keyName()) {
            case KeyRequest.REPORT_KEY -> {
                return reportKey(self.mrEnclave(), attrs, self.miscSelect(), self.configId(), self.configSvn(), r.keyId());
            }
            case KeyRequest.SEAL_KEY, KeyRequest.PROVISION_KEY, KeyRequest.PROVISION_SEAL_KEY,
                 KeyRequest.EINITTOKEN_KEY -> {
                int name = r.keyName();
                if ((name == KeyRequest.PROVISION_KEY || name == KeyRequest.PROVISION_SEAL_KEY)
                        && !attrs.has(Attributes.PROVISIONKEY)) {
                    throw new SgxStatusException("EGETKEY", SgxStatus.INVALID_ATTRIBUTE, "PROVISIONKEY attribute not set");
                }
                if (name == KeyRequest.EINITTOKEN_KEY && !attrs.has(Attributes.EINITTOKEN_KEY)) {
                    throw new SgxStatusException("EGETKEY", SgxStatus.INVALID_ATTRIBUTE, "EINITTOKEN_KEY attribute not set");
                }
                if (r.isvSvn() > self.isvSvn() || r.configSvn() > self.configSvn()) {
                    throw new SgxStatusException("EGETKEY", SgxStatus.INVALID_ISVSVN, "ISVSVN/CONFIGSVN above the enclave's");
                }
                for (int i = 0; i < 16; i++) {
                    if ((r.cpuSvn()[i] & 0xFF) > (cpuSvn[i] & 0xFF)) {
                        throw new SgxStatusException("EGETKEY", SgxStatus.INVALID_CPUSVN, "CPUSVN above the platform's");
                    }
                }
                Attributes mask = new Attributes(r.attributeMask().flags() | Attributes.INIT | Attributes.DEBUG,
                        r.attributeMask().xfrm());
                Attributes masked = new Attributes(attrs.flags() & mask.flags(), attrs.xfrm() & mask.xfrm());
                boolean seal = name == KeyRequest.SEAL_KEY;
                boolean byEnclave = seal && (r.keyPolicy() & KeyRequest.POLICY_MRENCLAVE) != 0;
                boolean bySigner = !seal || (r.keyPolicy() & KeyRequest.POLICY_MRSIGNER) != 0;
                boolean noProd = (r.keyPolicy() & KeyRequest.POLICY_NOISVPRODID) != 0;
                KeyDerivation d = new KeyDerivation(name, noProd ? 0 : self.isvProdId(), r.isvSvn(),
                        (r.keyPolicy() & KeyRequest.POLICY_CONFIGID) != 0 ? r.configSvn() : 0,
                        name == KeyRequest.PROVISION_KEY || name == KeyRequest.PROVISION_SEAL_KEY ? z16
                                : features.ownerEpoch(), masked, mask,
                        byEnclave ? self.mrEnclave() : z32, bySigner ? self.mrSigner() : z32,
                        name == KeyRequest.PROVISION_KEY || name == KeyRequest.PROVISION_SEAL_KEY ? z32 : r.keyId(),
                        r.cpuSvn(), self.miscSelect() & r.miscMask(), r.miscMask(),
                        (r.keyPolicy() & KeyRequest.POLICY_CONFIGID) != 0 ? self.configId() : new byte[64],
                        (r.keyPolicy() & KeyRequest.POLICY_ISVFAMILYID) != 0 ? self.isvFamilyId() : z16,
                        (r.keyPolicy() & KeyRequest.POLICY_ISVEXTPRODID) != 0 ? self.isvExtProdId() : z16);
                return keys.derive(d);
            }
            default -> throw new SgxStatusException("EGETKEY", SgxStatus.INVALID_KEYNAME, "KEYNAME " + r.keyName());
        }
    }

    private byte[] reportKey(byte[] mrEnclave, Attributes attributes, int miscSelect, byte[] configId, int configSvn,
                             byte[] keyId) {
        return keys.derive(new KeyDerivation(KeyRequest.REPORT_KEY, 0, 0, configSvn, features.ownerEpoch(), attributes,
                new Attributes(0, 0), mrEnclave, new byte[32], keyId, features.cpuSvn(), miscSelect, 0, configId, new byte[16],
                new byte[16]));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static EnclaveControl secsOf(String leaf, EpcFrame secsFrame) {
        if (secsFrame == null) {
            throw pf(leaf, "no SECS operand");
        }
        EnclaveControl c = secsFrame.secs();
        if (c == null) {
            throw pf(leaf, "SECS operand is not a valid SECS page");
        }
        return c;
    }

    private void requireSgx2Encls(String leaf) {
        if (!features.sgx2()) {
            throw new EnclsException(leaf, EnclsException.Trap.UD, "SGX2 leaf on an SGX1 CPU");
        }
    }

    private void requireSgx2Enclu(long address, String leaf) {
        if (!features.sgx2()) {
            throw new EnclaveFault(EnclaveFault.Kind.INVALID_OPCODE, address, false, leaf + " on an SGX1 CPU");
        }
    }

    private static EnclsException gp(String leaf, String detail) {
        return new EnclsException(leaf, EnclsException.Trap.GP, detail);
    }

    private static EnclsException pf(String leaf, String detail) {
        return new EnclsException(leaf, EnclsException.Trap.PF, detail);
    }

    private static EnclaveFault encluGp(long address, String detail) {
        return new EnclaveFault(EnclaveFault.Kind.GENERAL_PROTECTION, address, false, detail);
    }
}
