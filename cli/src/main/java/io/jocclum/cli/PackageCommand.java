package io.jocclum.cli;

import io.jocclum.libos.config.SgxMode;
import io.jocclum.libos.layout.BuiltEnclave;
import io.jocclum.libos.layout.InstancePaths;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * {@code jocclum package [NAME] [--debug]}: a {@code NAME.tar.gz} (default: the instance
 * directory's name) of what running the instance elsewhere needs, as Occlum's
 * {@code occlum package} (tools/occlum {@code cmd_package}): Occlum.json, build/ (without the
 * build's lock and staging directories) and run/ (the writable layers, without the server's
 * socket and log) under one top directory named after the package; not image/ (the build holds
 * its measured snapshot) and not {@code .jocclum/} (the private signing key). The unpacked
 * directory runs with {@code jocclum run}. A debuggable enclave, and a build for simulation mode
 * ({@code build/.sgx_mode} says SIM), are refused without {@code --debug}, as Occlum refuses them
 * (in that order).
 */
@Command(name = "package", description = {
        "Pack the built instance of the current directory into NAME.tar.gz (Occlum's occlum package): Occlum.json, build/"
                + " and run/, not image/ and not the signing key; unpacked, it runs with jocclum run.",
        "A debuggable enclave (Occlum.json metadata.debuggable) or a build for SGX simulation mode (--sgx-mode SIM) needs"
                + " --debug."})
final class PackageCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
            description = "The package's name or path (.tar.gz is added when missing); default: the instance directory's name,"
                    + " in the instance.")
    String name;

    @Option(names = "--debug", description = "Allow packaging a debuggable enclave or a simulation-mode build.")
    boolean debug;

    PackageCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        InstancePaths paths = Instance.at(cli.cwd);
        BuiltEnclave built = RunCommand.load(paths);
        RunCommand.checkFresh(paths, built);
        if (built.internalConfig().metadata().debuggable() && !debug) {
            throw new UserError(paths.root() + " is built as a debuggable enclave (Occlum.json metadata.debuggable is true), which"
                    + " is no place for secrets; set it to false and build again, or package it anyway with --debug.");
        }
        if (InstanceBuild.builtSgxMode(paths) == SgxMode.SIM && !debug) {
            throw new UserError(paths.root() + " is built for SGX simulation mode (SIM), which protects nothing and is not for"
                    + " use elsewhere; build it with --sgx-mode HW and package again, or package it anyway with --debug.");
        }
        String n = name == null ? paths.root().getFileName().toString() : name;
        if (!n.endsWith(".tar.gz")) {
            n = n + ".tar.gz";
        }
        Path out = paths.root().resolve(n).normalize();
        String top = out.getFileName().toString();
        top = top.substring(0, top.length() - ".tar.gz".length());
        if (top.isEmpty()) {
            throw new UserError("the package name \"" + n + "\" has nothing before .tar.gz; give a name.");
        }
        List<Path> files = contents(paths, out);
        Path parent = out.getParent();
        if (!Files.isDirectory(parent)) {
            throw new UserError("cannot write " + out + ": the directory " + parent + " does not exist.");
        }
        Path tmp = Files.createTempFile(parent, "." + top, ".tar.gz.tmp");
        long bytes;
        try {
            bytes = write(paths.root(), files, top, tmp);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        cli.out.println("packaged " + paths.root() + " into " + out + " (" + files.stream().filter(Files::isRegularFile).count()
                + " files, " + bytes + " bytes of content); unpack it anywhere and run it there with jocclum run.");
        return 0;
    }

    /** What the package holds, relative to the instance, directories before their contents, sorted. */
    private static List<Path> contents(InstancePaths paths, Path pkg) throws IOException {
        Path root = paths.root();
        List<Path> out = new ArrayList<>();
        out.add(root.relativize(paths.occlumJson()));
        for (String dir : List.of("build", "run")) {
            Path d = root.resolve(dir);
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(d)) {
                for (Path p : s.sorted().toList()) {
                    if (p.equals(pkg) || excluded(root.relativize(p))) {
                        continue;
                    }
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        out.add(root.relativize(p));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The build's lock and staging, the upper layer's run lock, the server's socket and log, and
     * what lives below them.
     */
    private static boolean excluded(Path rel) {
        for (Path part : rel) {
            String s = part.toString();
            if (s.startsWith(".staging-") || s.equals(".lock") || s.endsWith(".lock")) {
                return true;
            }
        }
        String f = rel.getFileName().toString();
        return rel.getNameCount() == 2 && rel.getName(0).toString().equals("run")
                && (f.equals(ExecProtocol.SOCKET) || f.equals(StartCommand.LOG));
    }

    /** Writes the tar.gz; returns the bytes of file content it holds. */
    private static long write(Path root, List<Path> files, String top, Path to) throws IOException {
        long bytes = 0;
        try (OutputStream fo = Files.newOutputStream(to); GZIPOutputStream gz = new GZIPOutputStream(fo);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.putArchiveEntry(entry(top + "/", root));
            tar.closeArchiveEntry();
            for (Path rel : files) {
                Path p = root.resolve(rel);
                String entryName = top + "/" + rel.toString().replace('\\', '/') + (Files.isDirectory(p) ? "/" : "");
                TarArchiveEntry e = entry(entryName, p);
                if (Files.isRegularFile(p)) {
                    long size = Files.size(p);
                    e.setSize(size);
                    tar.putArchiveEntry(e);
                    Files.copy(p, tar);
                    bytes += size;
                } else {
                    tar.putArchiveEntry(e);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        return bytes;
    }

    private static TarArchiveEntry entry(String name, Path p) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setModTime(Files.getLastModifiedTime(p));
        e.setMode(mode(p));
        return e;
    }

    private static int mode(Path p) throws IOException {
        int type = Files.isDirectory(p) ? 0040000 : 0100000;
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(p);
        } catch (UnsupportedOperationException e) {
            return type | (Files.isDirectory(p) ? 0755 : 0644);
        }
        int m = 0;
        for (PosixFilePermission x : perms) {
            m |= 1 << (8 - x.ordinal());
        }
        return type | m;
    }
}
