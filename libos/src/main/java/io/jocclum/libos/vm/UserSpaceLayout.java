package io.jocclum.libos.vm;

import io.jocclum.sgx.arch.Pages;

/**
 * Where the user space lies in ELRANGE, as the boot hands it to the VM (Occlum
 * {@code user_space_vm.rs} / {@code vm_layout.rs}; sizing rules in {@code config-edmm.md}).
 *
 * <p>Reserved memory is committed at load (EADDed RWX, {@code ReservedMemExecutable = 1}); on an
 * EDMM platform it is {@code user_space_size} bytes, otherwise everything up to the Max. The user
 * region exists only on EDMM: uncommitted at load, committed on demand, up to
 * {@code UserRegionSize}. A gap between them (the SDK's) is never handed out.
 *
 * @param reservedBase     start of reserved memory (page aligned)
 * @param reservedSize     its size (page multiple, may be 0 only when a user region exists)
 * @param userRegionBase   start of the EDMM user region (ignored when its size is 0)
 * @param userRegionSize   its size (0: no user region, the non-EDMM layout)
 */
public record UserSpaceLayout(long reservedBase, long reservedSize, long userRegionBase, long userRegionSize) {

    public UserSpaceLayout {
        requirePage("reservedBase", reservedBase);
        requirePage("reservedSize", reservedSize);
        requirePage("userRegionSize", userRegionSize);
        if (reservedSize < 0 || userRegionSize < 0) {
            throw new IllegalArgumentException("user-space sizes must not be negative: reserved " + reservedSize
                    + ", user region " + userRegionSize);
        }
        if (reservedSize == 0 && userRegionSize == 0) {
            throw new IllegalArgumentException("user space is empty: reserved size and user region size are both 0");
        }
        if (userRegionSize > 0) {
            requirePage("userRegionBase", userRegionBase);
            if (reservedSize > 0 && userRegionBase < reservedBase + reservedSize && reservedBase < userRegionBase + userRegionSize) {
                throw new IllegalArgumentException("user region 0x" + Long.toHexString(userRegionBase) + "+0x"
                        + Long.toHexString(userRegionSize) + " overlaps reserved memory 0x" + Long.toHexString(reservedBase)
                        + "+0x" + Long.toHexString(reservedSize));
            }
        }
        if (Long.compareUnsigned(end(reservedBase, reservedSize), ProcessVm.TASK_SIZE) > 0
                || userRegionSize > 0 && Long.compareUnsigned(end(userRegionBase, userRegionSize), ProcessVm.TASK_SIZE) > 0) {
            throw new IllegalArgumentException("user space must lie below TASK_SIZE 0x" + Long.toHexString(ProcessVm.TASK_SIZE));
        }
    }

    /** Non-EDMM layout: everything reserved (committed at load). */
    public static UserSpaceLayout reservedOnly(long base, long size) {
        return new UserSpaceLayout(base, size, 0, 0);
    }

    private static long end(long base, long size) {
        long e = base + size;
        if (Long.compareUnsigned(e, base) < 0) {
            throw new IllegalArgumentException("range 0x" + Long.toHexString(base) + "+0x" + Long.toHexString(size) + " overflows");
        }
        return e;
    }

    private static void requirePage(String name, long v) {
        if (!Pages.isAligned(v)) {
            throw new IllegalArgumentException(name + " 0x" + Long.toHexString(v) + " is not page aligned (4096)");
        }
    }

    public long reservedEnd() {
        return reservedBase + reservedSize;
    }

    public long userRegionEnd() {
        return userRegionBase + userRegionSize;
    }

    public boolean hasUserRegion() {
        return userRegionSize > 0;
    }

    /** Total bytes of user space (reserved + user region, not the gap). */
    public long totalSize() {
        return reservedSize + userRegionSize;
    }

    /** Lowest user-space address. */
    public long lowest() {
        if (reservedSize == 0) {
            return userRegionBase;
        }
        return userRegionSize == 0 ? reservedBase : Math.min(reservedBase, userRegionBase);
    }

    /** One past the highest user-space address. */
    public long highest() {
        if (reservedSize == 0) {
            return userRegionEnd();
        }
        return userRegionSize == 0 ? reservedEnd() : Math.max(reservedEnd(), userRegionEnd());
    }

    /** Which part holds {@code address}; null for the gap and outside. */
    UserMemoryKind regionOf(long address) {
        if (reservedSize > 0 && address >= reservedBase && address < reservedEnd()) {
            return UserMemoryKind.RESERVED;
        }
        if (userRegionSize > 0 && address >= userRegionBase && address < userRegionEnd()) {
            return UserMemoryKind.USER_REGION;
        }
        return null;
    }
}
