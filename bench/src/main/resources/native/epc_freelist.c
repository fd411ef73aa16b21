/*
 * Native anchor for epc-alloc-free: the kernel's data-structure work of one
 * sgx_alloc_epc_page() + sgx_free_epc_page() pair on one node (arch/x86/kernel/cpu/sgx/main.c):
 * spinlock, list_del of the first free page, atomic decrement of sgx_nr_free_pages, then
 * spinlock, list_add_tail, flags, atomic increment. Prints "result: epc-alloc-free VALUE ops/s".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <time.h>

struct list_head { struct list_head *next, *prev; };
struct epc_page { struct list_head list; void *owner; unsigned short flags; };

static inline void list_add_tail(struct list_head *n, struct list_head *h) {
    n->prev = h->prev; n->next = h; h->prev->next = n; h->prev = n;
}
static inline void list_del(struct list_head *e) {
    e->prev->next = e->next; e->next->prev = e->prev;
}

static struct list_head free_list = { &free_list, &free_list };
static pthread_spinlock_t lock;
static atomic_long nr_free;

static struct epc_page *alloc_page(void *owner) {
    pthread_spin_lock(&lock);
    struct list_head *first = free_list.next;
    if (first == &free_list) { pthread_spin_unlock(&lock); return NULL; }
    list_del(first);
    struct epc_page *p = (struct epc_page *)first;
    p->flags = 0;
    pthread_spin_unlock(&lock);
    atomic_fetch_sub(&nr_free, 1);
    p->owner = owner;
    return p;
}

static void free_page(struct epc_page *p) {
    pthread_spin_lock(&lock);
    p->owner = NULL;
    list_add_tail(&p->list, &free_list);
    p->flags = 2; /* SGX_EPC_PAGE_IS_FREE */
    pthread_spin_unlock(&lock);
    atomic_fetch_add(&nr_free, 1);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 50000000L;
    int pages = 16384;
    struct epc_page *all = calloc(pages, sizeof *all);
    pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
    for (int i = 0; i < pages; i++) { list_add_tail(&all[i].list, &free_list); }
    atomic_store(&nr_free, pages);
    int owner;
    double best = 0;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (long i = 0; i < n; i++) {
            struct epc_page *p = alloc_page(&owner);
            free_page(p);
        }
        double rate = n / (now() - t0);
        if (rate > best) best = rate;
    }
    printf("result: epc-alloc-free %.0f ops/s\n", best);
    return 0;
}
