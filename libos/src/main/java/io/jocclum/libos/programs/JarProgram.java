package io.jocclum.libos.programs;

import io.jocclum.api.Errno;
import io.jocclum.api.GuestProgram;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

/**
 * A user program: a jar file of the image. Its manifest names the entry class with the
 * {@value #MAIN_CLASS_ATTRIBUTE} attribute; that class must be public, implement
 * {@link GuestProgram} and have a public no-argument constructor. Anything else is ENOEXEC, as
 * execve reports a file it cannot run.
 *
 * <p>Each load defines the jar's classes afresh in a {@link GuestClassLoader} of their own, so
 * every process of a program has its own static state, as every process of a C program has its
 * own globals. The loader sees the JDK's platform classes and the guest API
 * ({@code io.jocclum.api}), nothing of the LibOS.
 */
public final class JarProgram {
    /** The manifest attribute naming the entry class. */
    public static final String MAIN_CLASS_ATTRIBUTE = "Jocclum-Main-Class";

    private JarProgram() {
    }

    /** The program in {@code jar} (the file's bytes) found at {@code path}. */
    public static LoadedProgram load(String path, byte[] jar) {
        if (jar.length < 4 || jar[0] != 'P' || jar[1] != 'K' || jar[2] != 3 || jar[3] != 4) {
            throw Errno.ENOEXEC.exception(path + " is not a jar file");
        }
        Map<String, byte[]> entries = new HashMap<>();
        String main;
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar), false)) {
            Manifest mf = in.getManifest();
            main = mf == null ? null : mf.getMainAttributes().getValue(new Attributes.Name(MAIN_CLASS_ATTRIBUTE));
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                if (!e.isDirectory()) {
                    entries.put(e.getName(), in.readAllBytes());
                }
            }
        } catch (IOException | RuntimeException e) {
            throw Errno.ENOEXEC.exception(path + " is not a readable jar: " + e.getMessage());
        }
        if (main == null || main.isBlank()) {
            throw Errno.ENOEXEC.exception(path + " has no " + MAIN_CLASS_ATTRIBUTE + " attribute in its manifest");
        }
        GuestClassLoader loader = new GuestClassLoader(path, entries);
        Constructor<? extends GuestProgram> ctor;
        try {
            Class<?> c = loader.loadClass(main.strip());
            if (!GuestProgram.class.isAssignableFrom(c) || !Modifier.isPublic(c.getModifiers())
                    || Modifier.isAbstract(c.getModifiers())) {
                throw Errno.ENOEXEC.exception(path + ": " + main + " is not a public class implementing GuestProgram");
            }
            ctor = c.asSubclass(GuestProgram.class).getConstructor();
        } catch (ClassNotFoundException e) {
            throw Errno.ENOEXEC.exception(path + ": entry class " + main + " is not in the jar");
        } catch (NoSuchMethodException e) {
            throw Errno.ENOEXEC.exception(path + ": " + main + " has no public no-argument constructor");
        } catch (LinkageError e) {
            throw Errno.ENOEXEC.exception(path + ": " + main + " cannot be loaded: " + e);
        }
        return new LoadedProgram(path, LoadedProgram.Kind.JAR, () -> instantiate(ctor), jar);
    }

    private static GuestProgram instantiate(Constructor<? extends GuestProgram> ctor) {
        try {
            return ctor.newInstance();
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("constructor of " + ctor.getDeclaringClass().getName() + " failed: " + t, t);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate " + ctor.getDeclaringClass().getName() + ": " + e, e);
        }
    }

    /** Defines the classes of one jar; delegates the JDK to the platform loader and the guest API to its own loader. */
    static final class GuestClassLoader extends ClassLoader {
        private static final String API = "io.jocclum.api.";
        private final Map<String, byte[]> entries;

        GuestClassLoader(String path, Map<String, byte[]> entries) {
            super("guest:" + path, ClassLoader.getPlatformClassLoader());
            this.entries = entries;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith(API)) {
                return Class.forName(name, false, GuestProgram.class.getClassLoader());
            }
            return super.loadClass(name, resolve);
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] b = entries.get(name.replace('.', '/') + ".class");
            if (b == null) {
                throw new ClassNotFoundException(name);
            }
            return defineClass(name, b, 0, b.length);
        }

        @Override
        public InputStream getResourceAsStream(String name) {
            byte[] b = entries.get(name.startsWith("/") ? name.substring(1) : name);
            return b != null ? new ByteArrayInputStream(b) : super.getResourceAsStream(name);
        }
    }
}
