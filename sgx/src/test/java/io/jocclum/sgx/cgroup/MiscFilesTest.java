package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.jocclum.sgx.cgroup.MiscResource.SEV;
import static io.jocclum.sgx.cgroup.MiscResource.SGX_EPC;
import static org.assertj.core.api.Assertions.assertThat;

/** The misc interface files: where they exist, what they print, how misc.max parses (spec 1.1-1.2). */
class MiscFilesTest extends CgroupTestBase {

    @Test
    void rootHasCapacityCurrentPeakButNoMaxOrEvents() {
        assertThat(fs.list("/")).containsExactly("cgroup.controllers", "cgroup.procs",
                "cgroup.subtree_control", "misc.capacity", "misc.current", "misc.peak");
        assertThat(errno(() -> fs.read("/", "misc.max"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.write("/", "misc.max", "sgx_epc 4096"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.read("/", "misc.events"))).isEqualTo(Errno.ENOENT);
        assertThat(errno(() -> fs.read("/", "misc.events.local"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void childGetsMiscFilesOnlyWhenTheParentEnablesMisc() {
        fs.mkdir("/a");
        assertThat(fs.list("/a")).containsExactly("cgroup.controllers", "cgroup.events", "cgroup.procs",
                "cgroup.subtree_control");
        fs.write("/", "cgroup.subtree_control", "+misc");
        assertThat(fs.list("/a")).containsExactly("cgroup.controllers", "cgroup.events", "cgroup.procs",
                "cgroup.subtree_control", "misc.current", "misc.events", "misc.events.local", "misc.max",
                "misc.peak");
        assertThat(errno(() -> fs.read("/a", "misc.capacity"))).isEqualTo(Errno.ENOENT);
    }

    @Test
    void beforeCapacityTheSgxEpcLinesAreAbsentAndMaxWritesFail() {
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
        for (String f : new String[] {"misc.capacity", "misc.current", "misc.peak"}) {
            assertThat(fs.read("/", f)).as(f).isEmpty();
        }
        for (String f : new String[] {"misc.current", "misc.peak", "misc.max", "misc.events", "misc.events.local"}) {
            assertThat(fs.read("/a", f)).as(f).isEmpty();
        }
        assertThat(errno(() -> fs.write("/a", "misc.max", "sgx_epc 4096"))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> fs.write("/a", "misc.max", "sgx_epc max"))).isEqualTo(Errno.EINVAL);
    }

    @Test
    void afterCapacityEveryFilePrintsTheSgxEpcLine() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
        assertThat(fs.read("/", "misc.capacity")).isEqualTo("sgx_epc 134217728\n");
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 0\n");
        assertThat(fs.read("/", "misc.peak")).isEqualTo("sgx_epc 0\n");
        assertThat(fs.read("/a", "misc.current")).isEqualTo("sgx_epc 0\n");
        assertThat(fs.read("/a", "misc.peak")).isEqualTo("sgx_epc 0\n");
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sgx_epc max\n");
        assertThat(fs.read("/a", "misc.events")).isEqualTo("sgx_epc.max 0\n");
        assertThat(fs.read("/a", "misc.events.local")).isEqualTo("sgx_epc.max 0\n");
    }

    @Test
    void linesFollowResourceOrderAndOnlyResourcesWithCapacityOrValues() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        misc.setCapacity(SEV, 509);
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
        assertThat(fs.read("/", "misc.capacity")).isEqualTo("sev 509\nsgx_epc 134217728\n");
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sev max\nsgx_epc max\n");
        fs.write("/a", "misc.max", "sev 3");
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sev 3\nsgx_epc max\n");
        assertThat(fs.read("/a", "misc.events")).isEqualTo("sev.max 0\nsgx_epc.max 0\n");
    }

    @Test
    void usageStaysVisibleWhenTheCapacityGoesBackToZero() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        assertThat(misc.tryCharge(SGX_EPC, misc.root(), PAGE)).isTrue();
        misc.setCapacity(SGX_EPC, 0); // the driver resets it when its cgroup init fails
        assertThat(fs.read("/", "misc.capacity")).isEmpty();
        assertThat(fs.read("/", "misc.current")).isEqualTo("sgx_epc 4096\n");
        misc.uncharge(SGX_EPC, misc.root(), PAGE);
        assertThat(fs.read("/", "misc.current")).isEmpty();
        assertThat(fs.read("/", "misc.peak")).isEqualTo("sgx_epc 4096\n");
    }

    @Test
    void readOnlyFilesRefuseWritesWithEacces() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
        for (String f : new String[] {"misc.current", "misc.peak", "misc.events", "misc.events.local"}) {
            assertThat(errno(() -> fs.write("/a", f, "sgx_epc 1"))).as(f).isEqualTo(Errno.EACCES);
        }
        assertThat(errno(() -> fs.write("/", "misc.capacity", "sgx_epc 1"))).isEqualTo(Errno.EACCES);
        assertThat(errno(() -> fs.write("/a", "cgroup.controllers", "misc"))).isEqualTo(Errno.EACCES);
    }

    // ------------------------------------------------------------ misc.max parsing (spec 1.2)

    private void setUpLimitTarget() {
        misc.setCapacity(SGX_EPC, CAPACITY);
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "sgx_epc 4097|sgx_epc 4097",
        "sgx_epc 1|sgx_epc 1",
        "sgx_epc 0|sgx_epc 0",
        "sgx_epc 0x1000|sgx_epc 4096",
        "sgx_epc 0X10|sgx_epc 16",
        "sgx_epc 010|sgx_epc 8",
        "sgx_epc +5|sgx_epc 5",
        "sgx_epc max|sgx_epc max",
        "sgx_epc 18446744073709551614|sgx_epc 18446744073709551614",
        "sgx_epc 18446744073709551615|sgx_epc max",
        "sgx_epc 1099511627776|sgx_epc 1099511627776"})
    void validValuesAreStoredRawInBytes(String written, String read) {
        setUpLimitTarget();
        fs.write("/a", "misc.max", written);
        assertThat(fs.read("/a", "misc.max")).isEqualTo(read + "\n");
    }

    @Test
    void surroundingWhitespaceIsStrippedAndTheByteCountReturned() {
        setUpLimitTarget();
        assertThat(fs.write("/a", "misc.max", "sgx_epc 8192\n")).isEqualTo(13);
        assertThat(fs.write("/a", "misc.max", " \tsgx_epc 12288 \n")).isEqualTo(17);
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sgx_epc 12288\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgx_epc  4096", "sgx_epc\t4096", "sgx_epc", "sgx_epc ", "", "\n", "4096",
        "sgx 4096", "SGX_EPC 4096", "sgx_epc.max 4096", "sgx_epc MAX", "sgx_epc Max", "sgx_epc -1",
        "sgx_epc 08", "sgx_epc 0x", "sgx_epc 4096 8192", "sgx_epc 4k", "sgx_epc 1.5", " sgx_epc 4096x",
        "sev 10", "tdx max"})
    void malformedOrUnknownOrCapacitylessWritesFailWithEinvalAndChangeNothing(String text) {
        setUpLimitTarget();
        fs.write("/a", "misc.max", "sgx_epc 4096");
        assertThat(errno(() -> fs.write("/a", "misc.max", text))).isEqualTo(Errno.EINVAL);
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sgx_epc 4096\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgx_epc 18446744073709551616", "sgx_epc 0x10000000000000000",
        "sgx_epc 99999999999999999999999"})
    void overflowFailsWithErange(String text) {
        setUpLimitTarget();
        assertThat(errno(() -> fs.write("/a", "misc.max", text))).isEqualTo(Errno.ERANGE);
        assertThat(fs.read("/a", "misc.max")).isEqualTo("sgx_epc max\n");
    }

    @Test
    void capacityZeroIsEinvalButParseErrorsComeFirst() {
        fs.write("/", "cgroup.subtree_control", "+misc");
        fs.mkdir("/a");
        assertThat(errno(() -> fs.write("/a", "misc.max", "sgx_epc 4096"))).isEqualTo(Errno.EINVAL);
        assertThat(errno(() -> fs.write("/a", "misc.max", "sgx_epc 18446744073709551616"))).isEqualTo(Errno.ERANGE);
    }

    @Test
    void writesLongerThanAPageAreE2big() {
        setUpLimitTarget();
        String longText = "sgx_epc 4096" + " ".repeat(4096);
        assertThat(errno(() -> fs.write("/a", "misc.max", longText))).isEqualTo(Errno.E2BIG);
        assertThat(fs.write("/a", "misc.max", "sgx_epc 4096" + " ".repeat(4096 - 12))).isEqualTo(4096);
    }

    @Test
    void aLimitBelowUsageIsAcceptedAndNothingIsTakenBack() {
        setUpLimitTarget();
        MiscCgroup a = fs.cgroup("/a").misc();
        assertThat(misc.tryCharge(SGX_EPC, a, 4 * PAGE)).isTrue();
        fs.write("/a", "misc.max", "sgx_epc 4096");
        assertThat(fs.read("/a", "misc.current")).isEqualTo("sgx_epc 16384\n");
        assertThat(fs.read("/a", "misc.events")).isEqualTo("sgx_epc.max 0\n");
        misc.uncharge(SGX_EPC, a, 4 * PAGE);
    }
}
