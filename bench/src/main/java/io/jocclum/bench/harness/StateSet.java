package io.jocclum.bench.harness;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state objects of one fork. A state class with the same parameter values is made once and
 * shared by every benchmark of the fork that uses it, so that ours and an anchor declared on the
 * same state class run against the same set-up. Trial set-ups run when a state is made, trial
 * tear-downs when the fork ends (last made, first torn down).
 */
final class StateSet implements AutoCloseable {
    /** A state object and its fixture methods by level. */
    static final class Instance {
        final Object object;
        final Map<Level, List<Method>> setups = new HashMap<>();
        final Map<Level, List<Method>> teardowns = new HashMap<>();

        Instance(Object object) {
            this.object = object;
            List<Class<?>> chain = new ArrayList<>();
            for (Class<?> c = object.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
                chain.addFirst(c);
            }
            Map<String, Method> seen = new HashMap<>();
            for (Class<?> c : chain.reversed()) { // most derived first, so an override hides what it overrides
                for (Method m : c.getDeclaredMethods()) {
                    if ((m.isAnnotationPresent(Setup.class) || m.isAnnotationPresent(TearDown.class)) && m.getParameterCount() == 0) {
                        seen.putIfAbsent(m.getName(), m);
                    }
                }
            }
            for (Class<?> c : chain) { // superclass fixtures first, as JMH runs them
                for (Method m : c.getDeclaredMethods()) {
                    if (!m.equals(seen.get(m.getName()))) {
                        continue;
                    }
                    m.setAccessible(true);
                    Setup s = m.getAnnotation(Setup.class);
                    if (s != null) {
                        setups.computeIfAbsent(s.value(), k -> new ArrayList<>()).add(m);
                    }
                    TearDown t = m.getAnnotation(TearDown.class);
                    if (t != null) {
                        teardowns.computeIfAbsent(t.value(), k -> new ArrayList<>()).add(m);
                    }
                }
            }
        }

        void setup(Level level) {
            call(setups.getOrDefault(level, List.of()));
        }

        void teardown(Level level) {
            call(teardowns.getOrDefault(level, List.of()));
        }

        private void call(List<Method> ms) {
            for (Method m : ms) {
                try {
                    m.invoke(object);
                } catch (InvocationTargetException e) {
                    throw rethrow(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private final Map<String, Instance> byKey = new HashMap<>();
    private final Deque<Instance> made = new ArrayDeque<>();

    /** The state of class {@code c} for these parameter values (only those of {@code c}'s own @Param fields count). */
    Instance get(Class<?> c, Map<String, String> params) {
        Map<String, Field> fields = BenchMethod.paramFields(c);
        Map<String, String> own = new TreeMap<>();
        fields.keySet().forEach(n -> own.put(n, params.get(n)));
        String key = c.getName() + own;
        Instance i = byKey.get(key);
        if (i == null) {
            i = new Instance(create(c, fields, own));
            byKey.put(key, i);
            made.push(i);
            i.setup(Level.Trial);
        }
        return i;
    }

    private static Object create(Class<?> c, Map<String, Field> fields, Map<String, String> values) {
        try {
            Constructor<?> k = c.getDeclaredConstructor();
            k.setAccessible(true);
            Object o = k.newInstance();
            for (Map.Entry<String, Field> f : fields.entrySet()) {
                f.getValue().setAccessible(true);
                f.getValue().set(o, convert(f.getValue().getType(), values.get(f.getKey()), f.getKey()));
            }
            return o;
        } catch (InvocationTargetException e) {
            throw rethrow(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot make state " + c.getName() + ": " + e, e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Object convert(Class<?> type, String v, String name) {
        if (v == null) {
            throw new IllegalArgumentException("parameter " + name + " has no value");
        }
        if (type == String.class) {
            return v;
        } else if (type == int.class || type == Integer.class) {
            return Integer.parseInt(v);
        } else if (type == long.class || type == Long.class) {
            return Long.parseLong(v);
        } else if (type == boolean.class || type == Boolean.class) {
            return Boolean.parseBoolean(v);
        } else if (type == double.class || type == Double.class) {
            return Double.parseDouble(v);
        } else if (type.isEnum()) {
            return Enum.valueOf((Class<? extends Enum>) type, v);
        }
        throw new IllegalArgumentException("parameter " + name + " has the unsupported type " + type.getName());
    }

    @Override
    public void close() {
        RuntimeException first = null;
        while (!made.isEmpty()) {
            try {
                made.pop().teardown(Level.Trial);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t);
    }
}
