package io.jocclum.sgx.cpu;

import com.google.errorprone.annotations.concurrent.GuardedBy;

import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.Secs;
import io.jocclum.sgx.cost.CostAccount;
import io.jocclum.sgx.measure.MeasurementBuilder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The contents of a SECS page: the architectural SECS fields plus the state the CPU keeps in the
 * SECS's implementation-specific area (enclave ID, the running MRENCLAVE hash, the INIT flag, the
 * number of child pages in EPC, the tracking epoch of ETRACK).
 *
 * <p>EWB of a SECS serialises this into the page image ({@link #toPage()}), ELDU rebuilds it
 * ({@link #fromPage}). The model evicts a SECS only after EINIT (as Linux does): the running SHA-256
 * state of an uninitialised enclave is not serialisable.
 *
 * <p>Locking: mutations by ENCLS leaves happen under this object's monitor, but for the child count
 * and the epoch, which the leaves update atomically (one atomic step per page a leaf adds, removes
 * or tracks); {@code epoch}, {@code children} and {@code initialized} are volatile for the ENCLU side. After EINIT the identity fields never change.
 */
public final class EnclaveControl {
    private static final VarHandle EPOCH;
    private static final VarHandle CHILDREN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            EPOCH = l.findVarHandle(EnclaveControl.class, "epoch", long.class);
            CHILDREN = l.findVarHandle(EnclaveControl.class, "children", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final long eid;
    private final long size;
    private final long base;
    private final int ssaFrameSize;
    private final int miscSelect;
    private final byte[] configId;
    private final int configSvn;
    private volatile Attributes attributes;
    private final MeasurementBuilder measurement;  // null after reload from a page image
    @GuardedBy("this")
    private byte[] mrEnclave = new byte[32];  // until EINIT
    private byte[] mrSigner = new byte[32];
    private int isvProdId;
    private int isvSvn;
    private byte[] isvFamilyId = new byte[16];
    private byte[] isvExtProdId = new byte[16];
    private volatile boolean initialized;
    /** Advanced atomically by ETRACK ({@link #EPOCH}), read without the monitor. */
    private volatile long epoch;
    /** Updated atomically by the leaves that add or remove a child page ({@link #CHILDREN}). */
    private volatile int children;
    private final CostAccount account;

    EnclaveControl(long eid, Secs secs, CostAccount account) {
        this.eid = eid;
        this.size = secs.size();
        this.base = secs.baseAddr();
        this.ssaFrameSize = secs.ssaFrameSize();
        this.miscSelect = secs.miscSelect();
        this.configId = secs.configId();
        this.configSvn = secs.configSvn();
        this.attributes = secs.attributes();
        this.measurement = new MeasurementBuilder().ecreate(ssaFrameSize, size);
        this.account = account;
    }

    private EnclaveControl(long eid, long size, long base, int ssa, int misc, byte[] configId, int configSvn,
                           Attributes attributes, CostAccount account) {
        this.eid = eid;
        this.size = size;
        this.base = base;
        this.ssaFrameSize = ssa;
        this.miscSelect = misc;
        this.configId = configId;
        this.configSvn = configSvn;
        this.attributes = attributes;
        this.measurement = null;
        this.account = account;
    }

    public long eid() {
        return eid;
    }

    public long size() {
        return size;
    }

    public long base() {
        return base;
    }

    public int ssaFrameSize() {
        return ssaFrameSize;
    }

    public int miscSelect() {
        return miscSelect;
    }

    public Attributes attributes() {
        return attributes;
    }

    public byte[] configId() {
        return configId.clone();
    }

    public int configSvn() {
        return configSvn;
    }

    public boolean isInitialized() {
        return initialized;
    }

    public synchronized byte[] mrEnclave() {
        return mrEnclave.clone();
    }

    public synchronized byte[] mrSigner() {
        return mrSigner.clone();
    }

    public synchronized int isvProdId() {
        return isvProdId;
    }

    public synchronized int isvSvn() {
        return isvSvn;
    }

    public synchronized byte[] isvFamilyId() {
        return isvFamilyId.clone();
    }

    public synchronized byte[] isvExtProdId() {
        return isvExtProdId.clone();
    }

    /** Child pages of this enclave currently valid in the EPC. */
    public int children() {
        return children;
    }

    public long epoch() {
        return epoch;
    }

    public CostAccount account() {
        return account;
    }

    boolean contains(long linaddr) {
        return linaddr >= base && linaddr - base < size;
    }

    MeasurementBuilder measurement() {
        return measurement;
    }

    /** One more child page: one atomic update (no monitor, which would take two). */
    void addChild() {
        CHILDREN.getAndAdd(this, 1);
    }

    /** One child page fewer; an underflow is an error and changes nothing. */
    void removeChild() {
        for (int c = children; ; c = children) {
            if (c == 0) {
                throw new IllegalStateException("SECS child count underflow for enclave " + eid);
            }
            if (CHILDREN.compareAndSet(this, c, c - 1)) {
                return;
            }
        }
    }

    /** ETRACK's new epoch: one atomic update. */
    void bumpEpoch() {
        EPOCH.getAndAdd(this, 1L);
    }

    synchronized void initialize(byte[] mrEnclave, byte[] mrSigner, int isvProdId, int isvSvn, byte[] familyId,
                                 byte[] extProdId) {
        this.mrEnclave = mrEnclave.clone();
        this.mrSigner = mrSigner.clone();
        this.isvProdId = isvProdId;
        this.isvSvn = isvSvn;
        this.isvFamilyId = familyId.clone();
        this.isvExtProdId = extProdId.clone();
        this.attributes = attributes.with(Attributes.INIT);
        this.initialized = true;
    }

    /** The 4096-byte page image: the architectural SECS, then EID, epoch and KSS ids at offset 3072. */
    synchronized byte[] toPage() {
        byte[] b = new Secs(size, base, ssaFrameSize, miscSelect, attributes, mrEnclave, mrSigner, configId,
                isvProdId, isvSvn, configSvn).toBytes();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(3072, eid).putLong(3080, epoch).put(3088, (byte) (initialized ? 1 : 0));
        bb.put(3096, isvFamilyId).put(3112, isvExtProdId);
        return b;
    }

    static EnclaveControl fromPage(byte[] b, CostAccount account) {
        Secs s = Secs.parse(b);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        EnclaveControl c = new EnclaveControl(bb.getLong(3072), s.size(), s.baseAddr(), s.ssaFrameSize(),
                s.miscSelect(), s.configId(), s.configSvn(), s.attributes(), account);
        c.epoch = bb.getLong(3080);
        c.initialized = bb.get(3088) != 0;
        c.mrEnclave = s.mrEnclave();
        c.mrSigner = s.mrSigner();
        c.isvProdId = s.isvProdId();
        c.isvSvn = s.isvSvn();
        c.isvFamilyId = java.util.Arrays.copyOfRange(b, 3096, 3112);
        c.isvExtProdId = java.util.Arrays.copyOfRange(b, 3112, 3128);
        return c;
    }

    @Override
    public String toString() {
        return "SECS[eid=" + eid + ", base=0x" + Long.toHexString(base) + ", size=0x" + Long.toHexString(size)
                + (initialized ? ", initialized" : "") + "]";
    }
}
