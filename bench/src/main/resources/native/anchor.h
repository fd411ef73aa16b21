/*
 * Shared main() of the native anchors. An anchor includes this header and defines:
 *   static void anchor_init(int argc, char **argv);   set-up, with the anchor's own arguments
 *   static void anchor_entries(void);                 prints "entries: NAME E" per figure: kernel
 *                                                     entries per unit of work (per op for X/op and
 *                                                     ops/X, per GiB for GiB/s); nothing if unknown
 *   static void anchor_round(double seconds);         runs at least that long and prints
 *                                                     "result: NAME VALUE UNIT" per figure
 * Modes:
 *   NAME --serve [ARGS]  after set-up prints the entries and "ready"; then each line "round MS" on
 *                        standard input runs one round of MS milliseconds, measures the null system
 *                        call and prints "null-syscall: NS ns" and "end"; ends at end of input.
 *   NAME [ARGS]          a warm-up round and five rounds of 500 ms, each followed by its
 *                        "null-syscall:" line.
 * The null system call is getppid(2) through syscall(2), which no C library caches.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void anchor_init(int argc, char **argv);
static void anchor_entries(void);
static void anchor_round(double seconds);

static double anchor_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* ns per getppid(2), measured for about `seconds`. */
static double anchor_null_syscall(double seconds) {
    long calls = 0;
    double t0 = anchor_now(), t;
    do {
        for (int i = 0; i < 1000; i++) {
            syscall(SYS_getppid);
        }
        calls += 1000;
        t = anchor_now();
    } while (t - t0 < seconds);
    return (t - t0) * 1e9 / calls;
}

static void anchor_after_round(void) {
    printf("null-syscall: %.2f ns\n", anchor_null_syscall(0.02));
    fflush(stdout);
}

int main(int argc, char **argv) {
    int serve = argc > 1 && strcmp(argv[1], "--serve") == 0;
    if (serve) {
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    anchor_init(argc, argv);
    anchor_entries();
    if (serve) {
        char line[128];
        printf("ready\n");
        fflush(stdout);
        while (fgets(line, sizeof line, stdin)) {
            if (strncmp(line, "round ", 6) != 0) {
                fprintf(stderr, "anchor: unknown request %s", line);
                return 2;
            }
            anchor_round(atof(line + 6) / 1e3);
            anchor_after_round();
            printf("end\n");
            fflush(stdout);
        }
    } else {
        int saved = dup(1), devnull = open("/dev/null", O_WRONLY);
        fflush(stdout);
        dup2(devnull, 1); /* the warm-up round's figures are not results */
        anchor_round(0.2);
        fflush(stdout);
        dup2(saved, 1);
        close(devnull);
        close(saved);
        for (int r = 0; r < 5; r++) {
            anchor_round(0.5);
            anchor_after_round();
        }
    }
    return 0;
}
