package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model-based random test: random sequences of mkdir, rmdir, +misc/-misc, task moves, charges,
 * uncharges and misc.max writes run against the hierarchy and against a deliberately simple
 * reference model (plain longs, recursion, no concurrency); after every step every misc file of
 * every cgroup must read exactly what the model predicts, every errno must match, and the set of
 * misc cgroups whose private state is alive must match the model's unreleased csses. The seed is
 * printed in every assertion message; rerun one with {@code -Djocclum.test.seed=N}.
 */
class MiscModelTest extends CgroupTestBase {
    private static final long CAP = 64 * PAGE;
    private static final int STEPS = 3000;

    /** A misc css in the reference model. */
    static final class RefCss {
        final String path;
        final RefCss parent;
        final List<RefCss> children = new ArrayList<>();
        long usage;
        long peak;
        long max = -1;
        long events;
        long eventsLocal;
        int refs = 1;
        boolean released;

        RefCss(String path, RefCss parent) {
            this.path = path;
            this.parent = parent;
            if (parent != null) {
                parent.refs++;
                parent.children.add(this);
            }
        }

        void put() {
            if (--refs == 0) {
                released = true;
                parent.children.remove(this);
                parent.put();
            }
        }
    }

    /** A cgroup in the reference model. */
    static final class RefCg {
        final String path;
        final RefCg parent;
        final Map<String, RefCg> children = new TreeMap<>();
        RefCss css;
        boolean subtreeMisc;
        int tasks;

        RefCg(String path, RefCg parent) {
            this.path = path;
            this.parent = parent;
        }

        RefCss effective() {
            return css != null ? css : parent.effective();
        }
    }

    record Charge(MiscCgroup real, RefCss ref, long amount) {
    }

    /** Tracks which misc cgroups have live private state. */
    static final class LiveOps implements MiscResOps<String> {
        final Map<MiscCgroup, String> live = new IdentityHashMap<>();

        @Override
        public String alloc(MiscCgroup cg) {
            live.put(cg, cg.cgroup().path());
            return cg.cgroup().path();
        }

        @Override
        public void free(MiscCgroup cg, String priv) {
            assertThat(live.remove(cg)).isEqualTo(priv);
        }
    }

    private final long seed = Long.getLong("jocclum.test.seed", ThreadLocalRandom.current().nextLong());
    private final SplittableRandom rnd = new SplittableRandom(seed);
    private final LiveOps ops = new LiveOps();
    private final RefCg refRoot = new RefCg("/", null);
    private final List<HostTask> tasks = new ArrayList<>();
    private final Map<HostTask, RefCg> taskCg = new IdentityHashMap<>();
    private final List<Charge> charges = new ArrayList<>();
    private int step;
    private String op = "setup";
    /** Outcome counts, printed so a run shows what it exercised. */
    private final Map<String, Integer> stats = new TreeMap<>();

    @Test
    void randomSequencesMatchTheReferenceModel() {
        System.out.println("MiscModelTest seed " + seed);
        misc.setOps(SGX_EPC, ops, "root");
        misc.setCapacity(SGX_EPC, CAP);
        refRoot.css = new RefCss("/", null);
        fs.write("/", "cgroup.subtree_control", "+misc");
        refRoot.subtreeMisc = true;
        for (int i = 0; i < 4; i++) {
            HostTask t = h.spawn("w" + i);
            tasks.add(t);
            taskCg.put(t, refRoot);
            refRoot.tasks++;
        }
        for (step = 0; step < STEPS; step++) {
            int dice = rnd.nextInt(100);
            if (dice < 12) {
                mkdir();
            } else if (dice < 20) {
                rmdir();
            } else if (dice < 26) {
                enable();
            } else if (dice < 31) {
                disable();
            } else if (dice < 41) {
                move();
            } else if (dice < 68) {
                charge();
            } else if (dice < 85) {
                uncharge();
            } else {
                setMax();
            }
            compareAll();
        }
        op = "drain";
        while (!charges.isEmpty()) {
            uncharge();
        }
        compareAll();
        assertThat(misc.root().usage(SGX_EPC)).as(ctx()).isZero();
        System.out.println("MiscModelTest seed " + seed + " outcomes " + stats);
        assertThat(stats).as(ctx()).containsKeys("charge ok", "charge EBUSY", "rmdir ok", "rmdir EBUSY",
                "mkdir ok", "-misc ok", "+misc ok", "move ok", "move EBUSY");
    }

    private String ctx() {
        return "seed " + seed + " step " + step + " op " + op;
    }

    private List<RefCg> liveCgroups() {
        List<RefCg> out = new ArrayList<>();
        collect(refRoot, out);
        return out;
    }

    private static void collect(RefCg c, List<RefCg> out) {
        out.add(c);
        for (RefCg k : c.children.values()) {
            collect(k, out);
        }
    }

    private <T> T pick(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    /** Runs {@code action}, expecting {@code expected} (null = success). */
    private void expect(Errno expected, Runnable action) {
        Errno got = null;
        try {
            action.run();
        } catch (ErrnoException e) {
            got = e.errno();
        }
        assertThat(got).as(ctx()).isEqualTo(expected);
        stats.merge(op.substring(0, op.indexOf(' ') < 0 ? op.length() : op.indexOf(' ')) + " "
                + (got == null ? "ok" : got.name()), 1, Integer::sum);
    }

    private void mkdir() {
        List<RefCg> candidates = liveCgroups().stream().filter(c -> c.path.split("/").length < 5).toList();
        RefCg p = pick(candidates);
        String name = "c" + rnd.nextInt(4);
        String path = p.parent == null ? "/" + name : p.path + "/" + name;
        op = "mkdir " + path;
        boolean exists = p.children.containsKey(name);
        expect(exists ? Errno.EEXIST : null, () -> fs.mkdir(path));
        if (!exists) {
            RefCg c = new RefCg(path, p);
            p.children.put(name, c);
            if (p.subtreeMisc) {
                c.css = new RefCss(path, p.css);
            }
        }
    }

    private void rmdir() {
        List<RefCg> candidates = liveCgroups().stream().filter(c -> c.parent != null).toList();
        if (candidates.isEmpty()) {
            return;
        }
        RefCg c = pick(candidates);
        op = "rmdir " + c.path;
        boolean busy = c.tasks > 0 || !c.children.isEmpty();
        expect(busy ? Errno.EBUSY : null, () -> fs.rmdir(c.path));
        if (!busy) {
            c.parent.children.remove(c.path.substring(c.path.lastIndexOf('/') + 1));
            if (c.css != null) {
                c.css.put();
            }
        }
    }

    private void enable() {
        RefCg c = pick(liveCgroups());
        op = "+misc " + c.path;
        Errno e;
        if (c.subtreeMisc) {
            e = null;
        } else if (c.css == null) {
            e = Errno.ENOENT;
        } else if (c.parent != null && c.tasks > 0) {
            e = Errno.EBUSY;
        } else {
            e = null;
        }
        expect(e, () -> fs.write(c.path, "cgroup.subtree_control", "+misc"));
        if (e == null && !c.subtreeMisc) {
            c.subtreeMisc = true;
            for (RefCg k : c.children.values()) {
                k.css = new RefCss(k.path, c.css);
            }
        }
    }

    private void disable() {
        List<RefCg> candidates = liveCgroups().stream().filter(c -> c.parent != null).toList();
        if (candidates.isEmpty()) {
            return;
        }
        RefCg c = pick(candidates);
        op = "-misc " + c.path;
        Errno e = c.subtreeMisc && c.children.values().stream().anyMatch(k -> k.subtreeMisc) ? Errno.EBUSY : null;
        expect(e, () -> fs.write(c.path, "cgroup.subtree_control", "-misc"));
        if (e == null && c.subtreeMisc) {
            c.subtreeMisc = false;
            for (RefCg k : c.children.values()) {
                RefCss old = k.css;
                k.css = null;
                old.put();
            }
        }
    }

    private void move() {
        HostTask t = pick(tasks);
        RefCg dst = pick(liveCgroups());
        op = "move " + t.pid() + " to " + dst.path;
        Errno e = dst.parent != null && dst.subtreeMisc ? Errno.EBUSY : null;
        boolean self = rnd.nextBoolean();
        expect(e, () -> {
            if (self) {
                fs.write(t, dst.path, "cgroup.procs", "0\n");
            } else {
                fs.write(dst.path, "cgroup.procs", Integer.toString(t.pid()));
            }
        });
        if (e == null) {
            taskCg.get(t).tasks--;
            dst.tasks++;
            taskCg.put(t, dst);
        }
    }

    private long randomAmount() {
        int d = rnd.nextInt(10);
        if (d == 0) {
            return 0;
        } else if (d == 1) {
            return 1 + rnd.nextInt(6000);
        } else if (d == 2) {
            return rnd.nextLong();
        }
        return PAGE * (1 + rnd.nextInt(8));
    }

    private void charge() {
        HostTask t = pick(tasks);
        long amount = randomAmount();
        RefCss ref = taskCg.get(t).effective();
        op = "charge " + Long.toUnsignedString(amount) + " to " + ref.path;
        MiscCgroup real = misc.getTaskCgroup(t);
        assertThat(real.cgroup().path()).as(ctx()).isEqualTo(ref.path);
        boolean expected = refCharge(ref, amount);
        boolean got = misc.tryCharge(SGX_EPC, real, amount);
        assertThat(got).as(ctx()).isEqualTo(expected);
        stats.merge(got ? "charge ok" : "charge EBUSY", 1, Integer::sum);
        if (got && amount != 0) {
            charges.add(new Charge(real, ref, amount));
            ref.refs++;
        } else {
            real.put();
        }
    }

    /** The reference charge: spec 1.4 and 1.5 written as plainly as possible. */
    private static boolean refCharge(RefCss cg, long amount) {
        if (amount == 0) {
            return true;
        }
        List<RefCss> levels = new ArrayList<>();
        for (RefCss c = cg; c != null; c = c.parent) {
            levels.add(c);
        }
        for (int i = 0; i < levels.size(); i++) {
            RefCss l = levels.get(i);
            l.usage += amount;
            if (Long.compareUnsigned(l.usage, l.max) > 0 || Long.compareUnsigned(l.usage, CAP) > 0) {
                l.eventsLocal++;
                for (RefCss c = l; c.parent != null; c = c.parent) {
                    c.events++;
                }
                for (int j = 0; j <= i; j++) {
                    levels.get(j).usage -= amount;
                }
                return false;
            }
            if (Long.compareUnsigned(l.usage, l.peak) > 0) {
                l.peak = l.usage;
            }
        }
        return true;
    }

    private void uncharge() {
        if (charges.isEmpty()) {
            return;
        }
        Charge c = charges.remove(rnd.nextInt(charges.size()));
        op = "uncharge " + Long.toUnsignedString(c.amount) + " from " + c.ref.path;
        misc.uncharge(SGX_EPC, c.real, c.amount);
        c.real.put();
        for (RefCss l = c.ref; l != null; l = l.parent) {
            l.usage -= c.amount;
        }
        c.ref.put();
    }

    private void setMax() {
        List<RefCg> candidates = liveCgroups().stream().filter(c -> c.parent != null && c.css != null).toList();
        if (candidates.isEmpty()) {
            return;
        }
        RefCg c = pick(candidates);
        if (rnd.nextInt(8) == 0) {
            String[][] bad = {{"sgx_epc  4096", "EINVAL"}, {"sgx_epc 0x", "EINVAL"}, {"sev 4096", "EINVAL"},
                {"sgx_epc 18446744073709551616", "ERANGE"}, {"sgx_epc", "EINVAL"}, {"sgx_epc 4096 1", "EINVAL"},
                {"sgx_epc -4096", "EINVAL"}, {"sgx_epc 09", "EINVAL"}};
            String[] b = bad[rnd.nextInt(bad.length)];
            op = "misc.max '" + b[0] + "' on " + c.path;
            expect(Errno.valueOf(b[1]), () -> fs.write(c.path, "misc.max", b[0]));
            return;
        }
        long value;
        int d = rnd.nextInt(6);
        if (d == 0) {
            value = -1;
        } else if (d == 1) {
            value = rnd.nextLong();
        } else if (d == 2) {
            value = rnd.nextLong(CAP * 2);
        } else {
            value = PAGE * rnd.nextInt(80);
        }
        String text = switch (rnd.nextInt(4)) {
            case 0 -> value == -1 ? "max" : "0x" + Long.toHexString(value);
            case 1 -> value == -1 ? "max" : "0" + Long.toOctalString(value);
            default -> value == -1 && rnd.nextBoolean() ? "max" : Long.toUnsignedString(value);
        };
        String line = (rnd.nextBoolean() ? " " : "") + "sgx_epc " + text + (rnd.nextBoolean() ? "\n" : "");
        op = "misc.max '" + line.strip() + "' on " + c.path;
        expect(null, () -> assertThat(fs.write(c.path, "misc.max", line)).isEqualTo(line.length()));
        c.css.max = value;
    }

    private void compareAll() {
        for (RefCg c : liveCgroups()) {
            String ctx = ctx() + " at " + c.path;
            if (c.css == null) {
                assertThat(fs.list(c.path)).as(ctx).doesNotContain("misc.current");
                continue;
            }
            RefCss r = c.css;
            assertThat(fs.read(c.path, "misc.current")).as(ctx).isEqualTo(line("sgx_epc", r.usage));
            assertThat(fs.read(c.path, "misc.peak")).as(ctx).isEqualTo(line("sgx_epc", r.peak));
            if (c.parent != null) {
                assertThat(fs.read(c.path, "misc.max")).as(ctx)
                        .isEqualTo(r.max == -1 ? "sgx_epc max\n" : line("sgx_epc", r.max));
                assertThat(fs.read(c.path, "misc.events")).as(ctx).isEqualTo(line("sgx_epc.max", r.events));
                assertThat(fs.read(c.path, "misc.events.local")).as(ctx).isEqualTo(line("sgx_epc.max", r.eventsLocal));
            } else {
                assertThat(misc.root().eventsLocal(SGX_EPC)).as(ctx).isEqualTo(r.eventsLocal);
            }
        }
        List<String> expectedLive = new ArrayList<>();
        collectUnreleased(refRoot.css, expectedLive);
        List<String> actualLive = new ArrayList<>(ops.live.values());
        assertThat(actualLive).as(ctx() + " live misc cgroups").containsExactlyInAnyOrderElementsOf(expectedLive);
        assertThat(CgroupInvariants.violations(h)).as(ctx()).isEmpty();
    }

    private static void collectUnreleased(RefCss c, List<String> out) {
        if (c.parent != null) {
            assertThat(c.released).isFalse();
            out.add(c.path);
        }
        for (RefCss k : c.children) {
            collectUnreleased(k, out);
        }
    }

    private static String line(String key, long v) {
        return key + " " + Long.toUnsignedString(v) + "\n";
    }
}
