/**
 * The v17 EPC cgroup selftests ({@code tools/testing/selftests/sgx/run_epc_cg_selftests.sh},
 * spec section 4) run against the simulated platform: the workload W
 * ({@code test_sgx -t unclobbered_vdso_oversubscribed}) built through the driver's ioctls, placed in
 * cgroups the {@code ash_cgexec.sh} way, run as concurrent host processes on virtual threads, with
 * kselftest-style TAP output. {@link io.jocclum.sgx.selftest.EpcCgroupSelftest} is the entry point;
 * {@code jocclum selftest epc-cgroup} prints its report.
 */
package io.jocclum.sgx.selftest;
