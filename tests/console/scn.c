/*
 * Parser of the console test's scenario files (format in docs/testing.md
 * "Console tests"). One directive a line: KEYWORD [ARGUMENT]; blank lines
 * and lines starting with # are skipped. A text argument is either the
 * rest of the line (trailing blanks dropped) or a double-quoted string;
 * both understand the escapes \r \n \t \b \e (ESC) \\ \" and \xHH. `probe`
 * takes a second quoted string, the echo it waits for.
 * Host code, single-threaded: no locking.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn.h"

static const struct {
    const char *word;
    enum scn_op op;
    int arg; /* 0 none, 1 text, 2 number */
} keywords[] = {
    {"test", SCN_TEST, 1},       {"send", SCN_SEND, 1},
    {"type", SCN_TYPE, 1},       {"probe", SCN_PROBE, 1},
    {"expect", SCN_EXPECT, 1},   {"expect-not", SCN_EXPECT_NOT, 1},
    {"fail-on", SCN_FAIL_ON, 1}, {"expect-exit", SCN_EXPECT_EXIT, 2},
    {"timeout", SCN_TIMEOUT, 2}, {"gap", SCN_GAP, 2},
    {"sleep", SCN_SLEEP, 2},
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes the argument s (NUL-terminated, trailing blanks removed) into
 * out (at least strlen(s) + 1 bytes). Returns the length, or -1 with
 * *why set. With rest, a quoted string may be followed by blanks and
 * more text, which *rest then points at (NULL: nothing followed). */
static long decode(const char *s, char *out, const char **why,
                   const char **rest)
{
    int quoted = *s == '"';
    const char *p = s + quoted;
    size_t n = 0;
    if (rest)
        *rest = NULL;
    for (;;) {
        char c = *p++;
        if (!c) {
            if (quoted) {
                *why = "unterminated quoted string";
                return -1;
            }
            break;
        }
        if (quoted && c == '"') {
            while (rest && isspace((unsigned char)*p))
                p++;
            if (*p && rest) {
                *rest = p;
            } else if (*p) {
                *why = "text after the closing quote";
                return -1;
            }
            break;
        }
        if (c == '\\') {
            c = *p++;
            switch (c) {
            case 'r':
                c = '\r';
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'b':
                c = '\b';
                break;
            case 'e':
                c = 27;
                break;
            case '\\':
            case '"':
                break;
            case 'x': {
                int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
                if (lo < 0) {
                    *why = "\\x needs two hex digits";
                    return -1;
                }
                c = (char)(hi * 16 + lo);
                p += 2;
                break;
            }
            default:
                *why =
                    "unknown escape (use \\r \\n \\t \\b \\e \\\\ \\\" \\xHH)";
                return -1;
            }
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return (long)n;
}

static int parse_line(char *line, struct scn_step *st, const char **why)
{
    char *p = line;
    while (*p && !isspace((unsigned char)*p))
        p++;
    size_t wlen = (size_t)(p - line);
    while (isspace((unsigned char)*p))
        p++;
    char *end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
        *--end = '\0';
    for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
        if (strlen(keywords[k].word) != wlen ||
            strncmp(keywords[k].word, line, wlen))
            continue;
        st->op = keywords[k].op;
        if (!*p) {
            *why = "missing argument";
            return -1;
        }
        /* Messages quote at most 60 characters of the argument. */
        st->shown = strlen(p) > 60 ? malloc(64) : strdup(p);
        if (st->shown && strlen(p) > 60)
            snprintf(st->shown, 64, "%.60s...", p);
        if (!st->shown) {
            *why = strerror(ENOMEM);
            return -1;
        }
        if (keywords[k].arg == 2) {
            char *e;
            errno = 0;
            st->num = strtol(p, &e, 10);
            if (errno || *e || st->num < 0) {
                *why = "expected a non-negative number";
                return -1;
            }
            return 0;
        }
        st->text = malloc(strlen(p) + 1);
        if (!st->text) {
            *why = strerror(ENOMEM);
            return -1;
        }
        const char *rest = NULL;
        long n = decode(p, st->text, why, st->op == SCN_PROBE ? &rest : NULL);
        if (n < 0)
            return -1;
        if (n == 0) {
            *why = "empty text";
            return -1;
        }
        st->len = (size_t)n;
        if (rest) { /* probe "TEXT" "ECHO" */
            if (*rest != '"') {
                *why = "probe: the echo must be a quoted string too";
                return -1;
            }
            st->echo = malloc(strlen(rest) + 1);
            if (!st->echo) {
                *why = strerror(ENOMEM);
                return -1;
            }
            n = decode(rest, st->echo, why, NULL);
            if (n <= 0) {
                if (n == 0)
                    *why = "empty echo";
                return -1;
            }
            st->echo_len = (size_t)n;
        }
        return 0;
    }
    *why = "unknown directive (test send type probe expect expect-not "
           "fail-on expect-exit timeout gap sleep)";
    return -1;
}

int scn_load(const char *path, struct scn *out)
{
    memset(out, 0, sizeof(*out));
    out->path = path;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char buf[4096];
    int lineno = 0, cap = 0, ok = 1, have_test = 0;
    while (ok && fgets(buf, sizeof(buf), f)) {
        lineno++;
        const char *why = NULL;
        size_t l = strlen(buf);
        if (l && buf[l - 1] == '\n')
            buf[--l] = '\0';
        else if (!feof(f)) {
            why = "line too long";
        }
        char *s = buf;
        while (isspace((unsigned char)*s))
            s++;
        if (!why && (!*s || *s == '#'))
            continue;
        if (!why && out->nsteps == cap) {
            cap = cap ? 2 * cap : 64;
            struct scn_step *n = realloc(out->steps, cap * sizeof(*n));
            if (!n)
                why = strerror(ENOMEM);
            else
                out->steps = n;
        }
        struct scn_step *st = NULL;
        if (!why) {
            st = &out->steps[out->nsteps++];
            memset(st, 0, sizeof(*st));
            st->line = lineno;
            parse_line(s, st, &why);
        }
        if (!why && st->op == SCN_TEST)
            have_test = 1;
        else if (!why && !have_test)
            why = "a step before the first `test NAME` line";
        if (why) {
            fprintf(stderr, "%s:%d: %s\n", path, lineno, why);
            ok = 0;
        }
    }
    fclose(f);
    if (ok && !have_test) {
        fprintf(stderr, "%s: no `test NAME` line\n", path);
        ok = 0;
    }
    if (!ok)
        scn_free(out);
    return ok ? 0 : -1;
}

void scn_free(struct scn *s)
{
    for (int i = 0; i < s->nsteps; i++) {
        free(s->steps[i].text);
        free(s->steps[i].echo);
        free(s->steps[i].shown);
    }
    free(s->steps);
    s->steps = NULL;
    s->nsteps = 0;
}
