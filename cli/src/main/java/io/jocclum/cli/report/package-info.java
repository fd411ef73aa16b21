/**
 * The HTML reports of {@code jocclum scenario}: {@link io.jocclum.cli.report.ScenarioReport} turns
 * a scenario's {@code data.json} into one self-contained {@code index.html} with inline SVG charts,
 * {@link io.jocclum.cli.report.SweepReport} does the same for a sweep's {@code sweep.json}.
 */
package io.jocclum.cli.report;
