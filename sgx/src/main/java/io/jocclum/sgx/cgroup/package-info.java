/**
 * The Linux cgroup v2 hierarchy as the SGX driver and its {@code sgx_epc} controller see it: a
 * tree of cgroups with tasks (host processes), {@code cgroup.procs} and
 * {@code cgroup.subtree_control}; the misc controller core of {@code kernel/cgroup/misc.c}
 * (v6.11 plus patches 02-04 of the v17 "Add Cgroup support for SGX EPC memory" series):
 * resource capacities, hierarchical charges with the kernel's event placement and peak
 * behaviour, {@code misc.max} parsing, per-resource alloc/free callbacks with a private pointer
 * per (cgroup, resource); and a memory-cgroup model ({@code memory.max}, {@code memory.current},
 * {@code memory.peak}, {@code memory.events}, swap on/off, OOM) to which host memory such as the
 * SGX backing store is charged.
 *
 * <p>The text interface ({@link io.jocclum.sgx.cgroup.CgroupFs}) returns exactly the kernel's
 * file contents and fails with the kernel's errnos. The typed interface
 * ({@link io.jocclum.sgx.cgroup.CgroupHierarchy}, {@link io.jocclum.sgx.cgroup.MiscController},
 * {@link io.jocclum.sgx.cgroup.MemoryController}) is what the driver calls. Nothing here knows
 * about SGX hardware: the {@code sgx_epc} controller (per-cgroup LRUs, reclaim) is built on top
 * of the misc callbacks. See {@code docs/cgroup.md}.
 */
package io.jocclum.sgx.cgroup;
