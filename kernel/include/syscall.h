/* The syscall table (kernel/syscall/syscall.c). */
#ifndef KEEL_SYSCALL_H
#define KEEL_SYSCALL_H

#include "kernel.h"

typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t);
extern const syscall_fn syscall_table[];

#endif
