/**
 * Scenarios: many enclaves on one simulated host over simulated time. {@link io.jocclum.libos.scenario.ScenarioFile}
 * reads and validates a scenario file, {@link io.jocclum.libos.scenario.Engine} runs it deterministically on one
 * platform with the {@code sgx_epc} misc cgroup and samples what happens, {@link io.jocclum.libos.scenario.ReportFiles}
 * writes data.json and the CSVs, {@link io.jocclum.libos.scenario.Sweep} expands and merges parameter grids.
 */
package io.jocclum.libos.scenario;
