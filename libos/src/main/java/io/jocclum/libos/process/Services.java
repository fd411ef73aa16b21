package io.jocclum.libos.process;

import io.jocclum.libos.config.ProcessDefaults;
import io.jocclum.libos.events.Gate;
import io.jocclum.libos.events.WaitClock;
import io.jocclum.libos.fs.Vfs;
import io.jocclum.libos.programs.ProgramLoader;
import io.jocclum.libos.vm.UserSpace;
import io.jocclum.sgx.cpu.EnclaveContext;

import java.time.InstantSource;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * What the boot gives the process layer: the enclave, the user space, the VFS, the program
 * loader, the TCS pool, the clocks, the process defaults of Occlum.json, and the boot's hooks
 * (sampling committed EPC, entering the enclave on a TCS).
 *
 * @param hostDevices   the devices of file systems backed by host files (I/O on them is an OCALL)
 * @param cpuNanos      simulated nanoseconds charged to the enclave (the CPU-time clocks)
 * @param commitSampler samples the committed EPC before memory may be given back (peak tracking)
 * @param enterEnclave  EENTERs on the TCS at the given address
 * @param gate          the deterministic scheduler gate of a scenario, null otherwise
 */
public record Services(EnclaveContext ctx, UserSpace userSpace, Vfs vfs, Set<Long> hostDevices, ProgramLoader programs,
                         TcsPool tcs, WaitClock clock, InstantSource wallClock, LongSupplier cpuNanos,
                         ProcessDefaults defaults, Runnable commitSampler, LongConsumer enterEnclave,
                         Gate gate) {
}
