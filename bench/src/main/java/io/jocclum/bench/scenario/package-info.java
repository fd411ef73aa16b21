/** The scenario engine's benchmark: the examples of examples/scenarios against the one-minute goal. */
package io.jocclum.bench.scenario;
