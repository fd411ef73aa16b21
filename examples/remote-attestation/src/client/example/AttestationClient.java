package example;

import io.jocclum.dcap.QuoteVerifier;
import io.jocclum.dcap.TrustedRoot;
import io.jocclum.dcap.Verification;
import io.jocclum.dcap.collateral.Collateral;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The relying party of the remote-attestation example: a plain Java program on the host, using
 * jocclum's DCAP verifier library.
 *
 * <ol>
 *   <li>Connects to the enclave, reads its quote and public key.</li>
 *   <li>Verifies the quote with the collateral directory and its root_ca.pem (what
 *   {@code jocclum collateral export} wrote) and refuses a terminal verdict.</li>
 *   <li>Checks that the quote's MRENCLAVE is the expected one and that its report data is
 *   SHA-256(public key) followed by zeros: only that enclave holds the private key.</li>
 *   <li>Encrypts one message to that key (ECDH with an ephemeral key, AES-256-GCM) and decrypts the
 *   enclave's answer.</li>
 * </ol>
 *
 * Usage: {@code AttestationClient PORT COLLATERAL_DIR EXPECTED_MRENCLAVE [MESSAGE]}; exit 0 when
 * everything checks, 1 otherwise.
 */
public final class AttestationClient {
    static final byte[] LABEL = "jocclum-ra-example".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: AttestationClient PORT COLLATERAL_DIR EXPECTED_MRENCLAVE [MESSAGE]");
            System.exit(2);
        }
        System.exit(run(Integer.parseInt(args[0]), Path.of(args[1]), args[2], args.length > 3 ? args[3] : "hello, enclave"));
    }

    /** The whole exchange; returns the exit status. */
    public static int run(int port, Path collateralDir, String expectedMrEnclave, String message) throws Exception {
        try (Socket s = connect(port)) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] quote = frame(in);
            byte[] serverKey = frame(in);

            Collateral collateral = Collateral.load(collateralDir);
            TrustedRoot root = TrustedRoot.load(collateralDir.resolve("root_ca.pem"));
            Verification v = QuoteVerifier.verify(quote, collateral, Instant.now(), root);
            System.out.println("quote: " + v.result().intelName() + (v.collateralExpired() ? " (collateral expired)" : "")
                    + (v.advisoryIds().isEmpty() ? "" : " " + v.advisoryIds()));
            if (v.terminal()) {
                System.out.println("REJECTED: " + v.detail());
                return 1;
            }
            String mrEnclave = HexFormat.of().formatHex(v.quote().body().mrEnclave());
            if (!mrEnclave.equalsIgnoreCase(expectedMrEnclave.strip())) {
                System.out.println("REJECTED: MRENCLAVE " + mrEnclave + " is not the expected " + expectedMrEnclave);
                return 1;
            }
            byte[] reportData = v.quote().body().reportData();
            byte[] expected = Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(serverKey), 64);
            if (!MessageDigest.isEqual(reportData, expected)) {
                System.out.println("REJECTED: the report data does not bind the public key the enclave sent");
                return 1;
            }
            System.out.println("MRENCLAVE " + mrEnclave + " as expected; the quote binds the enclave's public key");

            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair mine = g.generateKeyPair();
            PublicKey theirs = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(serverKey));
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(mine.getPrivate());
            ka.doPhase(theirs, true);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(LABEL);
            SecretKeySpec key = new SecretKeySpec(sha.digest(ka.generateSecret()), "AES");
            byte[] iv = new byte[12];
            new SecureRandom().nextBytes(iv);
            Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            send(out, mine.getPublic().getEncoded());
            send(out, iv);
            send(out, aes.doFinal(message.getBytes(StandardCharsets.UTF_8)));
            byte[] replyIv = frame(in);
            aes.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, replyIv));
            System.out.println("reply: " + new String(aes.doFinal(frame(in)), StandardCharsets.UTF_8));
            return 0;
        }
    }

    /** Connects to 127.0.0.1:port, waiting up to 60 s for the enclave to listen. */
    private static Socket connect(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                return new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    private static byte[] frame(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1 << 20) {
            throw new IOException("frame of " + n + " bytes");
        }
        return in.readNBytes(n);
    }

    private static void send(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
        out.flush();
    }
}
