/**
 * Occlum.json, the way {@code occlum build} understands it, and what it turns into.
 *
 * <p>Models Occlum's configuration tool ({@code tools/gen_internal_conf}) and the EDMM
 * configuration guide: {@link io.jocclum.libos.config.OcclumJson} reads an Occlum.json (comments
 * and trailing commas allowed) into the validated {@link io.jocclum.libos.config.OcclumConfig},
 * collecting every problem of the file with its JSON path; {@link io.jocclum.libos.config.BuildPath}
 * decides the build path (SGX_MODE, ENABLE_EDMM, SIM outranks EDMM);
 * {@link io.jocclum.libos.config.Resolver} applies the EDMM resolution rules and produces the
 * {@link io.jocclum.libos.config.EnclaveXml} values and the
 * {@link io.jocclum.libos.config.InternalConfig} the LibOS reads at boot. Pure functions over
 * bytes: no file system access except {@link io.jocclum.libos.config.ImageDigest}.
 */
package io.jocclum.libos.config;
