/*
 * <features.h>: not a POSIX header but glibc's name for the
 * feature-test machinery, which programs written on Linux include.
 * On Keel it is <sys/features.h> (newlib's, wrapped by Keel's: the
 * _POSIX_* option macros announcing exactly what is provided).
 * No state, no locking.
 */
#ifndef KEEL_FEATURES_H
#define KEEL_FEATURES_H
#include <sys/features.h>
#endif
