package io.jocclum.libos.boot;

import io.jocclum.api.Errno;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code entry_points} of Occlum.json, enforced as Occlum enforces them for a program the
 * host starts ({@code occlum run}; Occlum {@code src/libos/src/entry.rs}
 * {@code validate_program_path}): the path must be absolute (EINVAL), contain no ".."
 * component (EINVAL), and have an entry point as a component-wise prefix (EACCES), checked on
 * the path as given, before any lookup (symbolic links are not resolved). Programs that guests
 * start with posix_spawn are not restricted, as in Occlum.
 */
public final class EntryPoints {
    private final List<List<String>> prefixes;
    private final List<String> raw;

    public EntryPoints(List<String> entryPoints) {
        this.raw = List.copyOf(entryPoints);
        List<List<String>> l = new ArrayList<>();
        for (String e : entryPoints) {
            l.add(components(e));
        }
        this.prefixes = List.copyOf(l);
    }

    /** The configured entry points. */
    public List<String> list() {
        return raw;
    }

    /** Throws {@link ProgramRejected} with Occlum's errno and message when the host may not start {@code path}. */
    public void validate(String path) {
        if (!path.startsWith("/")) {
            throw new ProgramRejected(Errno.EINVAL, "program path must be absolute");
        }
        List<String> c = components(path);
        if (c.contains("..")) {
            throw new ProgramRejected(Errno.EINVAL, "program path cannot contain any parent component (i.e., \"..\")");
        }
        for (List<String> p : prefixes) {
            if (c.size() >= p.size() && c.subList(0, p.size()).equals(p)) {
                return;
            }
        }
        throw new ProgramRejected(Errno.EACCES, "program path is NOT a valid entry point");
    }

    /** Rust's Path::components for an absolute path: "" and "." dropped (except a leading "."), ".." kept. */
    public static List<String> components(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) {
            if (!s.isEmpty() && !s.equals(".")) {
                out.add(s);
            }
        }
        return out;
    }
}
