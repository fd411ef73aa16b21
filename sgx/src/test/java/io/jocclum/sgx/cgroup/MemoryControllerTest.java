package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The memory-cgroup model: files, memory.max parsing, hierarchical charge, swap, OOM. */
class MemoryControllerTest extends CgroupTestBase {

    private static final String ZERO_EVENTS = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n";

    private MemCgroup memcg(String path) {
        return fs.cgroup(path).memory();
    }

    @Test
    void memoryFilesExistOnlyBelowTheRootWhereMemoryIsEnabled() {
        fs.mkdir("/a");
        assertThat(fs.list("/")).noneMatch(n -> n.startsWith("memory."));
        assertThat(fs.list("/a")).noneMatch(n -> n.startsWith("memory."));
        fs.write("/", "cgroup.subtree_control", "+memory");
        assertThat(fs.list("/")).noneMatch(n -> n.startsWith("memory."));
        assertThat(fs.list("/a")).filteredOn(n -> n.startsWith("memory.")).containsExactly("memory.current",
                "memory.events", "memory.events.local", "memory.max", "memory.peak", "memory.swap.current",
                "memory.swap.max");
        assertThat(fs.read("/a", "memory.current")).isEqualTo("0\n");
        assertThat(fs.read("/a", "memory.peak")).isEqualTo("0\n");
        assertThat(fs.read("/a", "memory.max")).isEqualTo("max\n");
        assertThat(fs.read("/a", "memory.swap.current")).isEqualTo("0\n");
        assertThat(fs.read("/a", "memory.swap.max")).isEqualTo("max\n");
        assertThat(fs.read("/a", "memory.events")).isEqualTo(ZERO_EVENTS);
        assertThat(fs.read("/a", "memory.events.local")).isEqualTo(ZERO_EVENTS);
        assertThat(errno(() -> fs.write("/a", "memory.current", "0"))).isEqualTo(Errno.EACCES);
        assertThat(errno(() -> fs.write("/a", "memory.peak", "0"))).isEqualTo(Errno.EACCES);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "max|max", "1G|1073741824", "1g|1073741824", "64M|67108864", "8k|8192", "8K\\n|8192", "4097|4096",
        "4095|0", "0|0", "0x2000|8192", "020000|8192", " 12288 |12288", "9223372036854775807|max",
        "1E|1152921504606846976", "18446744073709551615|max", "16E|0"})
    void memoryMaxParsesLikePageCounterMemparseAndRoundsDownToPages(String written, String read) {
        chain("/a");
        fs.write("/a", "memory.max", written.replace("\\n", "\n"));
        assertThat(fs.read("/a", "memory.max")).isEqualTo(read + "\n");
        fs.write("/a", "memory.swap.max", written.replace("\\n", "\n"));
        assertThat(fs.read("/a", "memory.swap.max")).isEqualTo(read + "\n");
    }

    @Test
    void anEmptyMemoryMaxWriteMeansZero() {
        chain("/a");
        fs.write("/a", "memory.max", "\n");
        assertThat(fs.read("/a", "memory.max")).isEqualTo("0\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1KB", "-1", "+4096", "MAX", "Max", "1 G", "ten", "1.5G", "max max"})
    void badMemoryMaxValuesAreEinval(String text) {
        chain("/a");
        assertThat(errno(() -> fs.write("/a", "memory.max", text))).isEqualTo(Errno.EINVAL);
        assertThat(fs.read("/a", "memory.max")).isEqualTo("max\n");
    }

    @Test
    void chargesAreHierarchicalAndTheRootMemcgIsNotCounted() {
        MemCgroup c = chain("/p/c").memory();
        assertThat(mem.tryChargePages(c, 10)).isTrue();
        assertThat(fs.read("/p/c", "memory.current")).isEqualTo("40960\n");
        assertThat(fs.read("/p", "memory.current")).isEqualTo("40960\n");
        assertThat(mem.root().usagePages()).isEqualTo(10);
        assertThat(mem.tryChargePages(mem.root(), 5)).isTrue();
        assertThat(mem.root().usagePages()).isEqualTo(10);
        mem.unchargePages(c, 4);
        assertThat(fs.read("/p", "memory.current")).isEqualTo("24576\n");
        assertThat(fs.read("/p/c", "memory.peak")).isEqualTo("40960\n");
        mem.unchargePages(c, 6);
        mem.unchargePages(mem.root(), 5);
        assertThat(mem.root().usagePages()).isZero();
    }

    @Test
    void taskMemcgIsTheNearestMemoryEnabledCgroup() {
        fs.mkdir("/a");
        HostTask t = h.spawn("t");
        fs.write(t, "/a", "cgroup.procs", "0");
        MemCgroup m = mem.getTaskMemcg(t);
        assertThat(m).isSameAs(mem.root());
        m.put();
        fs.write("/", "cgroup.subtree_control", "+memory");
        fs.write("/", "cgroup.procs", Integer.toString(t.pid()));
        fs.write("/a", "cgroup.procs", Integer.toString(t.pid()));
        m = mem.getTaskMemcg(t);
        assertThat(m).isSameAs(memcg("/a"));
        m.put();
    }

    @Test
    void overTheLimitWithSwapOffTheCgroupIsOutOfMemory() {
        MemCgroup c = chain("/p/c").memory();
        fs.write("/p", "memory.max", "32768");
        mem.setSwapEnabled(false);
        List<MemCgroup> oomCalls = new ArrayList<>();
        mem.setOomKiller(memcg -> {
            oomCalls.add(memcg);
            return null;
        });
        assertThat(mem.tryChargePages(c, 8)).isTrue();
        assertThat(mem.tryChargePages(c, 1)).isFalse();
        assertThat(oomCalls).containsExactly(memcg("/p"));
        assertThat(memcg("/p").eventsLocal(MemoryEvent.OOM)).isEqualTo(1);
        assertThat(memcg("/p").eventsLocal(MemoryEvent.MAX)).isPositive();
        assertThat(memcg("/p").events(MemoryEvent.OOM_KILL)).isZero();
        assertThat(fs.read("/p/c", "memory.events")).isEqualTo(ZERO_EVENTS);
        assertThat(fs.read("/p", "memory.current")).isEqualTo("32768\n");
        mem.unchargePages(c, 8);
        mem.setSwapEnabled(true);
    }

    @Test
    void theOomKillerVictimGetsTheOomKillEvent() {
        MemCgroup c = chain("/p/c").memory();
        HostTask victim = h.spawn("victim");
        fs.write(victim, "/p/c", "cgroup.procs", "0");
        fs.write("/p", "memory.max", "4096");
        mem.setSwapEnabled(false);
        mem.setOomKiller(memcg -> victim);
        assertThat(mem.tryChargePages(c, 2)).isFalse();
        assertThat(fs.read("/p/c", "memory.events.local")).contains("oom_kill 1\n").contains("oom 0\n");
        assertThat(fs.read("/p", "memory.events")).contains("oom 1\n").contains("oom_kill 1\n");
        assertThat(fs.read("/p", "memory.events.local")).contains("oom 1\n").contains("oom_kill 0\n");
        mem.setSwapEnabled(true);
    }

    @Test
    void withSwapOnAChargeOverTheLimitSwapsOtherPagesOut() {
        MemCgroup a = chain("/g/a").memory();
        fs.mkdir("/g/b");
        MemCgroup b = memcg("/g/b");
        fs.write("/g", "memory.max", Long.toString(64 * PAGE));
        assertThat(mem.tryChargePages(a, 40)).isTrue();
        assertThat(mem.tryChargePages(b, 24)).isTrue();
        assertThat(mem.tryChargePages(b, 10)).isTrue();
        assertThat(memcg("/g").usagePages()).isLessThanOrEqualTo(64);
        assertThat(memcg("/g").swapPages()).isPositive();
        assertThat(memcg("/g").usagePages() + memcg("/g").swapPages()).isEqualTo(74);
        assertThat(fs.read("/g", "memory.swap.current")).isEqualTo(memcg("/g").swapPages() * PAGE + "\n");
        assertThat(memcg("/g").eventsLocal(MemoryEvent.MAX)).isPositive();
        assertThat(memcg("/g").eventsLocal(MemoryEvent.OOM)).isZero();
        mem.unchargePages(a, 40);
        mem.unchargePages(b, 34);
        assertThat(memcg("/g").usagePages() + memcg("/g").swapPages()).isZero();
    }

    @Test
    void swapMaxLimitsWhatCanBeSwappedOut() {
        MemCgroup a = chain("/a").memory();
        fs.write("/a", "memory.max", Long.toString(8 * PAGE));
        fs.write("/a", "memory.swap.max", "0");
        assertThat(mem.tryChargePages(a, 8)).isTrue();
        assertThat(mem.tryChargePages(a, 1)).isFalse();
        assertThat(a.eventsLocal(MemoryEvent.OOM)).isEqualTo(1);
        mem.unchargePages(a, 8);
    }

    @Test
    void swapOffBringsSwappedPagesBackAndUnchargeTakesResidentPagesFirst() {
        MemCgroup a = chain("/a").memory();
        fs.write("/a", "memory.max", Long.toString(32 * PAGE));
        assertThat(mem.tryChargePages(a, 32)).isTrue();
        assertThat(mem.tryChargePages(a, 32)).isTrue();
        assertThat(a.usagePages() + a.swapPages()).isEqualTo(64);
        long resident = a.usagePages();
        mem.unchargePages(a, 1);
        assertThat(a.usagePages()).isEqualTo(resident - 1);
        mem.setSwapEnabled(false);
        assertThat(a.swapPages()).isZero();
        assertThat(a.usagePages()).isEqualTo(63); // forced back in, over memory.max
        mem.unchargePages(a, 63);
        mem.setSwapEnabled(true);
    }

    @Test
    void loweringMemoryMaxBelowUsageReclaimsOrGoesOom() {
        MemCgroup a = chain("/a").memory();
        assertThat(mem.tryChargePages(a, 20)).isTrue();
        fs.write("/a", "memory.max", Long.toString(5 * PAGE));
        assertThat(a.usagePages()).isEqualTo(5);
        assertThat(a.swapPages()).isEqualTo(15);
        mem.setSwapEnabled(false);
        List<MemCgroup> oomCalls = new ArrayList<>();
        mem.setOomKiller(memcg -> {
            oomCalls.add(memcg);
            return null;
        });
        fs.write("/a", "memory.max", Long.toString(4 * PAGE));
        assertThat(oomCalls).containsExactly(a);
        assertThat(a.usagePages()).isEqualTo(20);
        assertThat(fs.read("/a", "memory.max")).isEqualTo("16384\n");
        mem.unchargePages(a, 20);
        mem.setSwapEnabled(true);
    }

    @Test
    void eventsAreNotifiedToFileListeners() {
        MemCgroup c = chain("/p/c").memory();
        fs.write("/p/c", "memory.max", "0");
        mem.setSwapEnabled(false);
        List<String> seen = new ArrayList<>();
        h.addFileListener((cg, f) -> seen.add(cg.path() + "/" + f));
        assertThat(mem.tryChargePages(c, 1)).isFalse();
        assertThat(seen).contains("/p/c/memory.events.local", "/p/c/memory.events", "/p/memory.events")
                .doesNotContain("/p/memory.events.local");
        mem.setSwapEnabled(true);
    }

    @Test
    void overUnchargeWarnsAndClampsAtZero() {
        CgroupHierarchy other = new CgroupHierarchy();
        other.fs().write("/", "cgroup.subtree_control", "+memory");
        MemCgroup a = other.fs().mkdir("/a").memory();
        other.memory().unchargePages(a, 3);
        assertThat(other.warnings()).hasSize(2).anyMatch(w -> w.startsWith("page_counter underflow"));
        assertThat(a.usagePages()).isZero();
    }
}
