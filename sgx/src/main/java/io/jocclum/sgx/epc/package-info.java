/**
 * The Linux SGX driver's EPC management (arch/x86/kernel/cpu/sgx/main.c with the v17 EPC cgroup
 * series): the page allocator with its free lists and watermarks, the batch reclaimer with aging,
 * ksgxd, and the seam for EPC accounting.
 *
 * <h2>The EPC cgroup seam</h2>
 * EPC accounting is pluggable exactly where v17 (patches 01-14) calls {@code epc_cgroup.c}:
 * <ul>
 *   <li>{@link io.jocclum.sgx.epc.Reclaim} is v17's {@code enum sgx_reclaim}.</li>
 *   <li>{@link io.jocclum.sgx.epc.EpcAllocator#allocate} is {@code sgx_alloc_epc_page}: it charges
 *       {@link io.jocclum.sgx.epc.EpcController#currentGroup current task's group} first
 *       ({@code tryCharge}), then loops on the free lists with global reclaim, then records the group in
 *       the page; failure and {@link io.jocclum.sgx.epc.EpcAllocator#free free} uncharge it.</li>
 *   <li>Reclaimable pages live on the {@link io.jocclum.sgx.epc.EpcLru} the controller returns for
 *       their group ({@code sgx_epc_page_lru}); the no-op controller
 *       ({@link io.jocclum.sgx.epc.NoEpcCgroup}) has one global LRU.</li>
 *   <li>{@link io.jocclum.sgx.epc.EpcServices#reclaimPages reclaimPages(lru, chargeMm)} is the batch
 *       reclaimer any controller can run on any LRU; it returns the pages isolated.</li>
 *   <li>Global reclaim (ksgxd, the allocation loop) asks the controller
 *       ({@code canReclaimGlobal}, {@code reclaimGlobal}); the SGX2 ioctls call
 *       {@link io.jocclum.sgx.epc.EpcAllocator#reclaimDirect reclaimDirect} before each page.</li>
 *   <li>{@link io.jocclum.sgx.cgroup.HostTask} is "current": the controller reads its misc cgroup
 *       (the {@link io.jocclum.sgx.epc.EpcGroup} it charges); {@link io.jocclum.sgx.epc.BackingMemcgs}
 *       charges backing-store pages to the memory cgroup of its {@link io.jocclum.sgx.cgroup.Mm}; its
 *       pending signals end the ERESTARTSYS paths.</li>
 * </ul>
 */
package io.jocclum.sgx.epc;
