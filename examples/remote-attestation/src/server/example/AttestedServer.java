package example;

import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.OcclumDcap;
import io.jocclum.api.SockAddrIn;
import io.jocclum.api.Socket;
import io.jocclum.api.Syscalls;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * The enclave side of the remote-attestation example (a jocclum guest program).
 *
 * <ol>
 *   <li>Makes a fresh ECDH P-256 key pair and asks /dev/sgx for a DCAP quote whose report data is
 *   SHA-256 of the public key (X.509 encoding) followed by 32 zero bytes: the quote vouches that this
 *   enclave holds that key.</li>
 *   <li>Listens on 127.0.0.1:PORT (a host socket) and sends the client two frames: the quote and the
 *   public key (a frame is a 4-byte big-endian length and the bytes).</li>
 *   <li>Reads the client's ephemeral public key, an IV and an AES-256-GCM ciphertext, derives the key
 *   from ECDH (SHA-256 of "jocclum-ra-example" and the shared secret), decrypts and prints the
 *   message, and answers with one encrypted reply.</li>
 * </ol>
 *
 * Usage: {@code attested-server PORT}.
 */
public final class AttestedServer implements GuestProgram {
    static final byte[] LABEL = "jocclum-ra-example".getBytes(StandardCharsets.US_ASCII);

    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) throws Exception {
        if (argv.length != 2) {
            Libc.println(sys, 2, "usage: attested-server PORT");
            return 2;
        }
        int port = Integer.parseInt(argv[1]);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        byte[] pub = kp.getPublic().getEncoded();
        byte[] quote = quote(sys, MessageDigest.getInstance("SHA-256").digest(pub));
        if (quote == null) {
            return 1;
        }

        int listener = sys.socket(Socket.AF_INET, Socket.SOCK_STREAM, 0);
        sys.setsockopt(listener, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
        sys.bind(listener, SockAddrIn.loopback(port));
        sys.listen(listener, 1);
        Libc.puts(sys, "attested-server: quote of " + quote.length + " bytes ready; listening on 127.0.0.1:" + port);
        int c = sys.accept(listener);
        long buf = Libc.alloc(sys, 64 * 1024);
        send(sys, c, buf, quote);
        send(sys, c, buf, pub);

        byte[] clientPub = receive(sys, c, buf);
        byte[] iv = receive(sys, c, buf);
        byte[] ciphertext = receive(sys, c, buf);
        if (ciphertext == null) {
            Libc.puts(sys, "attested-server: the client left without a message (it did not accept this enclave)");
            return 1;
        }
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(kp.getPrivate());
        ka.doPhase(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(clientPub)), true);
        SecretKeySpec key = new SecretKeySpec(sha256(LABEL, ka.generateSecret()), "AES");
        Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
        aes.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
        String message = new String(aes.doFinal(ciphertext), StandardCharsets.UTF_8);
        Libc.puts(sys, "attested-server: received \"" + message + "\"");

        byte[] replyIv = new byte[12];
        new SecureRandom().nextBytes(replyIv);
        aes.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, replyIv));
        send(sys, c, buf, replyIv);
        send(sys, c, buf, aes.doFinal(("the enclave read: " + message).getBytes(StandardCharsets.UTF_8)));
        sys.close(c);
        sys.close(listener);
        return 0;
    }

    /** A quote binding {@code hash} (32 bytes, then 32 zero bytes of report data), through occlum_dcap.h's steps. */
    private static byte[] quote(Syscalls sys, byte[] hash) {
        OcclumDcap h = OcclumDcap.open(sys);
        if (h == null) {
            return null;
        }
        try {
            int size = h.quoteSize();
            long reportData = Libc.alloc(sys, 64);
            long quote = Libc.alloc(sys, Math.max(size, 1));
            sys.storeBytes(reportData, Arrays.copyOf(hash, 64), 0, 64);
            if (size == 0 || h.generateQuote(quote, reportData) != 0) {
                Libc.println(sys, 2, "attested-server: no quote (is /dev/sgx there and the platform's DCAP driver on?)");
                return null;
            }
            byte[] q = new byte[size];
            sys.loadBytes(quote, q, 0, size);
            return q;
        } finally {
            h.close();
        }
    }

    static byte[] sha256(byte[] a, byte[] b) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(a);
        return md.digest(b);
    }

    private static void send(Syscalls sys, int fd, long buf, byte[] data) {
        byte[] frame = ByteBuffer.allocate(4 + data.length).putInt(data.length).put(data).array();
        sys.storeBytes(buf, frame, 0, frame.length);
        for (long done = 0; done < frame.length; ) {
            done += sys.send(fd, buf + done, frame.length - done, Socket.MSG_NOSIGNAL);
        }
    }

    /** One frame, or null when the client closed the connection (or sent nonsense). */
    private static byte[] receive(Syscalls sys, int fd, long buf) {
        byte[] head = receiveExactly(sys, fd, buf, 4);
        int len = head == null ? -1 : ByteBuffer.wrap(head).getInt();
        return len < 0 || len > 60 * 1024 ? null : receiveExactly(sys, fd, buf, len);
    }

    private static byte[] receiveExactly(Syscalls sys, int fd, long buf, int n) {
        for (int done = 0; done < n; ) {
            long r = sys.recv(fd, buf + done, n - done, 0);
            if (r == 0) {
                return null;
            }
            done += (int) r;
        }
        byte[] out = new byte[n];
        sys.loadBytes(buf, out, 0, n);
        return out;
    }
}
