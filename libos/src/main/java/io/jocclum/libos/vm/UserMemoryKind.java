package io.jocclum.libos.vm;

/**
 * The two kinds of user memory (Occlum {@code vm_epc.rs} EPCType): reserved memory committed at
 * load, and the EDMM user region committed on demand. A VMA and a chunk never straddle them.
 */
enum UserMemoryKind {
    /** EADDed at load with RWX (ReservedMemExecutable = 1); never decommitted. */
    RESERVED,
    /** EDMM: EAUG/EACCEPT on demand, given back with EMODT/EACCEPT/EREMOVE. */
    USER_REGION
}
