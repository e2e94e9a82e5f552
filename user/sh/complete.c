/*
 * /bin/sh tab completion. The word before the cursor completes as a
 * command when it is the first of a command (after nothing, '|', ';',
 * '&') and holds no '/': builtins and the programs in every $PATH
 * directory (default /bin); otherwise as a path, from the entries of
 * its directory (readdir). One match is completed with a ' ' (a '/'
 * for a directory); several are completed to their longest common
 * prefix, or listed when that adds nothing. Main thread only (sh.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <keel/sys.h>

#include "sh.h"

#define MAX_MATCHES 128

struct matches {
    int n;
    char name[MAX_MATCHES][KEEL_NAME_MAX + 2]; /* + '/' for a directory */
};

static void add(struct matches *m, const char *name, int dir)
{
    for (int i = 0; i < m->n; i++)
        if (strncmp(m->name[i], name, strlen(name)) == 0 &&
            (m->name[i][strlen(name)] == '\0' ||
             (m->name[i][strlen(name)] == '/' && dir)))
            return; /* a duplicate (a builtin and a program) */
    if (m->n == MAX_MATCHES)
        return;
    snprintf(m->name[m->n++], sizeof(m->name[0]), "%s%s", name, dir ? "/" : "");
}

static void scan_dir(struct matches *m, const char *dir, const char *prefix,
                     size_t plen, int only_files)
{
    struct keel_dirent d;
    for (int i = 0; keel_readdir(dir, i, &d) == 1; i++) {
        d.name[KEEL_NAME_MAX] = '\0';
        if (strncmp(d.name, prefix, plen) != 0)
            continue;
        if (only_files && d.kind == KEEL_NODE_DIR)
            continue;
        add(m, d.name, d.kind == KEEL_NODE_DIR);
    }
}

static int is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '|' || c == ';' || c == '&' ||
           c == '<' || c == '>';
}

int sh_complete(const char *buf, size_t pos, char *ins, size_t inscap,
                int outfd)
{
    static struct matches m; /* large: not on the stack */
    size_t ws = pos;
    while (ws > 0 && !is_sep(buf[ws - 1]))
        ws--;
    const char *word = buf + ws;
    size_t wlen = pos - ws;
    size_t b = ws;
    while (b > 0 && (buf[b - 1] == ' ' || buf[b - 1] == '\t'))
        b--;
    int cmdpos =
        (b == 0 || strchr("|;&", buf[b - 1])) && !memchr(word, '/', wlen);
    m.n = 0;
    const char *prefix;
    size_t plen;
    if (cmdpos) {
        prefix = word;
        plen = wlen;
        for (int i = 0; i < sh_nbuiltins; i++)
            if (strncmp(sh_builtins[i].name, word, wlen) == 0)
                add(&m, sh_builtins[i].name, 0);
        const char *path = sh_var_get("PATH");
        if (!path || !*path)
            path = "/bin";
        for (const char *p = path; *p;) {
            const char *e = strchr(p, ':');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char dir[KEEL_PATH_MAX];
            if (n > 0 && n < sizeof(dir)) {
                memcpy(dir, p, n);
                dir[n] = '\0';
                scan_dir(&m, dir, word, wlen, 1);
            }
            p += n;
            if (*p == ':')
                p++;
        }
    } else {
        const char *slash = NULL;
        for (size_t i = 0; i < wlen; i++)
            if (word[i] == '/')
                slash = word + i;
        char dir[KEEL_PATH_MAX];
        if (!slash) {
            snprintf(dir, sizeof(dir), ".");
            prefix = word;
        } else {
            size_t dl = slash == word ? 1 : (size_t)(slash - word);
            if (dl >= sizeof(dir))
                return 0;
            memcpy(dir, word, dl);
            dir[dl] = '\0';
            prefix = slash + 1;
        }
        plen = wlen - (size_t)(prefix - word);
        scan_dir(&m, dir, prefix, plen, 0);
    }
    if (m.n == 0)
        return 0;
    /* the longest common prefix of the matches */
    size_t common = strlen(m.name[0]);
    for (int i = 1; i < m.n; i++) {
        size_t k = 0;
        while (k < common && m.name[i][k] == m.name[0][k])
            k++;
        common = k;
    }
    if (common > plen || m.n == 1) {
        size_t n = common - plen;
        if (n + 2 > inscap)
            return 0;
        memcpy(ins, m.name[0] + plen, n);
        ins[n] = '\0';
        if (m.n == 1 && (n == 0 || ins[n - 1] != '/'))
            strcat(ins, " ");
        return ins[0] ? 1 : 0;
    }
    write(outfd, "\r\n", 2);
    for (int i = 0; i < m.n; i++) {
        write(outfd, m.name[i], strlen(m.name[i]));
        if (i % 6 == 5 || i + 1 == m.n)
            write(outfd, "\r\n", 2);
        else
            write(outfd, "  ", 2);
    }
    return 2;
}
