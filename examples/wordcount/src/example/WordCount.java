package example;

import io.jocclum.api.ErrnoException;
import io.jocclum.api.GuestProgram;
import io.jocclum.api.Libc;
import io.jocclum.api.Mman;
import io.jocclum.api.OpenFlags;
import io.jocclum.api.Syscalls;

/**
 * A jocclum guest program: counts the lines, words and bytes of the files named on its command
 * line (like wc), reading each through a private file mapping of the LibOS.
 *
 * Build: ./build.sh (javac against the API jar, a jar whose manifest names this class).
 * Run:   copy wordcount.jar into an instance's image/bin/, jocclum build, jocclum run /bin/wordcount.jar /etc/hosts
 */
public final class WordCount implements GuestProgram {
    @Override
    public int main(Syscalls sys, String[] argv, String[] envp) {
        if (argv.length < 2) {
            Libc.println(sys, 2, "usage: wordcount FILE...");
            return 2;
        }
        int status = 0;
        for (int i = 1; i < argv.length; i++) {
            try {
                int fd = sys.open(argv[i], OpenFlags.O_RDONLY, 0);
                long size = sys.fstat(fd).size();
                long lines = 0, words = 0;
                if (size > 0) {
                    long addr = sys.mmap(0, size, Mman.PROT_READ, Mman.MAP_PRIVATE, fd, 0);
                    boolean inWord = false;
                    for (long p = 0; p < size; p++) {
                        byte b = sys.loadByte(addr + p);
                        if (b == '\n') {
                            lines++;
                        }
                        boolean space = b == ' ' || b == '\n' || b == '\t' || b == '\r';
                        if (!space && !inWord) {
                            words++;
                        }
                        inWord = !space;
                    }
                    sys.munmap(addr, size);
                }
                sys.close(fd);
                Libc.println(sys, 1, String.format("%7d %7d %7d %s", lines, words, size, argv[i]));
            } catch (ErrnoException e) {
                Libc.println(sys, 2, "wordcount: " + argv[i] + ": " + e.errno().message());
                status = 1;
            }
        }
        return status;
    }
}
