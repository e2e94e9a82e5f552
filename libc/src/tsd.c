/*
 * Thread-specific data: pthread_key_create, pthread_key_delete,
 * pthread_getspecific, pthread_setspecific (docs/posix.md).
 *
 * A key is an index into keys[] (PTHREAD_KEYS_MAX of them). Each entry
 * has a generation, odd while the key exists: create and delete each
 * bump it. A thread's values live in its control block's tsd array
 * (allocated at its first pthread_setspecific), each stored with the
 * generation it was set under; a value whose generation is not the
 * key's current one reads as NULL, so a deleted key's values vanish at
 * once and a key created again in the same place starts as NULL in every
 * thread, as POSIX wants, without visiting the threads.
 *
 * At thread exit (pthread_exit, which a start routine's return goes
 * through; not exit() or a return from main) __keel_tsd_exit runs up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds: each round calls, for every key
 * with a destructor and a non-NULL value, the destructor with the value
 * after setting it to NULL; it stops after a round that called none.
 * Values still set after the last round are dropped.
 *
 * Locking: keys_lock (a lock word, lock.c) serialises create and delete;
 * get and set read a key's generation and destructor atomically without
 * it (POSIX leaves using a key concurrently with deleting it undefined).
 * A thread's tsd array is touched only by the thread itself.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct keel_tsd {
    struct {
        void *value;
        uint32_t gen;
    } v[PTHREAD_KEYS_MAX];
};

static struct {
    uint32_t gen; /* odd while the key exists */
    void (*dtor)(void *);
} keys[PTHREAD_KEYS_MAX];

static uint32_t keys_lock;

static struct keel_tcb *self_tcb(void)
{
    struct keel_tcb *t = keel_tcb();
    return t ? t : &__keel_main_tcb;
}

static void keys_take(void)
{
    uint32_t self = keel_self_id();
    if (!keel_cas_acq(&keys_lock, 0, self))
        __keel_word_lock_slow(&keys_lock, self, NULL);
}

static void keys_give(void)
{
    if (!keel_cas_rel(&keys_lock, keel_self_id(), 0))
        __keel_word_unlock_slow(&keys_lock);
}

static uint32_t key_gen(pthread_key_t k)
{
    return __atomic_load_n(&keys[k].gen, __ATOMIC_ACQUIRE);
}

int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
    if (!key)
        return EINVAL;
    keys_take();
    for (pthread_key_t k = 0; k < PTHREAD_KEYS_MAX; k++) {
        if (keys[k].gen & 1)
            continue;
        __atomic_store_n(&keys[k].dtor, dtor, __ATOMIC_RELAXED);
        __atomic_store_n(&keys[k].gen, keys[k].gen + 1, __ATOMIC_RELEASE);
        keys_give();
        *key = k;
        return 0;
    }
    keys_give();
    return EAGAIN;
}

int pthread_key_delete(pthread_key_t k)
{
    if (k >= PTHREAD_KEYS_MAX)
        return EINVAL;
    keys_take();
    int r = EINVAL;
    if (keys[k].gen & 1) {
        __atomic_store_n(&keys[k].gen, keys[k].gen + 1, __ATOMIC_RELEASE);
        __atomic_store_n(&keys[k].dtor, NULL, __ATOMIC_RELAXED);
        r = 0;
    }
    keys_give();
    return r;
}

void *pthread_getspecific(pthread_key_t k)
{
    if (k >= PTHREAD_KEYS_MAX)
        return NULL;
    struct keel_tsd *d = self_tcb()->tsd;
    uint32_t g = key_gen(k);
    if (!d || !(g & 1) || d->v[k].gen != g)
        return NULL;
    return d->v[k].value;
}

int pthread_setspecific(pthread_key_t k, const void *value)
{
    if (k >= PTHREAD_KEYS_MAX)
        return EINVAL;
    uint32_t g = key_gen(k);
    if (!(g & 1))
        return EINVAL;
    struct keel_tcb *t = self_tcb();
    if (!t->tsd) {
        if (!value)
            return 0; /* every value is NULL already */
        t->tsd = calloc(1, sizeof(*t->tsd));
        if (!t->tsd)
            return ENOMEM;
    }
    t->tsd->v[k].value = (void *)value;
    t->tsd->v[k].gen = g;
    return 0;
}

void __keel_tsd_exit(struct keel_tcb *t)
{
    struct keel_tsd *d = t->tsd;
    if (!d)
        return;
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        int called = 0;
        for (pthread_key_t k = 0; k < PTHREAD_KEYS_MAX; k++) {
            void *v = d->v[k].value;
            uint32_t g = key_gen(k);
            if (!v || !(g & 1) || d->v[k].gen != g)
                continue;
            void (*dtor)(void *) =
                __atomic_load_n(&keys[k].dtor, __ATOMIC_RELAXED);
            if (!dtor)
                continue;
            d->v[k].value = NULL;
            dtor(v);
            called = 1;
        }
        if (!called)
            break;
    }
    t->tsd = NULL;
    free(d);
}
