package io.jocclum.cli;

import io.jocclum.libos.config.ConfigProblem;
import io.jocclum.libos.config.BuildRequest;
import io.jocclum.libos.config.ResolvedConfig;
import io.jocclum.libos.layout.EnclaveLayout;
import io.jocclum.libos.layout.InstancePaths;

import java.nio.file.Path;
import java.util.List;

/**
 * What a build did. When {@code skipped} (nothing changed), only {@code paths}, {@code request}
 * and {@code keyFile} are set.
 */
record BuildReport(boolean skipped, InstancePaths paths, BuildRequest request, ResolvedConfig resolved,
                   EnclaveLayout layout, byte[] mrenclave, byte[] mrsigner, Path keyFile, boolean keyGenerated,
                   List<ConfigProblem> warnings) {

    static BuildReport skipped(InstancePaths paths, BuildRequest request, Path keyFile) {
        return new BuildReport(true, paths, request, null, null, null, null, keyFile, false,
                request.warnings().stream().map(w -> new ConfigProblem(ConfigProblem.Severity.WARNING, "", w)).toList());
    }
}
