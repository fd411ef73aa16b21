/*
 * Native anchor for the VM benchmarks: anonymous mmap + munmap pairs of 4, 8, 16, 32 and 64 KB
 * (cycling), the same sequence the jocclum benchmark runs through its syscall-level API.
 * Prints "result: vm-mmap-munmap NS ns/op", the median of 7 rounds.
 * Usage: vm_mmap_munmap [iterations-per-round]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    static const size_t sizes[] = {4096, 8192, 16384, 32768, 65536};
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    double rounds[7];
    for (int r = -1; r < 7; r++) { /* round -1 warms up */
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            size_t len = sizes[i % 5];
            void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                perror("mmap");
                return 1;
            }
            if (munmap(p, len) != 0) {
                perror("munmap");
                return 1;
            }
        }
        double t1 = now_ns();
        if (r >= 0) {
            rounds[r] = (t1 - t0) / iters;
        }
    }
    qsort(rounds, 7, sizeof(double), cmp);
    printf("result: vm-mmap-munmap %.2f ns/op\n", rounds[3]);
    return 0;
}
