/*
 * pthread_atfork (docs/posix.md): fork handlers, kept in the order they
 * were registered, in an append-only list of malloc'ed entries that are
 * never freed (POSIX has no way to unregister).
 *
 * When they run: Keel has no fork. Its fork() always fails with ENOSYS
 * (sys_proc.c); it runs the prepare handlers first, in the reverse order
 * of registration, and then, since fork processing ends in the parent
 * with that failure, the parent handlers in the order of registration
 * (as glibc does for a fork that fails). The child handlers never run:
 * no child is ever created. posix_spawn runs no handler at all (POSIX:
 * it does not call them).
 *
 * Locking: atfork_lock serialises registrations (which append at the
 * tail). The list is only ever extended: a new entry is complete before
 * the release store that links it, so __keel_atfork_run walks it with
 * acquire loads and no lock (a handler may itself register handlers; an
 * entry added during a walk is run only by later walks).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct atfork_entry {
    void (*prepare)(void);
    void (*parent)(void);
    void (*child)(void);
    struct atfork_entry *next;   /* registration order (acquire/release) */
    struct atfork_entry *before; /* the one registered just before */
};

static pthread_mutex_t atfork_lock = PTHREAD_MUTEX_INITIALIZER;
static struct atfork_entry *atfork_head; /* atomic */
static struct atfork_entry *atfork_tail; /* atomic */

int pthread_atfork(void (*prepare)(void), void (*parent)(void),
                   void (*child)(void))
{
    struct atfork_entry *e = malloc(sizeof(*e));
    if (!e)
        return ENOMEM; /* POSIX: insufficient table space */
    e->prepare = prepare;
    e->parent = parent;
    e->child = child;
    e->next = NULL;
    pthread_mutex_lock(&atfork_lock);
    struct atfork_entry *t = atfork_tail;
    e->before = t;
    /* e is complete: publish it, then make it the tail. */
    if (t)
        __atomic_store_n(&t->next, e, __ATOMIC_RELEASE);
    else
        __atomic_store_n(&atfork_head, e, __ATOMIC_RELEASE);
    __atomic_store_n(&atfork_tail, e, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&atfork_lock);
    return 0;
}

/* Runs every handler of one kind: prepare from the last registered to
 * the first, parent (and child) from the first to the last. */
void __keel_atfork_run(int which)
{
    if (which == KEEL_ATFORK_PREPARE) {
        for (struct atfork_entry *e =
                 __atomic_load_n(&atfork_tail, __ATOMIC_ACQUIRE);
             e; e = e->before)
            if (e->prepare)
                e->prepare();
        return;
    }
    for (struct atfork_entry *e =
             __atomic_load_n(&atfork_head, __ATOMIC_ACQUIRE);
         e; e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE)) {
        void (*fn)(void) = which == KEEL_ATFORK_PARENT ? e->parent : e->child;
        if (fn)
            fn();
    }
}
