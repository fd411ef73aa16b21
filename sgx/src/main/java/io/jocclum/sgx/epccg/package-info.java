/**
 * The misc-cgroup {@code sgx_epc} controller of the v17 series "Add Cgroup support for SGX EPC
 * memory" ({@code arch/x86/kernel/cpu/sgx/epc_cgroup.c}, patches 05-14), plugged into the driver
 * through the {@link io.jocclum.sgx.epc.EpcController} seam.
 *
 * <ul>
 *   <li>{@link io.jocclum.sgx.epccg.SgxEpcCgroup} is the controller: the try-charge loop with
 *       SGX_DO_RECLAIM / SGX_NO_RECLAIM (ENOMEM, EBUSY, ERESTARTSYS), per-cgroup reclaim through the
 *       fair pre-order iterator, direct, asynchronous, preemptive and global reclaim, and the soft
 *       threshold. v17 as posted by default; the series' stated intent (async reclaim queued after a
 *       successful charge at the threshold) as an option.</li>
 *   <li>{@link io.jocclum.sgx.epccg.SgxCgroup} is {@code struct sgx_cgroup}: the private state the
 *       misc core keeps per (cgroup, {@code sgx_epc}): the cgroup's LRU, the {@code next_cg} cursor and
 *       its lock, the async work item.</li>
 *   <li>{@link io.jocclum.sgx.epccg.CgroupWorkqueue} is {@code sgx_cg_wq}: one work item per cgroup,
 *       on virtual threads or run by the caller (MANUAL).</li>
 *   <li>{@link io.jocclum.sgx.epccg.EpcCgroupInvariants} checks pages ↔ per-cgroup LRUs ↔ misc
 *       counters ↔ cursors ↔ work items.</li>
 * </ul>
 *
 * <p>The generic misc core ({@link io.jocclum.sgx.cgroup}) knows nothing of this package: it
 * calls the alloc/free callbacks and hands out the private state. See {@code docs/epc-cgroup.md}.
 */
package io.jocclum.sgx.epccg;
