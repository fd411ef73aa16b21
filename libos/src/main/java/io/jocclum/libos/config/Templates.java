package io.jocclum.libos.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The configurations jocclum ships:
 * <ul>
 *   <li>{@link #occlumTemplate()}: Occlum's {@code etc/template/Occlum.json} (occlum/occlum at
 *       690d5dbf, BSD-3-Clause), what {@code new} and {@code init} write;</li>
 *   <li>{@link #guideExample()}: the EDMM guide's example put into that template in place of its
 *       {@code resource_limits} and {@code process} sections, comments and trailing comma kept,
 *       which must build as written;</li>
 *   <li>{@link #guideSections()}: the guide's example on its own, which must fail with one list of
 *       the missing sections.</li>
 * </ul>
 */
public final class Templates {
    private Templates() {
    }

    public static byte[] occlumTemplate() {
        return resource("Occlum.template.json");
    }

    public static byte[] guideExample() {
        return resource("edmm-guide-example.json");
    }

    public static byte[] guideSections() {
        return resource("edmm-guide-sections.json");
    }

    private static byte[] resource(String name) {
        try (InputStream in = Templates.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the jocclum jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
