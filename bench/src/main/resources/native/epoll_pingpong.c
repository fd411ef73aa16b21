/* Native anchor: epoll ping-pong over two pipes between two processes (argument "processes",
 * the default) or two threads of one process ("threads"). The pong side, started at set-up,
 * blocks in epoll_wait on its read end, reads the one-byte token and writes it back; each round
 * the ping side writes the token, blocks in epoll_wait on its own read end and reads the token
 * back, for the round's time. Kernel entries: three per side, six per round trip.
 * Figure: "epoll-pingpong" in us per round trip. */
#include "anchor.h"
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/wait.h>

static int ab[2], ba[2], ep_ping;

static void pong(void) {
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 2}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, ab[0], &e);
    char c;
    for (;;) {
        if (epoll_wait(ep, &got, 1, -1) != 1) abort();
        if (read(ab[0], &c, 1) != 1) break; /* end of file: ping side is gone */
        if (write(ba[1], &c, 1) != 1) abort();
    }
}

static void *pong_thread(void *arg) {
    (void)arg;
    pong();
    return NULL;
}

static void anchor_init(int argc, char **argv) {
    int threads = argc > 1 && strcmp(argv[1], "threads") == 0;
    if (pipe(ab) || pipe(ba)) { perror("pipe"); exit(1); }
    if (threads) {
        pthread_t t;
        pthread_create(&t, NULL, pong_thread, NULL);
        pthread_detach(t);
    } else {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); exit(1); }
        if (pid == 0) {
            close(ab[1]);
            close(ba[0]);
            close(0);
            pong();
            _exit(0);
        }
        close(ab[0]);
        close(ba[1]);
    }
    ep_ping = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1};
    epoll_ctl(ep_ping, EPOLL_CTL_ADD, ba[0], &e);
}

static void anchor_entries(void) {
    printf("entries: epoll-pingpong 6\n");
}

static void anchor_round(double seconds) {
    long trips = 0;
    struct epoll_event got;
    char c = 'x';
    double t0 = anchor_now(), t;
    do {
        for (int i = 0; i < 100; i++) {
            if (write(ab[1], &c, 1) != 1) abort();
            if (epoll_wait(ep_ping, &got, 1, -1) != 1) abort();
            if (read(ba[0], &c, 1) != 1) abort();
        }
        trips += 100;
        t = anchor_now();
    } while (t - t0 < seconds);
    printf("result: epoll-pingpong %.4f us/op\n", (t - t0) * 1e6 / trips);
}
