/* Native reference: epoll_wait(timeout 0, maxevents 64) with 10 and with 10000 registered eventfds
 * of which 10 have a non-zero counter (level-triggered), one system call per op.
 * Figures: "epoll-wait-10" and "epoll-wait-10000" in ns/op. */
#include "anchor.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

static int ep10, ep10000;

static int make(int n) {
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        int fd = eventfd(i % (n / 10) == 0 ? 1 : 0, 0);
        if (fd < 0) { perror("eventfd"); exit(1); }
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
    struct epoll_event ev[64];
    if (epoll_wait(ep, ev, 64, 0) != 10) { fprintf(stderr, "not 10 ready\n"); exit(1); }
    return ep;
}

static double measure(int ep, double seconds) {
    struct epoll_event ev[64];
    long calls = 0;
    double t0 = anchor_now(), t;
    do {
        for (int i = 0; i < 1000; i++) epoll_wait(ep, ev, 64, 0);
        calls += 1000;
        t = anchor_now();
    } while (t - t0 < seconds);
    return (t - t0) * 1e9 / calls;
}

static void anchor_init(int argc, char **argv) {
    (void)argc; (void)argv;
    struct rlimit rl = {.rlim_cur = 65536, .rlim_max = 65536};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    ep10 = make(10);
    ep10000 = make(10000);
}

static void anchor_entries(void) {
    printf("entries: epoll-wait-10 1\nentries: epoll-wait-10000 1\n");
}

static void anchor_round(double seconds) {
    printf("result: epoll-wait-10 %.2f ns/op\n", measure(ep10, seconds / 2));
    printf("result: epoll-wait-10000 %.2f ns/op\n", measure(ep10000, seconds / 2));
}
