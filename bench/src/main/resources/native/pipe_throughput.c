/* Native anchor: pipe throughput between two processes, 64 KiB writes into a default 64 KiB
 * pipe. Prints the median of 5 runs of 256 MiB: "result: pipe-64k V GiB/s". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define BLOCK (64 * 1024)
#define TOTAL (256L << 20)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    static char buf[BLOCK];
    double r[5];
    memset(buf, 7, sizeof buf);
    for (int run = 0; run < 5; run++) {
        int p[2];
        if (pipe(p) != 0) { perror("pipe"); return 1; }
        double t0 = now();
        pid_t pid = fork();
        if (pid == 0) {
            close(p[1]);
            static char in[BLOCK];
            long got = 0;
            ssize_t n;
            while ((n = read(p[0], in, sizeof in)) > 0) got += n;
            _exit(got == TOTAL ? 0 : 2);
        }
        close(p[0]);
        for (long sent = 0; sent < TOTAL; ) {
            ssize_t n = write(p[1], buf, BLOCK);
            if (n < 0) { perror("write"); return 1; }
            sent += n;
        }
        close(p[1]);
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "reader failed\n"); return 1; }
        r[run] = (TOTAL / (double)(1L << 30)) / (now() - t0);
    }
    qsort(r, 5, sizeof r[0], cmp);
    printf("result: pipe-64k %.4f GiB/s\n", r[2]);
    return 0;
}
