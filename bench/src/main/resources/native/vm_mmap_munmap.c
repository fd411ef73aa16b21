/*
 * Native anchor for the mmap benchmarks: anonymous mmap + munmap pairs of 4, 8, 16, 32 and 64 KB
 * in turn, the sequence the jocclum guest runs through its system calls, with the same number of
 * extra live VMAs as the guest: argument N (default 100) makes 2N one-page mappings and unmaps
 * every other one, leaving N one-page VMAs separated by holes. Kernel entries: two per pair.
 * Figure: "vm-mmap-munmap" in ns per pair.
 */
#include "anchor.h"
#include <sys/mman.h>

static void anchor_init(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    char **pages = malloc(sizeof(char *) * 2 * n);
    for (long k = 0; k < 2 * n; k++) {
        pages[k] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages[k] == MAP_FAILED) { perror("mmap"); exit(1); }
    }
    for (long k = 1; k < 2 * n; k += 2) {
        munmap(pages[k], 4096);
    }
    free(pages);
}

static void anchor_entries(void) {
    printf("entries: vm-mmap-munmap 2\n");
}

static void anchor_round(double seconds) {
    static const size_t sizes[] = {4096, 8192, 16384, 32768, 65536};
    long pairs = 0;
    double t0 = anchor_now(), t;
    do {
        for (int i = 0; i < 1000; i++) {
            size_t len = sizes[i % 5];
            void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) { perror("mmap"); exit(1); }
            if (munmap(p, len) != 0) { perror("munmap"); exit(1); }
        }
        pairs += 1000;
        t = anchor_now();
    } while (t - t0 < seconds);
    printf("result: vm-mmap-munmap %.2f ns/op\n", (t - t0) * 1e9 / pairs);
}
