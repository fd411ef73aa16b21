package io.jocclum.dcap.pki;

import io.jocclum.dcap.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Known answers of the PEM and CRL readers at their edges: padding, whitespace, short inputs, the three CRL forms. */
class PemTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Pem.PemException error(ThrowingSupplier s) {
        Pem.PemException e = catchThrowableOfType(Pem.PemException.class, s::get);
        assertThat(e).as("a PemException").isNotNull();
        return e;
    }

    @FunctionalInterface
    interface ThrowingSupplier {
        Object get() throws Exception;
    }

    @Test
    void blocksAndWhatMayStandAroundThem() throws Exception {
        assertThat(Pem.blocks(new byte[0])).isEmpty();
        assertThat(Pem.blocks(new byte[] {0, 0})).as("only NUL padding").isEmpty();
        List<Pem.Block> one = Pem.blocks(ascii(" \n-----BEGIN X-----\nAAAA\n-----END X-----\n\0\0"));
        assertThat(one).hasSize(1);
        assertThat(one.getFirst().label()).isEqualTo("X");
        assertThat(one.getFirst().der()).containsExactly(0, 0, 0);
        assertThat(one.getFirst().offset()).isEqualTo(2);
        assertThat(Pem.blocks(ascii("-----BEGIN X-----AAAA-----END X-----"))).as("all on one line").hasSize(1);
        Pem.PemException e = error(() -> Pem.blocks(ascii("x-----BEGIN X-----\nAAAA\n-----END X-----\n")));
        assertThat(e.getMessage()).isEqualTo("unexpected byte 0x78 outside a PEM block");
        assertThat(e.offset()).isZero();
        assertThat(error(() -> Pem.blocks(ascii("-----BEGIN X\n-----\nAAAA\n-----END X-----\n"))).getMessage())
                .isEqualTo("malformed PEM header line");
        assertThat(error(() -> Pem.blocks(ascii("-----BEGIN X-----\nAAAA\n"))).getMessage()).isEqualTo("PEM block 'X' has no END line");
    }

    @Test
    void parserMessagesLoseTheirClassNames() {
        assertThat(Pem.clean(new Exception("java.io.IOException: Could not parse certificate: Parsing error: bad tag"))).isEqualTo("bad tag");
        assertThat(Pem.clean(new Exception((String) null))).isEqualTo("it does not decode");
        assertThat(Pem.clean(new Exception(" "))).isEqualTo("it does not decode");
        assertThat(Pem.clean(new Exception("java.security.cert.CRLException: "))).isEqualTo("it does not decode");
    }

    @Test
    void crlsAsPemHexOrDer() throws Exception {
        byte[] der = Fixtures.PHALA.collateral().rootCaCrl().getEncoded();
        String pem = "-----BEGIN X509 CRL-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END X509 CRL-----\n";
        assertThat(Pem.crl(der).getEncoded()).isEqualTo(der);
        assertThat(Pem.crl(ascii("\n " + pem)).getEncoded()).isEqualTo(der);
        assertThat(Pem.crl(ascii(HexFormat.of().formatHex(der) + " \n\0")).getEncoded()).isEqualTo(der);
        assertThat(error(() -> Pem.crl(ascii("   "))).getMessage()).startsWith("not an X.509 CRL (");
        assertThat(error(() -> Pem.crl(new byte[] {0, 0})).getMessage()).startsWith("not an X.509 CRL (");
        assertThat(error(() -> Pem.crl(ascii("-----BEGIN "))).getMessage()).as("exactly the BEGIN marker").isEqualTo("malformed PEM header line");
        assertThat(error(() -> Pem.crl(ascii("  -----BEG"))).getMessage()).startsWith("not an X.509 CRL (");
        assertThat(error(() -> Pem.crl(ascii(pem + pem))).getMessage()).isEqualTo("expected one 'X509 CRL' PEM block");
        assertThat(error(() -> Pem.crl(ascii("abc"))).getMessage()).as("odd hex is not hex").startsWith("not an X.509 CRL (");
    }
}
