/*
 * /bin/sh word expansion and shell variables.
 *
 * Expansion of one raw word: '...' is literal; "..." keeps blanks and
 * expands $ (\ escapes $ ` " \ and newline there); a bare \ quotes the
 * next character; $NAME, ${NAME}, $?, $$, $!, $#, $0..$9. Unquoted
 * expansions are split into fields on blanks (a word that expands to
 * nothing unquoted gives no field; "" gives an empty one).
 *
 * Variables: a growable array of NAME=VALUE strings (malloc'ed), each
 * with an export flag. sh_env_build refreshes environ from the exported
 * ones, so libc's posix_spawnp looks PATH up in what the shell exports.
 * Main thread only (sh.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

extern char **environ;

struct var {
    char *kv; /* "NAME=VALUE" */
    int exported;
};

static struct var *vars;
static int nvars, capvars;

static int name_char(char c, int first)
{
    return c == '_' || isalpha((unsigned char)c) ||
           (!first && isdigit((unsigned char)c));
}

int sh_is_assignment(const char *w)
{
    if (!name_char(*w, 1))
        return 0;
    while (name_char(*w, 0))
        w++;
    return *w == '=';
}

static struct var *var_find(const char *name, size_t len)
{
    for (int i = 0; i < nvars; i++)
        if (strncmp(vars[i].kv, name, len) == 0 && vars[i].kv[len] == '=')
            return &vars[i];
    return NULL;
}

static const char *var_getn(const char *name, size_t len)
{
    struct var *v = var_find(name, len);
    return v ? v->kv + len + 1 : NULL;
}

const char *sh_var_get(const char *name)
{
    return var_getn(name, strlen(name));
}

int sh_var_set(const char *name, const char *value, int export)
{
    size_t nl = strlen(name), vl = strlen(value);
    char *kv = malloc(nl + vl + 2);
    if (!kv)
        return -1;
    memcpy(kv, name, nl);
    kv[nl] = '=';
    memcpy(kv + nl + 1, value, vl + 1);
    struct var *v = var_find(name, nl);
    if (v) {
        free(v->kv);
        v->kv = kv;
        v->exported |= export;
        return 0;
    }
    if (nvars == capvars) {
        int nc = capvars ? capvars * 2 : 16;
        struct var *nv = realloc(vars, (size_t)nc * sizeof(*nv));
        if (!nv) {
            free(kv);
            return -1;
        }
        vars = nv;
        capvars = nc;
    }
    vars[nvars].kv = kv;
    vars[nvars].exported = export;
    nvars++;
    return 0;
}

void sh_var_export(const char *name)
{
    struct var *v = var_find(name, strlen(name));
    if (v)
        v->exported = 1;
    else
        sh_var_set(name, "", 1);
}

void sh_var_unset(const char *name)
{
    struct var *v = var_find(name, strlen(name));
    if (!v)
        return;
    free(v->kv);
    *v = vars[--nvars];
}

void sh_var_import(char **envp)
{
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq || eq == *envp)
            continue;
        char *name = sh_strndup(*envp, (size_t)(eq - *envp));
        sh_var_set(name, eq + 1, 1);
    }
    sh_arena_reset();
}

void sh_vars_print(int exported_only)
{
    for (int i = 0; i < nvars; i++)
        if (!exported_only || vars[i].exported)
            printf("%s%s\n", exported_only ? "export " : "", vars[i].kv);
}

char **sh_env_build(char **assign, int nassign)
{
    static char **env; /* the array environ points at, malloc'ed */
    free(env);
    env = malloc((size_t)(nvars + nassign + 1) * sizeof(char *));
    if (!env) {
        static char *empty[1];
        environ = empty;
        return empty;
    }
    int n = 0;
    for (int i = 0; i < nvars; i++) {
        if (!vars[i].exported)
            continue;
        size_t nl = (size_t)(strchr(vars[i].kv, '=') - vars[i].kv);
        int overridden = 0;
        for (int a = 0; a < nassign; a++)
            if (strncmp(assign[a], vars[i].kv, nl + 1) == 0)
                overridden = 1;
        if (!overridden)
            env[n++] = vars[i].kv;
    }
    for (int a = 0; a < nassign; a++)
        env[n++] = assign[a];
    env[n] = NULL;
    environ = env;
    return env;
}

/* ---- expansion ---- */

struct buf {
    char *s;
    size_t len, cap;
    int have; /* a field exists (even empty, from quotes) */
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 64) + n;
        char *p = sh_alloc(nc);
        if (b->s)
            memcpy(p, b->s, b->len);
        b->s = p;
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    b->have = 1;
}

static void field_end(struct buf *b, struct sh_fields *f)
{
    if (!b->have)
        return;
    if (f->n + 2 > f->cap) {
        int nc = f->cap ? f->cap * 2 : 8;
        char **v = sh_alloc((size_t)nc * sizeof(char *));
        if (f->v)
            memcpy(v, f->v, (size_t)f->n * sizeof(char *));
        f->v = v;
        f->cap = nc;
    }
    f->v[f->n++] = b->s ? b->s : sh_strndup("", 0);
    f->v[f->n] = NULL;
    memset(b, 0, sizeof(*b));
}

/* The value of the parameter at *pp (after '$'); advances *pp. NULL:
 * not a parameter (the '$' is literal). */
static const char *param(const char **pp, char *tmp, size_t tmpsz)
{
    const char *p = *pp;
    if (*p == '{') {
        const char *e = strchr(p, '}');
        if (!e)
            return NULL;
        *pp = e + 1;
        const char *n = p + 1;
        size_t len = (size_t)(e - n);
        if (len == 1 && !name_char(*n, 1)) {
            const char *one = n;
            return param(&one, tmp, tmpsz);
        }
        const char *v = var_getn(n, len);
        return v ? v : "";
    }
    if (*p == '?' || *p == '$' || *p == '#' || *p == '!') {
        *pp = p + 1;
        long v = *p == '?'   ? sh.status
                 : *p == '$' ? (long)getpid()
                 : *p == '!' ? (long)sh.last_bg
                             : (long)(sh.argc > 0 ? sh.argc - 1 : 0);
        snprintf(tmp, tmpsz, "%ld", v);
        return tmp;
    }
    if (isdigit((unsigned char)*p)) {
        int i = *p - '0';
        *pp = p + 1;
        return i < sh.argc ? sh.argv[i] : "";
    }
    if (!name_char(*p, 1))
        return NULL;
    const char *e = p;
    while (name_char(*e, 0))
        e++;
    *pp = e;
    const char *v = var_getn(p, (size_t)(e - p));
    return v ? v : "";
}

void sh_expand(const char *w, struct sh_fields *f)
{
    struct buf b = {0};
    char tmp[24];
    const char *p = w;
    while (*p) {
        if (*p == '\'') {
            const char *e = strchr(p + 1, '\'');
            if (!e)
                e = p + strlen(p);
            buf_put(&b, p + 1, (size_t)(e - p - 1));
            p = *e ? e + 1 : e;
        } else if (*p == '"') {
            b.have = 1;
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
                    buf_put(&b, p + 1, 1);
                    p += 2;
                } else if (*p == '$') {
                    const char *q = p + 1;
                    const char *v = param(&q, tmp, sizeof(tmp));
                    if (v) {
                        buf_put(&b, v, strlen(v));
                        b.have = 1;
                        p = q;
                    } else {
                        buf_put(&b, p++, 1);
                    }
                } else {
                    buf_put(&b, p++, 1);
                }
            }
            if (*p)
                p++;
        } else if (*p == '\\') {
            if (p[1]) {
                buf_put(&b, p + 1, 1);
                p += 2;
            } else {
                p++;
            }
        } else if (*p == '$') {
            const char *q = p + 1;
            const char *v = param(&q, tmp, sizeof(tmp));
            if (!v) {
                buf_put(&b, p++, 1);
                continue;
            }
            p = q;
            /* unquoted: split on blanks */
            for (const char *s = v; *s;) {
                if (*s == ' ' || *s == '\t' || *s == '\n') {
                    field_end(&b, f);
                    while (*s == ' ' || *s == '\t' || *s == '\n')
                        s++;
                    continue;
                }
                const char *e = s;
                while (*e && *e != ' ' && *e != '\t' && *e != '\n')
                    e++;
                buf_put(&b, s, (size_t)(e - s));
                s = e;
            }
        } else {
            buf_put(&b, p++, 1);
        }
    }
    field_end(&b, f);
    if (!f->v) {
        f->v = sh_alloc(sizeof(char *));
        f->v[0] = NULL;
    }
}

char *sh_expand1(const char *w)
{
    struct sh_fields f = {0};
    sh_expand(w, &f);
    if (f.n == 0)
        return sh_strndup("", 0);
    if (f.n == 1)
        return f.v[0];
    size_t len = 0;
    for (int i = 0; i < f.n; i++)
        len += strlen(f.v[i]) + 1;
    char *s = sh_alloc(len);
    for (int i = 0; i < f.n; i++) {
        strcat(s, f.v[i]);
        if (i + 1 < f.n)
            strcat(s, " ");
    }
    return s;
}
