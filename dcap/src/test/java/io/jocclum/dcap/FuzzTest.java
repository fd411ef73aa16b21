package io.jocclum.dcap;

import io.jocclum.dcap.collateral.Collateral;
import io.jocclum.dcap.quote.Quote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded fuzzing of quote and collateral bytes: every mutant gives a typed error
 * ({@link DcapFormatException}) or a verdict, nothing else. The work is bounded (a fixed number of
 * mutants, each parsed and verified once), so a hang would show as a test that never ends.
 */
class FuzzTest {
    private static final long SEED = Long.getLong("dcap.fuzz.seed", System.nanoTime());
    private static final int QUOTES = Integer.getInteger("dcap.fuzz.quotes", 1500);
    private static final int COLLATERALS = Integer.getInteger("dcap.fuzz.collaterals", 300);

    @TempDir
    Path tmp;

    /** One random mutation: bit flips, byte overwrites, truncation, insertion, deletion, span copies, size fields. */
    static byte[] mutate(byte[] in, Random r, int[] sizeFields) {
        byte[] b = in.clone();
        switch (r.nextInt(7)) {
            case 0 -> {
                for (int n = 1 + r.nextInt(8); n > 0; n--) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> {
                for (int n = 1 + r.nextInt(4); n > 0; n--) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
            }
            case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 3 -> {
                int at = r.nextInt(b.length + 1);
                byte[] ins = new byte[1 + r.nextInt(64)];
                r.nextBytes(ins);
                b = TestPki.concat(Arrays.copyOf(b, at), ins, Arrays.copyOfRange(b, at, b.length));
            }
            case 4 -> {
                int at = r.nextInt(b.length);
                int len = Math.min(b.length - at, 1 + r.nextInt(128));
                b = TestPki.concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + len, b.length));
            }
            case 5 -> {
                int len = 1 + r.nextInt(Math.min(256, b.length));
                int from = r.nextInt(b.length - len + 1);
                int to = r.nextInt(b.length - len + 1);
                System.arraycopy(in, from, b, to, len);
            }
            default -> {
                if (sizeFields.length == 0) {
                    b[r.nextInt(b.length)] = (byte) 0xFF;
                } else {
                    int f = sizeFields[r.nextInt(sizeFields.length)];
                    int v = r.nextBoolean() ? r.nextInt(8192) : r.nextInt();
                    for (int i = 0; i < 4 && f + i < b.length; i++) {
                        b[f + i] = (byte) (v >> (8 * i));
                    }
                }
            }
        }
        return b;
    }

    @Test
    void mutatedQuotesGiveTypedErrorsOrVerdicts() {
        System.out.println("FuzzTest quotes: seed " + SEED + " (replay: -Ddcap.fuzz.seed=" + SEED + ")");
        Random r = new Random(SEED);
        TestPki pki = new TestPki();
        pki.version = 4;
        byte[] v4 = pki.quote();
        PreparedCollateral minted = QuoteVerifier.prepare(pki.collateral(), pki.trustedRoot());
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < QUOTES; i++) {
            Fixtures f = Fixtures.values()[i % 2];
            boolean useV4 = i % 5 == 4;
            byte[] base = useV4 ? v4 : f.quote();
            Quote q = Quote.parse(base);
            int[] sizes = {0, 2, 4, Quote.SIGNATURE_DATA_LENGTH_OFFSET, q.qeAuthDataOffset() - 2, q.pckCertChainOffset() - 4,
                q.pckCertChainOffset() - 6};
            byte[] m = mutate(base, r, sizes);
            PreparedCollateral p = useV4 ? minted : QuoteVerifier.prepare(f.collateral(), TrustedRoot.intel());
            outcomes.merge(run(() -> p.verify(m, useV4 ? TestPki.NOW : f.at()), "quote mutant " + i), 1, Integer::sum);
        }
        System.out.println("FuzzTest quote outcomes: " + outcomes);
        assertThat(outcomes.keySet()).anyMatch(k -> k.startsWith("QuoteFormatException"))
                .anyMatch(k -> k.startsWith("verdict INVALID"));
    }

    @Test
    void mutatedCollateralGivesTypedErrorsOrVerdicts() throws IOException {
        System.out.println("FuzzTest collateral: seed " + SEED + " (replay: -Ddcap.fuzz.seed=" + SEED + ")");
        Random r = new Random(SEED + 1);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> files = List.of(Collateral.TCB_INFO, Collateral.QE_IDENTITY, Collateral.TCB_INFO_ISSUER_CHAIN,
                Collateral.QE_IDENTITY_ISSUER_CHAIN, Collateral.PCK_CRL_ISSUER_CHAIN, Collateral.PCK_CRL, Collateral.ROOT_CA_CRL);
        for (int i = 0; i < COLLATERALS; i++) {
            Fixtures f = Fixtures.values()[i % 2];
            byte[] quote = f.quote();
            Instant at = f.at();
            String o;
            if (i % 3 == 2) {
                Path d = tmp.resolve("c" + i);
                f.collateral().writeDirectory(d);
                Path file = d.resolve(files.get(r.nextInt(files.size())));
                Files.write(file, mutate(Files.readAllBytes(file), r, new int[0]));
                o = run(() -> QuoteVerifier.verify(quote, Collateral.load(d), at), "collateral mutant " + i + " (" + file.getFileName() + ")");
            } else {
                byte[] m = mutate(f.collateralJson(), r, new int[0]);
                o = run(() -> QuoteVerifier.verify(quote, Collateral.fromJson(m), at), "collateral mutant " + i);
            }
            outcomes.merge(o, 1, Integer::sum);
        }
        System.out.println("FuzzTest collateral outcomes: " + outcomes);
        assertThat(outcomes.keySet()).anyMatch(k -> k.startsWith("CollateralFormatException"));
    }

    private static String run(java.util.function.Supplier<Verification> s, String what) {
        try {
            Verification v = s.get();
            assertThat(v.result()).isNotNull();
            assertThat(v.detail()).isNotBlank();
            return "verdict " + v.result();
        } catch (DcapFormatException e) {
            assertThat(e.getMessage()).as(what).isNotBlank().contains(e.field());
            return e.getClass().getSimpleName();
        } catch (RuntimeException e) {
            e.printStackTrace();
            fail(what + " (seed " + SEED + ") threw " + e);
            return null;
        }
    }
}
