package io.jocclum.libos.layout;

import io.jocclum.sgx.arch.Pages;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The LibOS's own pages in the enclave. jocclum's LibOS is Java code outside the simulated EPC, so
 * its "binary" is one entry page (TCS.OENTRY) naming the LibOS version, plus the measured data
 * ({@link MeasuredData}). The version is measured: a LibOS whose behaviour changes must bump it,
 * which changes every MRENCLAVE, just as a new Occlum release does.
 */
public final class LibosImage {
    /** The jocclum LibOS version, part of MRENCLAVE. */
    public static final String VERSION = "0.1.0";

    /** INT3: the filler of the entry page past its text (an x86 breakpoint, as compilers pad code). */
    static final byte INT3 = (byte) 0xCC;

    private LibosImage() {
    }

    /** The entry page: "jocclum LibOS VERSION\n" then INT3 to the end of the page. */
    static byte[] textPage() {
        byte[] page = new byte[Pages.SIZE];
        Arrays.fill(page, INT3);
        byte[] text = ("jocclum LibOS " + VERSION + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, page, 0, text.length);
        return page;
    }
}
