package io.jocclum.libos.attest;

import io.jocclum.sgx.attest.TcbSpec;

import java.util.Arrays;
import java.util.Objects;

/**
 * The attestation side of a simulated platform (platform file keys {@code fuses},
 * {@code owner_epoch}, {@code tcb}, {@code dcap_driver}, {@code occlum_compat_errno}).
 *
 * @param fuses             the CPU's fused secret (32 bytes: seal fuses, root provisioning key), or null to
 *                          derive it from the seed
 * @param ownerEpoch        CSR_SGX_OWNEREPOCH (16 bytes), mixed into seal and REPORT keys
 * @param tcb               the TCB description: the platform's CPUSVN and PCESVN, its TCB info, QE identity,
 *                          CRLs and their dates
 * @param dcapDriver        the host has the DCAP SGX driver (DETECT_DCAP_DRIVER says 1; otherwise the DCAP
 *                          quote ioctls fail with EIO, "not ready", as on a host without it)
 * @param occlumCompatErrno every failing {@code /dev/sgx} ioctl fails with EINVAL, as Occlum's {@code DevSgx}
 *                          reports them (instead of Linux's EFAULT, EINVAL, EIO, EBUSY, EOPNOTSUPP, ENOTTY)
 */
public record AttestationSettings(byte[] fuses, byte[] ownerEpoch, TcbSpec tcb, boolean dcapDriver, boolean occlumCompatErrno) {
    public AttestationSettings {
        if (fuses != null && fuses.length != 32) {
            throw new IllegalArgumentException("the fuses have 32 bytes (64 hex digits), got " + fuses.length + ".");
        }
        if (ownerEpoch == null || ownerEpoch.length != 16) {
            throw new IllegalArgumentException("the owner epoch has 16 bytes (32 hex digits).");
        }
        Objects.requireNonNull(tcb);
        fuses = fuses == null ? null : fuses.clone();
        ownerEpoch = ownerEpoch.clone();
    }

    /** Fuses from the seed, owner epoch 0, {@link TcbSpec#defaults()}, a DCAP driver, Linux errnos. */
    public static AttestationSettings defaults() {
        return new AttestationSettings(null, new byte[16], TcbSpec.defaults(), true, false);
    }

    @Override
    public byte[] fuses() {
        return fuses == null ? null : fuses.clone();
    }

    @Override
    public byte[] ownerEpoch() {
        return ownerEpoch.clone();
    }

    public AttestationSettings withFuses(byte[] f) {
        return new AttestationSettings(f, ownerEpoch, tcb, dcapDriver, occlumCompatErrno);
    }

    public AttestationSettings withOwnerEpoch(byte[] e) {
        return new AttestationSettings(fuses, e, tcb, dcapDriver, occlumCompatErrno);
    }

    public AttestationSettings withTcb(TcbSpec t) {
        return new AttestationSettings(fuses, ownerEpoch, t, dcapDriver, occlumCompatErrno);
    }

    public AttestationSettings withDcapDriver(boolean on) {
        return new AttestationSettings(fuses, ownerEpoch, tcb, on, occlumCompatErrno);
    }

    public AttestationSettings withOcclumCompatErrno(boolean on) {
        return new AttestationSettings(fuses, ownerEpoch, tcb, dcapDriver, on);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttestationSettings a && Arrays.equals(fuses, a.fuses) && Arrays.equals(ownerEpoch, a.ownerEpoch)
                && tcb.equals(a.tcb) && dcapDriver == a.dcapDriver && occlumCompatErrno == a.occlumCompatErrno;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(fuses), Arrays.hashCode(ownerEpoch), tcb, dcapDriver, occlumCompatErrno);
    }
}
