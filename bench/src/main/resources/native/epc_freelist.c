/*
 * Native anchor for epc-alloc-free: the kernel's data-structure work of one
 * sgx_alloc_epc_page() + sgx_free_epc_page() pair on one node (arch/x86/kernel/cpu/sgx/main.c):
 * spinlock, list_del of the first free page, atomic decrement of sgx_nr_free_pages, then
 * spinlock, list_add_tail, flags, atomic increment. No system call. Figure: "epc-alloc-free" in ops/s.
 */
#include "anchor.h"
#include <pthread.h>
#include <stdatomic.h>

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
static int owner;

static struct epc_page *alloc_page(void *who) {
    pthread_spin_lock(&lock);
    struct list_head *first = free_list.next;
    if (first == &free_list) { pthread_spin_unlock(&lock); return NULL; }
    list_del(first);
    struct epc_page *p = (struct epc_page *)first;
    p->flags = 0;
    pthread_spin_unlock(&lock);
    atomic_fetch_sub(&nr_free, 1);
    p->owner = who;
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

static void anchor_init(int argc, char **argv) {
    (void)argc; (void)argv;
    int pages = 16384;
    struct epc_page *all = calloc(pages, sizeof *all);
    pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
    for (int i = 0; i < pages; i++) { list_add_tail(&all[i].list, &free_list); }
    atomic_store(&nr_free, pages);
}

static void anchor_entries(void) {
    printf("entries: epc-alloc-free 0\n");
}

static void anchor_round(double seconds) {
    long n = 0;
    double t0 = anchor_now(), t;
    do {
        for (int i = 0; i < 100000; i++) {
            struct epc_page *p = alloc_page(&owner);
            free_page(p);
        }
        n += 100000;
        t = anchor_now();
    } while (t - t0 < seconds);
    printf("result: epc-alloc-free %.0f ops/s\n", n / (t - t0));
}
