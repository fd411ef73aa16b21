package io.jocclum.libos.os;

import io.jocclum.api.Errno;
import io.jocclum.api.FileMode;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.OcclumDcap;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SgxIoctls;
import io.jocclum.api.Stat;
import io.jocclum.api.Syscalls;
import io.jocclum.libos.boot.PlatformSettings;
import io.jocclum.sgx.arch.Attributes;
import io.jocclum.sgx.arch.KeyRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.jocclum.libos.os.ProcessTest.assertErrno;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Occlum's {@code /dev/sgx} through guest programs: the ioctl ABI (numbers with the struct size
 * encoded, NULL and bad pointers, a quote buffer too small, a NULL or short supplemental buffer) with
 * Linux's errnos and with Occlum's collapse to EINVAL, reports (VERIFY_REPORT accepts only a REPORT
 * made for this enclave on this platform), seal keys (stable across runs, different for another
 * enclave or platform), and quote generation and verification through the occlum_dcap.h helper.
 */
class DevSgxTest extends OsTestBase {
    static final InstantSource JUNE_2025 = InstantSource.fixed(Instant.parse("2025-06-01T00:00:00Z"));
    private static final Map<String, String> KEYS = new ConcurrentHashMap<>();

    private Booted dcap(Matrix m, PlatformSettings p) {
        return boot("standard", m, p, JUNE_2025, b -> { });
    }

    @ParameterizedTest
    @EnumSource(Matrix.class)
    void theDeviceAndItsSimpleIoctls(Matrix m) throws Exception {
        os(m).run((sys, argv, envp) -> {
            Stat st = sys.stat("/dev/sgx");
            assertThat(st.mode() & FileMode.S_IFMT).isEqualTo(FileMode.S_IFCHR);
            int fd = sys.open("/dev/sgx", OpenFlags.O_RDWR, 0);
            long buf = Libc.alloc(sys, 4096);
            assertErrno(() -> sys.read(fd, buf, 16), Errno.EPERM);
            sys.ioctl(fd, SgxIoctls.IS_EDMM_SUPPORTED, buf);
            assertThat(sys.loadInt(buf)).as("EDMM").isEqualTo(m.edmmBuild ? 1 : 0);
            sys.ioctl(fd, SgxIoctls.DETECT_DCAP_DRIVER, buf);
            assertThat(sys.loadInt(buf)).isEqualTo(1);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.ioc(SgxIoctls.IOC_READ, 7, 8), buf), Errno.ENOTTY);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.ioc(SgxIoctls.IOC_READ, 12, 4), buf), Errno.ENOTTY);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.IS_EDMM_SUPPORTED, 0), Errno.EFAULT);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.SELF_TARGET, buf + 4096 - 100), Errno.EFAULT);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.GET_EPID_GROUP_ID, buf), Errno.EOPNOTSUPP);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.GEN_EPID_QUOTE, buf), Errno.EOPNOTSUPP);
            assertErrno(() -> sys.ioctl(fd, io.jocclum.api.Ioctls.FIONREAD, buf), Errno.ENOTTY);
            sys.close(fd);
            return 0;
        }).assertOk();
    }

    @Test
    void theIoctlNumbersAreOcclums() {
        assertThat(SgxIoctls.ioc(2, 0, 4)).isEqualTo(SgxIoctls.IS_EDMM_SUPPORTED);
        assertThat(SgxIoctls.ioc(2, 3, 512)).isEqualTo(SgxIoctls.SELF_TARGET);
        assertThat(SgxIoctls.ioc(3, 4, 24)).isEqualTo(SgxIoctls.CREATE_REPORT);
        assertThat(SgxIoctls.ioc(1, 5, 432)).isEqualTo(SgxIoctls.VERIFY_REPORT);
        assertThat(SgxIoctls.ioc(3, 8, 24)).isEqualTo(SgxIoctls.GEN_DCAP_QUOTE);
        assertThat(SgxIoctls.ioc(3, 10, 48)).isEqualTo(SgxIoctls.VER_DCAP_QUOTE);
        assertThat(SgxIoctls.ioc(3, 11, 16)).isEqualTo(SgxIoctls.GET_KEY);
    }

    /** CREATE_REPORT for {@code target} (0: none) into {@code out}. */
    static void createReport(Syscalls sys, int fd, long target, long data, long out, long arg) {
        sys.storeLong(arg, target);
        sys.storeLong(arg + 8, data);
        sys.storeLong(arg + 16, out);
        sys.ioctl(fd, SgxIoctls.CREATE_REPORT, arg);
    }

    @Test
    void verifyReportAcceptsOnlyReportsForThisEnclaveOnThisPlatform() throws Exception {
        os(Matrix.EDMM_ON_SGX2).run((sys, argv, envp) -> {
            int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
            long m = Libc.alloc(sys, 8192);
            long ti = m;
            long report = m + 512;
            long data = m + 1024;
            long arg = m + 2048;
            sys.ioctl(fd, SgxIoctls.SELF_TARGET, ti);
            sys.fillBytes(data, 64, (byte) 7);
            createReport(sys, fd, ti, data, report, arg);
            sys.ioctl(fd, SgxIoctls.VERIFY_REPORT, report);
            byte[] rd = new byte[64];
            sys.loadBytes(report + 320, rd, 0, 64);
            assertThat(rd).containsOnly(7);
            sys.storeByte(report + 320, (byte) 8);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.VERIFY_REPORT, report), Errno.EINVAL);
            createReport(sys, fd, 0, 0, report, arg);
            assertErrno(() -> sys.ioctl(fd, SgxIoctls.VERIFY_REPORT, report), Errno.EINVAL);
            assertErrno(() -> createReport(sys, fd, ti, data, 0, arg), Errno.EINVAL);
            assertErrno(() -> createReport(sys, fd, 0x10, data, report, arg), Errno.EFAULT);
            return 0;
        }).assertOk();
    }

    @Test
    void verifyReportRefusesAReportOfTheSameEnclaveFromAnotherPlatform() throws Exception {
        GuestProgram make = (sys, argv, envp) -> {
            int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
            long m = Libc.alloc(sys, 4096);
            sys.ioctl(fd, SgxIoctls.SELF_TARGET, m);
            createReport(sys, fd, m, 0, m + 512, m + 1024);
            byte[] r = new byte[SgxIoctls.REPORT_SIZE];
            sys.loadBytes(m + 512, r, 0, r.length);
            KEYS.put("report", HexFormat.of().formatHex(r));
            return 0;
        };
        GuestProgram check = (sys, argv, envp) -> {
            int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
            long m = Libc.alloc(sys, 4096);
            byte[] r = HexFormat.of().parseHex(KEYS.get("report"));
            sys.storeBytes(m, r, 0, r.length);
            if (argv.length > 1 && argv[1].equals("same")) {
                sys.ioctl(fd, SgxIoctls.VERIFY_REPORT, m);
            } else {
                assertErrno(() -> sys.ioctl(fd, SgxIoctls.VERIFY_REPORT, m), Errno.EINVAL);
            }
            return 0;
        };
        os(Matrix.PLAIN_ON_SGX2).run(make).assertOk();
        os(Matrix.PLAIN_ON_SGX2).run(check, "same").assertOk();
        boot("standard", Matrix.PLAIN_ON_SGX2, PLATFORM.withSeed(77), b -> { }).run(check, "other").assertOk();
    }

    /** A KEYREQUEST for a seal key with {@code policy}, at SVN 0 and CPUSVN 0. */
    static byte[] sealRequest(int policy) {
        return new KeyRequest(KeyRequest.SEAL_KEY, policy, 0, new byte[16], new Attributes(0xFF0000000000000BL, 0), new byte[32],
                0, 0).toBytes();
    }

    /** Runs GET_KEY for both seal policies and stores them under {@code name}. */
    private static int sealKeys(Syscalls sys, String name) {
        int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
        long m = Libc.alloc(sys, 4096);
        StringBuilder out = new StringBuilder();
        for (int policy : new int[]{KeyRequest.POLICY_MRENCLAVE, KeyRequest.POLICY_MRSIGNER}) {
            byte[] kr = sealRequest(policy);
            sys.storeBytes(m, kr, 0, kr.length);
            sys.storeLong(m + 1024, m);
            sys.storeLong(m + 1032, m + 2048);
            sys.ioctl(fd, SgxIoctls.GET_KEY, m + 1024);
            byte[] key = new byte[16];
            sys.loadBytes(m + 2048, key, 0, 16);
            out.append(HexFormat.of().formatHex(key)).append(' ');
        }
        sys.storeLong(m + 1024, 0);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GET_KEY, m + 1024), Errno.EINVAL);
        byte[] bad = new KeyRequest(9, 0, 0, new byte[16], new Attributes(0, 0), new byte[32], 0, 0).toBytes();
        sys.storeBytes(m, bad, 0, bad.length);
        sys.storeLong(m + 1024, m);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GET_KEY, m + 1024), Errno.EINVAL);
        KEYS.put(name, out.toString().strip());
        return 0;
    }

    @Test
    void sealKeysAreStableAndBoundToEnclaveSignerAndPlatform() throws Exception {
        os(Matrix.PLAIN_ON_SGX2).run((sys, a, e) -> sealKeys(sys, "first")).assertOk();
        os(Matrix.PLAIN_ON_SGX2).run((sys, a, e) -> sealKeys(sys, "again")).assertOk();
        boot("standard", Matrix.PLAIN_ON_SGX2, PLATFORM, b -> { }).run((sys, a, e) -> sealKeys(sys, "reboot")).assertOk();
        boot("other-image", Matrix.PLAIN_ON_SGX2, PLATFORM, b -> b.file("etc/other", new byte[]{1}))
                .run((sys, a, e) -> sealKeys(sys, "other-enclave")).assertOk();
        boot("standard", Matrix.PLAIN_ON_SGX2, PLATFORM.withSeed(99), b -> { })
                .run((sys, a, e) -> sealKeys(sys, "other-platform")).assertOk();
        String[] first = KEYS.get("first").split(" ");
        assertThat(KEYS.get("again")).isEqualTo(KEYS.get("first"));
        assertThat(KEYS.get("reboot")).as("a new boot of the same enclave").isEqualTo(KEYS.get("first"));
        String[] other = KEYS.get("other-enclave").split(" ");
        assertThat(other[0]).as("MRENCLAVE policy, another MRENCLAVE").isNotEqualTo(first[0]);
        assertThat(other[1]).as("MRSIGNER policy, same signer").isEqualTo(first[1]);
        String[] otherPlatform = KEYS.get("other-platform").split(" ");
        assertThat(otherPlatform[0]).isNotEqualTo(first[0]);
        assertThat(otherPlatform[1]).isNotEqualTo(first[1]);
    }

    @Test
    void aQuoteThroughTheHelperVerifiesInsideTheEnclave() throws Exception {
        Booted.Result r = dcap(Matrix.EDMM_ON_SGX2, PLATFORM).run((sys, argv, envp) -> {
            OcclumDcap h = OcclumDcap.open(sys);
            assertThat(h).isNotNull();
            long rd = Libc.alloc(sys, 4096);
            byte[] text = "jocclum report data".getBytes(StandardCharsets.US_ASCII);
            sys.storeBytes(rd, text, 0, text.length);
            assertThat(h.generateQuote(rd + 1024, rd)).as("without quoteSize first the capacity is 0").isEqualTo(-1);
            int size = h.quoteSize();
            assertThat(size).isBetween(4000, 6000);
            long quote = Libc.alloc(sys, size);
            assertThat(h.generateQuote(quote, rd)).isZero();
            byte[] back = new byte[text.length];
            sys.loadBytes(quote + 368, back, 0, back.length);
            assertThat(back).isEqualTo(text);
            int sup = h.supplementalDataSize();
            assertThat(sup).isEqualTo(536);
            long out = Libc.alloc(sys, 4096);
            sys.storeInt(out, 77);
            sys.storeInt(out + 4, 77);
            assertThat(h.verifyQuote(quote, size, out, out + 4, sup, out + 8)).isZero();
            assertThat(sys.loadInt(out)).as("collateral expiration status").isZero();
            assertThat(sys.loadInt(out + 4)).isEqualTo(SgxIoctls.QV_RESULT_OK);
            assertThat(sys.loadInt(out + 8) & 0xFFFF).as("supplemental major version").isEqualTo(3);
            assertThat(h.verifyQuote(quote, size, out, out + 4, 0, 0)).as("no supplemental buffer").isZero();
            assertThat(h.verifyQuote(quote, size, out, out + 4, sup - 1, out + 8)).as("short supplemental buffer").isEqualTo(-1);
            sys.storeByte(quote + 368, (byte) 'J');
            assertThat(h.verifyQuote(quote, size, out, out + 4, 0, 0)).as("a terminal verdict fails").isEqualTo(-1);
            h.close();
            return 0;
        }).assertOk();
        assertThat(r.out()).as("the helper prints each failed ioctl as the C library does")
                .contains("OS error: Invalid argument (os error 22)");
    }

    @ParameterizedTest
    @EnumSource(names = {"EDMM_ON_SGX2", "PLAIN_ON_SGX1"})
    void theDcapIoctlsCheckTheirArguments(Matrix m) throws Exception {
        dcap(m, PLATFORM).run((sys, argv, envp) -> {
            abiErrors(sys, false);
            return 0;
        }).assertOk();
    }

    @Test
    void occlumCompatCollapsesEveryErrorToEinval() throws Exception {
        dcap(Matrix.PLAIN_ON_SGX2, PLATFORM.withAttestation(PLATFORM.attestation().withOcclumCompatErrno(true)))
                .run((sys, argv, envp) -> {
                    abiErrors(sys, true);
                    return 0;
                }).assertOk();
    }

    @Test
    void withoutADcapDriverTheQuoteIoctlsAreNotReady() throws Exception {
        dcap(Matrix.PLAIN_ON_SGX2, PLATFORM.withAttestation(PLATFORM.attestation().withDcapDriver(false)))
                .run((sys, argv, envp) -> {
                    int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
                    long m = Libc.alloc(sys, 4096);
                    sys.ioctl(fd, SgxIoctls.DETECT_DCAP_DRIVER, m);
                    assertThat(sys.loadInt(m)).isZero();
                    assertErrno(() -> sys.ioctl(fd, SgxIoctls.GET_DCAP_QUOTE_SIZE, m), Errno.EIO);
                    assertErrno(() -> sys.ioctl(fd, SgxIoctls.GET_DCAP_SUPPLEMENTAL_SIZE, m), Errno.EIO);
                    sys.ioctl(fd, SgxIoctls.SELF_TARGET, m);
                    return 0;
                }).assertOk();
    }

    /** The spec'd argument errors of GEN_DCAP_QUOTE and VER_DCAP_QUOTE (all EINVAL in Occlum-compat mode). */
    private static void abiErrors(Syscalls sys, boolean compat) {
        int fd = sys.open("/dev/sgx", OpenFlags.O_RDONLY, 0);
        long m = Libc.alloc(sys, 3 * 4096);
        long arg = m;
        long len = m + 64;
        long rd = m + 128;
        long out = m + 256;
        Errno fault = compat ? Errno.EINVAL : Errno.EFAULT;
        Errno notty = compat ? Errno.EINVAL : Errno.ENOTTY;
        sys.ioctl(fd, SgxIoctls.GET_DCAP_QUOTE_SIZE, len);
        int size = sys.loadInt(len);
        long big = Libc.alloc(sys, size);
        sys.ioctl(fd, SgxIoctls.GET_DCAP_SUPPLEMENTAL_SIZE, len);
        int sup = sys.loadInt(len);
        long supBuf = Libc.alloc(sys, sup);
        long unmapped = m + 2 * 4096;
        sys.munmap(unmapped, 4096);
        long quote = unmapped - 100;
        // size encoded in the number
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.ioc(3, 8, 32), arg), notty);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, 0), fault);
        // quote_len: NULL, too small, buffer not writable for it
        sys.storeLong(arg, rd);
        sys.storeLong(arg + 8, 0);
        sys.storeLong(arg + 16, big);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, arg), fault);
        sys.storeLong(arg + 8, len);
        sys.storeInt(len, size - 1);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, arg), Errno.EINVAL);
        sys.storeInt(len, size);
        sys.storeLong(arg + 16, quote);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, arg), fault);
        sys.storeLong(arg + 16, big);
        sys.storeLong(arg, unmapped);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, arg), fault);
        sys.storeLong(arg, rd);
        sys.ioctl(fd, SgxIoctls.GEN_DCAP_QUOTE, arg);
        assertThat(sys.loadInt(len)).as("quote_len is not written back").isEqualTo(size);
        // VER_DCAP_QUOTE: NULL supplemental is fine, a short one is EINVAL, bad pointers EFAULT
        sys.storeLong(arg, big);
        sys.storeLong(arg + 8, size);
        sys.storeLong(arg + 16, out);
        sys.storeLong(arg + 24, out + 4);
        sys.storeLong(arg + 32, sup);
        sys.storeLong(arg + 40, 0);
        sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg);
        sys.storeLong(arg + 40, supBuf);
        sys.storeLong(arg + 32, sup - 1);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg), Errno.EINVAL);
        sys.storeLong(arg + 32, sup);
        sys.storeLong(arg + 40, unmapped);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg), fault);
        sys.storeLong(arg + 40, supBuf);
        sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg);
        sys.storeLong(arg, unmapped);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg), fault);
        sys.storeLong(arg, big);
        sys.storeLong(arg + 24, unmapped);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg), fault);
        sys.storeLong(arg + 24, out + 4);
        sys.storeLong(arg + 8, 100);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.VER_DCAP_QUOTE, arg), Errno.EINVAL);
        assertErrno(() -> sys.ioctl(fd, SgxIoctls.GET_EPID_GROUP_ID, out), compat ? Errno.EINVAL : Errno.EOPNOTSUPP);
        sys.close(fd);
    }
}
