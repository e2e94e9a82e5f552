/* Intrusive circular doubly linked list. */
#ifndef KEEL_LIST_H
#define KEEL_LIST_H

#include <stdbool.h>

struct list {
    struct list *next, *prev;
};

#define LIST_INIT(name)                                                        \
    {                                                                          \
        &(name), &(name)                                                       \
    }

static inline void list_init(struct list *l)
{
    l->next = l->prev = l;
}
static inline bool list_empty(const struct list *l)
{
    return l->next == l;
}
static inline void list_insert_between(struct list *n, struct list *prev,
                                       struct list *next)
{
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}
static inline void list_push_back(struct list *head, struct list *n)
{
    list_insert_between(n, head->prev, head);
}
static inline void list_push_front(struct list *head, struct list *n)
{
    list_insert_between(n, head, head->next);
}
static inline void list_remove(struct list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_for_each(it, head)                                                \
    for (struct list *it = (head)->next; it != (head); it = it->next)
#define list_for_each_safe(it, tmp, head)                                      \
    for (struct list *it = (head)->next, *tmp = it->next; it != (head);        \
         it = tmp, tmp = it->next)

#endif
