/* Native reference: epoll_wait(timeout 0, maxevents 64) with N registered eventfds of which 10
 * have a non-zero counter (level-triggered). Prints "result: epoll-wait-10 V ns/op" and "result: epoll-wait-10000 V ns/op". */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double measure(int n) {
    int ep = epoll_create1(0);
    int *p = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        p[i] = eventfd(i % (n / 10) == 0 ? 1 : 0, 0);
        if (p[i] < 0) { perror("eventfd"); exit(1); }
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, p[i], &e);
    }
    struct epoll_event ev[64];
    if (epoll_wait(ep, ev, 64, 0) != 10) { fprintf(stderr, "not 10 ready\n"); exit(1); }
    int iters = 200000;
    double t0 = now();
    for (int i = 0; i < iters; i++) epoll_wait(ep, ev, 64, 0);
    double ns = (now() - t0) * 1e9 / iters;
    for (int i = 0; i < n; i++) close(p[i]);
    close(ep);
    free(p);
    return ns;
}

int main(void) {
    struct rlimit rl = {.rlim_cur = 65536, .rlim_max = 65536};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    printf("result: epoll-wait-10 %.2f ns/op\n", measure(10));
    printf("result: epoll-wait-10000 %.2f ns/op\n", measure(10000));
    return 0;
}
