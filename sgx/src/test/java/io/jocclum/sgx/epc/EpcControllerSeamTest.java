package io.jocclum.sgx.epc;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.cgroup.HostTask;
import io.jocclum.sgx.cgroup.Mm;
import io.jocclum.sgx.driver.EnclaveFd;
import io.jocclum.sgx.driver.SgxPlatform;
import io.jocclum.sgx.testing.SgxInvariantsExtension;
import io.jocclum.sgx.testing.SgxTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.jocclum.sgx.testing.SgxTestSupport.BASE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A toy per-group controller (flat groups, a page limit and an LRU each) plugged into the seam: what
 * a v17 misc-cgroup controller needs works without touching the driver.
 */
@ExtendWith(SgxInvariantsExtension.class)
class EpcControllerSeamTest {

    static final class Group implements EpcGroup {
        final String name;
        final long limit;
        final AtomicLong usage = new AtomicLong();
        final EpcLru lru;
        final java.util.concurrent.atomic.AtomicBoolean workQueued = new java.util.concurrent.atomic.AtomicBoolean();

        Group(String name, long limit) {
            this.name = name;
            this.limit = limit;
            this.lru = new EpcLru(name);
        }

        @Override
        public String name() {
            return name;
        }
    }

    static final class ToyController implements EpcController {
        final EpcServices services;
        final Group root = new Group("/", Long.MAX_VALUE);
        final List<Group> groups = new ArrayList<>(List.of(root));
        final List<String> calls = new ArrayList<>();
        /** The toy's own grouping of tasks (a real controller reads the task's cgroup). */
        final java.util.Map<HostTask, Group> members = new java.util.concurrent.ConcurrentHashMap<>();

        ToyController(EpcServices s) {
            this.services = s;
        }

        Group group(String name, long limit) {
            Group g = new Group(name, limit);
            groups.add(g);
            return g;
        }

        void assign(HostTask task, Group g) {
            members.put(task, g);
        }

        @Override
        public EpcGroup currentGroup(HostTask task) {
            return members.getOrDefault(task, root);
        }

        @Override
        public void putGroup(EpcGroup group) {
        }

        @Override
        public synchronized Errno tryCharge(EpcGroup group, Reclaim reclaim, HostTask task) {
            Group g = (Group) group;
            while (true) {
                if (g.usage.incrementAndGet() <= g.limit) {
                    return null;
                }
                g.usage.decrementAndGet();
                if (g.lru.isEmpty()) {
                    calls.add("ENOMEM " + g.name);
                    return Errno.ENOMEM;
                }
                if (reclaim == Reclaim.SGX_NO_RECLAIM) {
                    // the group's one async work item (queue_work of a queued item is a no-op)
                    if (g.workQueued.compareAndSet(false, true)) {
                        Thread.ofVirtual().start(() -> {
                            services.reclaimPages(g.lru, null);
                            g.workQueued.set(false);
                        });
                    }
                    return Errno.EBUSY;
                }
                calls.add("reclaim " + g.name);
                services.reclaimPages(g.lru, task.mm());
            }
        }

        @Override
        public void uncharge(EpcGroup group) {
            ((Group) group).usage.decrementAndGet();
        }

        @Override
        public EpcLru lru(EpcGroup group) {
            return ((Group) group).lru;
        }

        @Override
        public boolean canReclaimGlobal() {
            return groups.stream().anyMatch(g -> !g.lru.isEmpty());
        }

        @Override
        public void reclaimGlobal(Mm chargeMm) {
            for (Group g : groups) {
                if (!g.lru.isEmpty()) {
                    services.reclaimPages(g.lru, chargeMm);
                    return;
                }
            }
        }

        @Override
        public void reclaimDirect(HostTask task) {
        }
    }

    @Test
    void perGroupLimitsReclaimOnlyTheGroupsOwnLru() {
        ToyController[] ctl = new ToyController[1];
        SgxPlatform p = SgxPlatform.start(SgxTestSupport.config(1024).build(), s -> ctl[0] = new ToyController(s));
        SgxTestSupport.track(p);
        ToyController c = ctl[0];
        assertThat(p.controller()).isSameAs(c);
        Group small = c.group("small", 40);
        HostTask a = p.newTask("a");
        HostTask b = p.newTask("b");
        c.assign(a, small);
        EnclaveFd fdB = SgxTestSupport.load(p, b, SgxTestSupport.image(1 << 21, 100));
        EnclaveFd fdA = SgxTestSupport.load(p, a, SgxTestSupport.image(1 << 21, 100));
        assertThat(small.usage.get()).isLessThanOrEqualTo(40);
        assertThat(c.calls).contains("reclaim small").noneMatch(x -> x.contains("reclaim /"));
        assertThat(fdB.enclave().residentPages()).as("the other group's pages were not touched").isEqualTo(102);
        assertThat(c.root.usage.get()).isEqualTo(102 + 2);
        for (int i = 0; i < 100; i++) {
            fdA.context().writeInt(BASE + 0x2000 + i * 4096L, i);   // faults over the limit: EBUSY, async reclaim, retry
        }
        fdA.close();
        fdB.close();
        assertThat(small.usage.get()).isZero();
        assertThat(c.root.usage.get()).isZero();
    }

    @Test
    void nothingReclaimableInTheGroupIsEnomem() {
        ToyController[] ctl = new ToyController[1];
        SgxPlatform p = SgxPlatform.start(SgxTestSupport.config(1024).build(), s -> ctl[0] = new ToyController(s));
        SgxTestSupport.track(p);
        Group tiny = ctl[0].group("tiny", 1);
        HostTask t = p.newTask("t");
        ctl[0].assign(t, tiny);
        EnclaveFd fd = p.openEnclave(t);
        assertThatThrownBy(() -> fd.create(SgxTestSupport.image(1 << 20, 1).secs()))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOMEM));
        assertThat(ctl[0].calls).containsExactly("ENOMEM tiny");
        assertThat(tiny.usage.get()).as("the VA page's charge was undone").isZero();
        fd.close();
    }
}
