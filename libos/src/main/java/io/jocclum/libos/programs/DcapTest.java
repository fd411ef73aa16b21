package io.jocclum.libos.programs;

import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.OcclumDcap;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.SgxIoctls;
import io.jocclum.api.Syscalls;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code /bin/dcap-test}: Occlum's {@code dcap_test} flow (occlum/occlum
 * {@code tools/toolchains/dcap_lib/examples/dcap_test.rs}) over the occlum_dcap.h helper
 * ({@link OcclumDcap}): quote size, a quote binding the report data, the report data checked at
 * quote offset 368, ISV family ID, ISV extended product ID, CONFIGID and CONFIGSVN printed,
 * supplemental size, verification inside the enclave, the verdict. {@code --quote-out PATH} writes
 * the quote to PATH (a hostfs path such as /host/quote.bin reaches the host).
 *
 * <p>Exit status: 0 when the quote verified with OK or a non-terminal verdict, 1 when a step failed
 * or the verdict is terminal, 2 for a bad command line.
 */
public final class DcapTest implements GuestProgram {
    static final String USAGE = "usage: dcap-test [--report-data TEXT] [--quote-out PATH]\n"
            + "  Generates a DCAP quote through /dev/sgx, checks its report data, verifies it inside the enclave\n"
            + "  and prints the verdict (Occlum's dcap_test). TEXT: at most 64 bytes (default \"Dcap demo sample\").";
    private static final int BODY = 48;

    private String reportText = "Dcap demo sample";
    private String quoteOut;

    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        if (ProgramArgs.help(sys, argv, USAGE)) {
            return 0;
        }
        try {
            parse(argv);
        } catch (ProgramArgs.Usage u) {
            Libc.println(sys, 2, "dcap-test: " + u.getMessage());
            Libc.println(sys, 2, USAGE);
            return 2;
        }
        OcclumDcap h = OcclumDcap.open(sys);
        if (h == null) {
            Libc.puts(sys, "dcap-test: cannot open /dev/sgx");
            return 1;
        }
        try {
            return run(sys, h);
        } finally {
            h.close();
        }
    }

    private void parse(String[] argv) throws ProgramArgs.Usage {
        for (int i = 1; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "--report-data" -> {
                    reportText = ProgramArgs.value(argv, i++);
                    if (reportText.getBytes(StandardCharsets.UTF_8).length > 64) {
                        throw new ProgramArgs.Usage("--report-data holds at most 64 bytes");
                    }
                }
                case "--quote-out" -> quoteOut = ProgramArgs.value(argv, i++);
                default -> throw new ProgramArgs.Usage("unknown option " + a);
            }
        }
    }

    private int run(Syscalls sys, OcclumDcap h) {
        int size = h.quoteSize();
        int supSize = h.supplementalDataSize();
        if (size == 0) {
            Libc.puts(sys, "DCAP get quote size failed");
            return 1;
        }
        long quote = Libc.alloc(sys, size);
        long scratch = Libc.alloc(sys, 4096);
        long sup = supSize > 0 ? Libc.alloc(sys, supSize) : 0;
        byte[] rd = reportText.getBytes(StandardCharsets.UTF_8);
        sys.storeBytes(scratch, rd, 0, rd.length);

        Libc.puts(sys, "Generate quote with report data : " + reportText);
        if (h.generateQuote(quote, scratch) < 0) {
            Libc.puts(sys, "DCAP generate quote failed");
            return 1;
        }
        Libc.puts(sys, "DCAP generate quote successfully");
        byte[] q = new byte[size];
        sys.loadBytes(quote, q, 0, size);
        byte[] fromQuote = Arrays.copyOfRange(q, BODY + 320, BODY + 320 + 64);
        String text = new String(fromQuote, StandardCharsets.UTF_8).replace("\0", "");
        boolean match = Arrays.equals(Arrays.copyOf(fromQuote, rd.length), rd);
        Libc.puts(sys, "Report data from Quote: '" + text + "' " + (match ? "exactly matches." : "doesn't match !!!"));
        dumpQuoteInfo(sys, q);
        if (quoteOut != null && !writeQuote(sys, quote, size)) {
            return 1;
        }

        long status = scratch + 1024;
        long result = scratch + 1028;
        sys.storeInt(status, 1);
        sys.storeInt(result, SgxIoctls.QV_RESULT_UNSPECIFIED);
        int r = h.verifyQuote(quote, size, status, result, supSize, sup);
        Libc.puts(sys, r < 0 ? "DCAP verify quote failed" : "DCAP verify quote successfully");
        if (r < 0) {
            return 1;
        }
        int verdict = sys.loadInt(result);
        Libc.puts(sys, "Collateral expiration status: " + sys.loadInt(status));
        Libc.puts(sys, "Quote verification result: " + SgxIoctls.resultName(verdict));
        if (verdict == SgxIoctls.QV_RESULT_OK) {
            Libc.puts(sys, "Succeed to verify the quote!");
        } else if (SgxIoctls.nonTerminal(verdict)) {
            Libc.puts(sys, "WARN: App: Verification completed with Non-terminal result: " + SgxIoctls.resultName(verdict));
        } else {
            Libc.puts(sys, "Error: App: Verification completed with Terminal result: " + SgxIoctls.resultName(verdict));
            return 1;
        }
        return match ? 0 : 1;
    }

    private boolean writeQuote(Syscalls sys, long quote, int size) {
        try {
            int fd = sys.open(quoteOut, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, 0644);
            try {
                Libc.writeFully(sys, fd, quote, size);
            } finally {
                sys.close(fd);
            }
            Libc.puts(sys, "Quote written to " + quoteOut + " (" + size + " bytes)");
            return true;
        } catch (io.jocclum.api.ErrnoException e) {
            Libc.puts(sys, "dcap-test: cannot write the quote to " + quoteOut + ": " + e.errno().message());
            return false;
        }
    }

    private static void dumpQuoteInfo(Syscalls sys, byte[] q) {
        ByteBuffer b = ByteBuffer.wrap(q).order(ByteOrder.LITTLE_ENDIAN);
        Libc.puts(sys, "\nSGX ISV Family ID:");
        Libc.puts(sys, String.format(Locale.ROOT, "\t Low 8 bytes: 0x%016x\t", b.getLong(BODY + 304)));
        Libc.puts(sys, String.format(Locale.ROOT, "\t high 8 bytes: 0x%016x\t", b.getLong(BODY + 312)));
        Libc.puts(sys, "\nSGX ISV EXT Product ID:");
        Libc.puts(sys, String.format(Locale.ROOT, "\t Low 8 bytes: 0x%016x\t", b.getLong(BODY + 32)));
        Libc.puts(sys, String.format(Locale.ROOT, "\t high 8 bytes: 0x%016x\t", b.getLong(BODY + 40)));
        Libc.puts(sys, "\nSGX CONFIG ID:");
        for (int row = 0; row < 4; row++) {
            StringBuilder s = new StringBuilder("\t[");
            for (int i = 0; i < 16; i++) {
                s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%02x", q[BODY + 192 + row * 16 + i] & 0xFF));
            }
            Libc.puts(sys, s.append(']').toString());
        }
        Libc.puts(sys, String.format(Locale.ROOT, "\nSGX CONFIG SVN:\t %04x", b.getShort(BODY + 260) & 0xFFFF));
    }
}
