/*
 * The console test's scenario files (tests/console/NAME.scn, format in
 * docs/testing.md "Console tests"): parsed by scn.c into a list of steps,
 * run by console-test.c. Host code, single-threaded: no locking.
 */
#ifndef KEEL_CONSOLE_SCN_H
#define KEEL_CONSOLE_SCN_H

#include <stddef.h>

enum scn_op {
    SCN_TEST,        /* test NAME: the following steps form one test */
    SCN_SEND,        /* send TEXT: write the bytes at once */
    SCN_TYPE,        /* type TEXT: one byte at a time, `gap` ms apart */
    SCN_PROBE,       /* probe TEXT [ECHO]: send TEXT every second until
                        ECHO (default TEXT) appears */
    SCN_EXPECT,      /* expect TEXT: wait for TEXT in the new output */
    SCN_EXPECT_NOT,  /* expect-not TEXT: TEXT absent (see console-test.c) */
    SCN_FAIL_ON,     /* fail-on TEXT: TEXT seen while the rest of the test
                        waits fails it at once and stops the scenario */
    SCN_EXPECT_EXIT, /* expect-exit N: QEMU ends with status N */
    SCN_TIMEOUT,     /* timeout SECONDS: limit of later waiting steps */
    SCN_GAP,         /* gap MS: the pause between typed bytes */
    SCN_SLEEP,       /* sleep MS: keep reading output for MS */
};

struct scn_step {
    enum scn_op op;
    int line;   /* in the scenario file, for messages */
    char *text; /* TEST: the name; SEND/TYPE/EXPECT*: the bytes */
    size_t len; /* bytes in text (may hold NULs) */
    long num;   /* EXPECT_EXIT, TIMEOUT, GAP, SLEEP */
    char *echo; /* PROBE: the echo waited for (NULL: text) */
    size_t echo_len;
    char *shown; /* the argument as written, for messages */
};

struct scn {
    const char *path;
    struct scn_step *steps;
    int nsteps;
};

/* Reads and parses path. Returns 0, or -1 after printing
 * "path:line: reason" to stderr. */
int scn_load(const char *path, struct scn *out);
void scn_free(struct scn *s);

#endif
