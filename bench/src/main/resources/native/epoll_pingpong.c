/* Native anchor: epoll ping-pong between two threads over two pipes, each blocked in
 * epoll_wait on its read end; a one-byte token goes back and forth. Prints the median of 5
 * runs of 100000 round trips: "result: epoll-pingpong V us/op" (per round trip). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 100000

static int ab[2], ba[2];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void side(int in, int out, int starts) {
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, in, &e);
    char c = 'x';
    for (int i = 0; i < ROUNDS; i++) {
        if (starts && write(out, &c, 1) != 1) abort();
        if (epoll_wait(ep, &got, 1, -1) != 1) abort();
        if (read(in, &c, 1) != 1) abort();
        if (!starts && write(out, &c, 1) != 1) abort();
    }
    close(ep);
}

static void *pong(void *arg) {
    (void)arg;
    side(ab[0], ba[1], 0);
    return NULL;
}

int main(void) {
    double r[5];
    for (int run = 0; run < 5; run++) {
        if (pipe(ab) || pipe(ba)) { perror("pipe"); return 1; }
        pthread_t t;
        double t0 = now();
        pthread_create(&t, NULL, pong, NULL);
        side(ba[0], ab[1], 1);
        pthread_join(t, NULL);
        r[run] = (now() - t0) * 1e6 / ROUNDS;
        close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
    }
    qsort(r, 5, sizeof r[0], cmp);
    printf("result: epoll-pingpong %.4f us/op\n", r[2]);
    return 0;
}
