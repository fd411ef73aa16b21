package io.jocclum.bench.harness;

import java.math.BigDecimal;
import java.math.MathContext;

/** Number formatting for result lines: 4 significant digits, no exponent for ordinary sizes. */
public final class BenchFormat {
    private BenchFormat() {
    }

    public static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        if (v == 0) {
            return "0";
        }
        BigDecimal d = new BigDecimal(v).round(new MathContext(4));
        return d.abs().compareTo(BigDecimal.valueOf(1e12)) >= 0 ? d.toString() : d.stripTrailingZeros().toPlainString();
    }
}
