/* Native anchor: pipe throughput between two processes, 64 KiB writes into a default (64 KiB)
 * pipe. The reader process is forked once at set-up and reads 64 KiB at a time until end of file;
 * each round the writer writes for the round's time. Kernel entries: one write and (at least) one
 * read per 64 KiB, 32768 per GiB. Figure: "pipe-64k" in GiB/s. */
#include "anchor.h"
#include <sys/wait.h>

#define BLOCK (64 * 1024)

static int out_fd;
static char buf[BLOCK];

static void anchor_init(int argc, char **argv) {
    (void)argc; (void)argv;
    int p[2];
    if (pipe(p) != 0) { perror("pipe"); exit(1); }
    memset(buf, 7, sizeof buf);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(1); }
    if (pid == 0) {
        close(p[1]);
        close(0);
        static char in[BLOCK];
        while (read(p[0], in, sizeof in) > 0) {
        }
        _exit(0);
    }
    close(p[0]);
    out_fd = p[1];
}

static void anchor_entries(void) {
    printf("entries: pipe-64k %d\n", 2 * (int) ((1L << 30) / BLOCK));
}

static void anchor_round(double seconds) {
    long sent = 0;
    double t0 = anchor_now(), t;
    do {
        for (int i = 0; i < 16; i++) {
            for (long done = 0; done < BLOCK; ) {
                ssize_t n = write(out_fd, buf + done, BLOCK - done);
                if (n < 0) { perror("write"); exit(1); }
                done += n;
            }
        }
        sent += 16L * BLOCK;
        t = anchor_now();
    } while (t - t0 < seconds);
    printf("result: pipe-64k %.4f GiB/s\n", sent / (double) (1L << 30) / (t - t0));
}
