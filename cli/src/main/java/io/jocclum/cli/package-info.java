/**
 * The {@code jocclum} command: Occlum's verbs over an instance directory.
 *
 * <p>{@link io.jocclum.cli.Main} wires picocli: the top command {@code JocclumCommand} lists the
 * subcommands (adding one is a class with a {@code Cli} constructor and one entry in that list);
 * every command reports a user's mistake by throwing {@code UserError} (one sentence and an exit
 * code) or {@link io.jocclum.libos.config.ConfigException} (exit 2), which {@code Main} prints
 * without a stack trace. {@code InstanceBuild} is the build pipeline with its atomic output
 * commit; {@code Instance} creates instances.
 */
package io.jocclum.cli;
