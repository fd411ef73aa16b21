package io.jocclum.sgx.cgroup;

import io.jocclum.api.Errno;
import io.jocclum.api.ErrnoException;
import io.jocclum.sgx.arch.Pages;

/**
 * The kernel's string helpers that cgroup files parse their input with, reimplemented exactly:
 * {@code strstrip()} (lib/string_helpers.c / lib/string.c), {@code kstrtoull()}, {@code kstrtoint()}
 * (lib/kstrtox.c, base 0 = automatic), {@code simple_strtoull()} (lib/vsprintf.c) and
 * {@code memparse()} (lib/cmdline.c). Numbers are unsigned 64-bit values held in a Java
 * {@code long}.
 */
final class KernelParse {
    private KernelParse() {
    }

    /** {@code isspace()} of the kernel's ctype table for ASCII: space, \t, \n, \v, \f, \r. */
    static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** {@code strstrip()}: removes leading and trailing whitespace. */
    static String strstrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    /** Digit value of {@code c} in any base up to 16, or 16+ if it is no hex digit. */
    private static int digit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        char lc = (char) (c | 0x20);
        if (lc >= 'a' && lc <= 'f') {
            return lc - 'a' + 10;
        }
        return 99;
    }

    /**
     * Result of {@code _parse_integer()} after {@code _parse_integer_fixup_radix()}: the value
     * (wrapped modulo 2^64 on overflow, as the kernel computes it), the index just after the last
     * digit, the digit count and whether it overflowed.
     */
    private record Parsed(long value, int end, int digits, boolean overflow) {
    }

    /** {@code _parse_integer_fixup_radix()} with base 0, then {@code _parse_integer()}. */
    private static Parsed parseInteger(String s, int start) {
        int base;
        int i = start;
        if (i < s.length() && s.charAt(i) == '0') {
            boolean hex = i + 2 < s.length() && (s.charAt(i + 1) | 0x20) == 'x'
                    && digit(s.charAt(i + 2)) < 16;
            base = hex ? 16 : 8;
            if (hex) {
                i += 2;
            }
        } else {
            base = 10;
        }
        long res = 0;
        boolean overflow = false;
        int digits = 0;
        for (; i < s.length(); i++) {
            int val = digit(s.charAt(i));
            if (val >= base) {
                break;
            }
            // lib/kstrtox.c: check for overflow only within range of it in the max base (16).
            if ((res & (~0L << 60)) != 0
                    && Long.compareUnsigned(res, Long.divideUnsigned(-1L - val, base)) > 0) {
                overflow = true;
            }
            res = res * base + val;
            digits++;
        }
        return new Parsed(res, i, digits, overflow);
    }

    /**
     * {@code kstrtoull(s, 0, &res)}: optional leading '+', base auto-detection (decimal,
     * {@code 0x} hex, leading-{@code 0} octal), an optional single trailing newline, nothing else.
     * Overflow: ERANGE; no digits or trailing garbage: EINVAL.
     */
    static long kstrtoull(String s) {
        int start = !s.isEmpty() && s.charAt(0) == '+' ? 1 : 0;
        return kstrtoullNoSign(s, start);
    }

    private static long kstrtoullNoSign(String s, int start) {
        Parsed p = parseInteger(s, start);
        if (p.overflow) {
            throw Errno.ERANGE.exception("number out of range: " + s);
        }
        if (p.digits == 0) {
            throw Errno.EINVAL.exception("not a number: " + s);
        }
        int end = p.end;
        if (end < s.length() && s.charAt(end) == '\n') {
            end++;
        }
        if (end != s.length()) {
            throw Errno.EINVAL.exception("trailing characters in number: " + s);
        }
        return p.value;
    }

    /** {@code kstrtoint(s, 0, &res)}: like {@link #kstrtoull} with a sign, range-checked to int. */
    static int kstrtoint(String s) throws ErrnoException {
        long v;
        if (!s.isEmpty() && s.charAt(0) == '-') {
            long tmp = kstrtoullNoSign(s, 1);
            if (-tmp > 0) {
                throw Errno.ERANGE.exception("number out of range: " + s);
            }
            v = -tmp;
        } else {
            long tmp = kstrtoull(s);
            if (tmp < 0) {
                throw Errno.ERANGE.exception("number out of range: " + s);
            }
            v = tmp;
        }
        if (v != (int) v) {
            throw Errno.ERANGE.exception("number out of range: " + s);
        }
        return (int) v;
    }

    /**
     * {@code memparse()}: {@code simple_strtoull(s, &end, 0)} (no sign, overflow wraps silently,
     * no digits gives 0) followed by an optional suffix K, M, G, T, P or E (either case), each a
     * further factor of 1024 (shifts wrap). Returns the value; {@code end[0]} receives the index of
     * the first unparsed character.
     */
    static long memparse(String s, int[] end) {
        Parsed p = parseInteger(s, 0);
        long ret = p.value;
        int i = p.end;
        if (i < s.length()) {
            int shifts = switch (s.charAt(i)) {
                case 'E', 'e' -> 6;
                case 'P', 'p' -> 5;
                case 'T', 't' -> 4;
                case 'G', 'g' -> 3;
                case 'M', 'm' -> 2;
                case 'K', 'k' -> 1;
                default -> 0;
            };
            if (shifts > 0) {
                ret <<= 10 * shifts;
                i++;
            }
        }
        end[0] = i;
        return ret;
    }

    /**
     * {@code page_counter_memparse(buf, "max", &nr_pages)} (mm/page_counter.c): {@code max} is
     * {@link PageCounter#PAGE_COUNTER_MAX}; otherwise {@link #memparse} must consume the whole
     * string (EINVAL otherwise) and the byte count is rounded down to pages and capped.
     */
    static long pageCounterMemparse(String buf) {
        if (buf.equals("max")) {
            return PageCounter.PAGE_COUNTER_MAX;
        }
        int[] end = new int[1];
        long bytes = memparse(buf, end);
        if (end[0] != buf.length()) {
            throw Errno.EINVAL.exception("not a memory size: " + buf);
        }
        long pages = Pages.count(bytes);
        return Math.min(pages, PageCounter.PAGE_COUNTER_MAX);
    }
}
