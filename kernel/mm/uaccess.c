/* Checked user access: range checks here, the copy itself in
 * arch/uaccess.S whose faults the trap handler turns into -EFAULT. */
#include "../include/mm.h"

/* uaccess.S: 0 or -EFAULT, as an int (sign-extended in a0), so that the
 * two wrappers below end in a tail call. */
int __copy_user(void *dst, const void *src, size_t n);
long __strncpy_user(char *dst, const char *src, size_t max);
long __cmpxchg32_user(uint32_t *uaddr, uint32_t old, uint32_t new);

int copy_from_user(void *dst, uint64_t usrc, size_t n)
{
    if (!user_range_ok(usrc, n))
        return -EFAULT;
    return __copy_user(dst, (const void *)usrc, n);
}

int copy_to_user(uint64_t udst, const void *src, size_t n)
{
    if (!user_range_ok(udst, n))
        return -EFAULT;
    return __copy_user((void *)udst, src, n);
}

long strncpy_from_user(char *dst, uint64_t usrc, size_t max)
{
    if (usrc < USER_BASE || usrc >= USER_TOP)
        return -EFAULT;
    size_t room = USER_TOP - usrc;
    long r = __strncpy_user(dst, (const char *)usrc, MIN(max, room));
    if (r == -ENAMETOOLONG && room < max)
        return -EFAULT; /* ran off the end of user space */
    return r;
}

int uaccess_cmpxchg32(uint64_t uaddr, uint32_t old, uint32_t new, uint32_t *cur)
{
    if ((uaddr & 3) || !user_range_ok(uaddr, sizeof(uint32_t)))
        return -EFAULT;
    long r = __cmpxchg32_user((uint32_t *)uaddr, old, new);
    if (r < 0)
        return (int)r;
    *cur = (uint32_t)r;
    return 0;
}
