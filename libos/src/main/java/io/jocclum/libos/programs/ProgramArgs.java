package io.jocclum.libos.programs;

import java.util.Locale;

/** Option parsing shared by the built-ins (plain Java: built-ins depend on the guest API only). */
final class ProgramArgs {
    private ProgramArgs() {
    }

    /** Thrown for a bad command line; the program prints it with its usage and exits 2. */
    static final class Usage extends Exception {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message, null, false, false);
        }
    }

    /** "4096", "64K", "64KB", "64KiB", "16M", "16MB", "16MiB", "1G", "1GB", "1GiB" (powers of 1024). */
    /**
     * {@code --help} or {@code -h} among the options (before a {@code --}): prints {@code usage}
     * on standard output and returns true, so the program exits 0 as GNU programs do.
     */
    static boolean help(io.jocclum.api.Syscalls sys, String[] argv, String usage) {
        for (int i = 1; i < argv.length && !argv[i].equals("--"); i++) {
            if (argv[i].equals("--help") || argv[i].equals("-h")) {
                io.jocclum.api.Libc.println(sys, 1, usage);
                return true;
            }
        }
        return false;
    }

    static long size(String opt, String v) throws Usage {
        String s = v.strip().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB") && s.length() > 2 && "KMGT".indexOf(s.charAt(s.length() - 3)) >= 0) {
            s = s.substring(0, s.length() - 2);
        }
        if (s.endsWith("B") && s.length() > 1 && !Character.isDigit(s.charAt(s.length() - 2))) {
            s = s.substring(0, s.length() - 1);
        }
        long mul = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> mul = 1L << 10;
                case 'M' -> mul = 1L << 20;
                case 'G' -> mul = 1L << 30;
                case 'T' -> mul = 1L << 40;
                default -> mul = 1;
            }
            if (mul != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(s.strip());
            if (n <= 0) {
                throw new Usage(opt + " " + v + " must be positive");
            }
            return Math.multiplyExact(n, mul);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new Usage(opt + " " + v + " is not a size such as 4096, 64K or 16MB");
        }
    }

    static long number(String opt, String v, long min, long max) throws Usage {
        try {
            long n = Long.parseLong(v.strip());
            if (n < min || n > max) {
                throw new Usage(opt + " " + v + " is outside " + min + ".." + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new Usage(opt + " " + v + " is not a number");
        }
    }

    static double fraction(String opt, String v) throws Usage {
        try {
            double d = Double.parseDouble(v.strip());
            if (!(d >= 0 && d <= 1)) {
                throw new Usage(opt + " " + v + " is outside 0..1");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new Usage(opt + " " + v + " is not a fraction between 0 and 1");
        }
    }

    /** The value after option {@code argv[i]}. */
    static String value(String[] argv, int i) throws Usage {
        if (i + 1 >= argv.length) {
            throw new Usage(argv[i] + " needs a value");
        }
        return argv[i + 1];
    }

    /** "64MB", "4KB", "1.5GB"-free human form of a byte count. */
    static String human(long bytes) {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "GB";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "MB";
        }
        if (bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "KB";
        }
        return bytes + "B";
    }
}
