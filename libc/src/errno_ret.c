/*
 * keel_ret's failure path (internal.h): errno from a negative kernel
 * result. Its own file, so that a program links no more than it did.
 * No locks: errno is per thread.
 */
#include <errno.h>

#include "internal.h"

int __keel_errno_ret(long r)
{
    errno = (int)-r;
    return -1;
}
