/*
 * /bin/sh lexer and parser. A line (or a -c string, newlines act as ';')
 * becomes a struct sh_list:
 *
 *   list     := andor ((';' | '&' | newline) andor)* [';' | '&']
 *   andor    := pipeline (('&&' | '||') pipeline)*
 *   pipeline := command ('|' command)*
 *   command  := (word | redirection)+
 *   redir    := [n]'<' word | [n]'>' word | [n]'>>' word | [n]'>&' word
 *               | [n]'<&' word
 *
 * Words keep their quotes and '$' here: expand.c expands each command
 * just before it runs, so `X=1; echo $X` sees the new X. '#' at the
 * start of a word comments out the rest of the line.
 *
 * All memory comes from one arena (a chain of malloc'ed blocks) that the
 * main loop frees after each line. Main thread only (sh.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"

/* ---- the arena ---- */

struct arena_blk {
    struct arena_blk *next;
    size_t used, size;
    char mem[];
};

static struct arena_blk *arena;

void *sh_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!arena || arena->size - arena->used < n) {
        size_t size = n > 8192 ? n : 8192;
        struct arena_blk *b = malloc(sizeof(*b) + size);
        if (!b) {
            sh_err("sh: out of memory\n");
            sh_exit(2);
        }
        b->next = arena;
        b->used = 0;
        b->size = size;
        arena = b;
    }
    void *p = arena->mem + arena->used;
    arena->used += n;
    memset(p, 0, n);
    return p;
}

char *sh_strndup(const char *s, size_t n)
{
    char *p = sh_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sh_arena_reset(void)
{
    while (arena) {
        struct arena_blk *n = arena->next;
        free(arena);
        arena = n;
    }
}

/* ---- the lexer ---- */

enum tok_kind { T_EOF, T_WORD, T_PIPE, T_AND, T_OR, T_SEMI, T_AMP, T_REDIR };

struct tok {
    enum tok_kind kind;
    char *word; /* T_WORD: raw text */
    int fd;     /* T_REDIR: the fd, -1 for the default */
    enum sh_redir_op op;
    const char *start; /* in the source */
    const char *end;
};

struct lexer {
    const char *p;
    struct tok cur;
    int err;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int is_meta(char c)
{
    return c == '|' || c == '&' || c == ';' || c == '<' || c == '>' ||
           c == '\n' || is_blank(c) || c == '\0';
}

/* Scans one word starting at p (quotes kept); returns its end or NULL
 * on an unterminated quote. */
static const char *scan_word(const char *p)
{
    while (!is_meta(*p)) {
        if (*p == '\\') {
            p++;
            if (*p)
                p++;
        } else if (*p == '\'') {
            const char *q = strchr(p + 1, '\'');
            if (!q)
                return NULL;
            p = q + 1;
        } else if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (!*p)
                return NULL;
            p++;
        } else if (*p == '$' && p[1] == '{') {
            const char *q = strchr(p, '}');
            p = q ? q + 1 : p + 2;
        } else {
            p++;
        }
    }
    return p;
}

static void lex_next(struct lexer *lx)
{
    struct tok *t = &lx->cur;
    const char *p = lx->p;
    memset(t, 0, sizeof(*t));
    while (is_blank(*p))
        p++;
    if (*p == '#') /* a comment: to the end of the line */
        while (*p && *p != '\n')
            p++;
    t->start = p;
    t->fd = -1;
    if (!*p) {
        t->kind = T_EOF;
    } else if (*p == '\n' || *p == ';') {
        t->kind = T_SEMI;
        p++;
    } else if (*p == '|') {
        t->kind = p[1] == '|' ? T_OR : T_PIPE;
        p += p[1] == '|' ? 2 : 1;
    } else if (*p == '&') {
        t->kind = p[1] == '&' ? T_AND : T_AMP;
        p += p[1] == '&' ? 2 : 1;
    } else {
        /* [digits] then < or >: a redirection */
        const char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (*q == '<' || *q == '>') {
            t->kind = T_REDIR;
            if (q > p)
                t->fd = (int)strtol(p, NULL, 10);
            if (q[0] == '>' && q[1] == '>') {
                t->op = RD_APPEND;
                q += 2;
            } else if (q[1] == '&') {
                t->op = RD_DUP;
                if (t->fd < 0)
                    t->fd = q[0] == '<' ? 0 : 1;
                q += 2;
            } else {
                t->op = q[0] == '<' ? RD_IN : RD_OUT;
                q++;
            }
            if (t->fd < 0)
                t->fd = t->op == RD_IN ? 0 : 1;
            p = q;
        } else {
            const char *e = scan_word(p);
            if (!e) {
                sh_err("sh: syntax error: unterminated quote\n");
                lx->err = 1;
                t->kind = T_EOF;
                p += strlen(p);
            } else {
                t->kind = T_WORD;
                t->word = sh_strndup(p, (size_t)(e - p));
                p = e;
            }
        }
    }
    t->end = p;
    lx->p = p;
}

/* ---- the parser ---- */

static const char *tok_name(const struct tok *t)
{
    switch (t->kind) {
    case T_EOF:
        return "end of line";
    case T_PIPE:
        return "|";
    case T_AND:
        return "&&";
    case T_OR:
        return "||";
    case T_SEMI:
        return ";";
    case T_AMP:
        return "&";
    case T_REDIR:
        return "redirection";
    default:
        return "word";
    }
}

static int syntax(struct lexer *lx)
{
    if (!lx->err)
        sh_err("sh: syntax error near '%s'\n", tok_name(&lx->cur));
    lx->err = 1;
    return -1;
}

/* Growable arrays in the arena: doubles by copying. */
static void *grow(void *old, int n, int *cap, size_t elem)
{
    if (n < *cap)
        return old;
    int ncap = *cap ? *cap * 2 : 4;
    void *p = sh_alloc((size_t)ncap * elem);
    if (old)
        memcpy(p, old, (size_t)n * elem);
    *cap = ncap;
    return p;
}

static int parse_command(struct lexer *lx, struct sh_cmd *c)
{
    int wcap = 0, rcap = 0;
    memset(c, 0, sizeof(*c));
    for (;;) {
        struct tok *t = &lx->cur;
        if (t->kind == T_WORD) {
            c->words = grow(c->words, c->nwords + 1, &wcap, sizeof(char *));
            c->words[c->nwords++] = t->word;
            lex_next(lx);
        } else if (t->kind == T_REDIR) {
            struct sh_redir r = {.fd = t->fd, .op = t->op};
            lex_next(lx);
            if (lx->cur.kind != T_WORD)
                return syntax(lx);
            r.word = lx->cur.word;
            c->redirs = grow(c->redirs, c->nredirs, &rcap, sizeof(r));
            c->redirs[c->nredirs++] = r;
            lex_next(lx);
        } else {
            break;
        }
    }
    if (c->nwords == 0 && c->nredirs == 0)
        return syntax(lx);
    /* NULL-terminated for the executor's convenience. */
    c->words = grow(c->words, c->nwords + 1, &wcap, sizeof(char *));
    c->words[c->nwords] = NULL;
    return 0;
}

static int parse_pipeline(struct lexer *lx, struct sh_pipeline *p)
{
    int cap = 0;
    memset(p, 0, sizeof(*p));
    for (;;) {
        p->cmds = grow(p->cmds, p->ncmds, &cap, sizeof(struct sh_cmd));
        if (parse_command(lx, &p->cmds[p->ncmds]) < 0)
            return -1;
        p->ncmds++;
        if (lx->cur.kind != T_PIPE)
            return 0;
        if (p->ncmds == SH_PIPE_MAX) {
            sh_err("sh: a pipeline has at most %d commands\n", SH_PIPE_MAX);
            lx->err = 1;
            return -1;
        }
        lex_next(lx);
        while (lx->cur.kind == T_SEMI && *lx->cur.start == '\n')
            lex_next(lx); /* a newline after '|' continues the pipeline */
    }
}

static int parse_andor(struct lexer *lx, struct sh_andor *a)
{
    int cap = 0;
    memset(a, 0, sizeof(*a));
    a->src = lx->cur.start;
    for (;;) {
        a->pipes = grow(a->pipes, a->npipes, &cap, sizeof(struct sh_pipeline));
        struct sh_pipeline *p = &a->pipes[a->npipes];
        if (parse_pipeline(lx, p) < 0)
            return -1;
        a->npipes++;
        a->srclen = (size_t)(lx->cur.start - a->src);
        if (lx->cur.kind != T_AND && lx->cur.kind != T_OR)
            return 0;
        p->conn = lx->cur.kind == T_AND ? C_AND : C_OR;
        lex_next(lx);
        while (lx->cur.kind == T_SEMI && *lx->cur.start == '\n')
            lex_next(lx);
    }
}

int sh_parse(const char *line, struct sh_list *out)
{
    struct lexer lx = {.p = line};
    int cap = 0;
    memset(out, 0, sizeof(*out));
    lex_next(&lx);
    for (;;) {
        while (lx.cur.kind == T_SEMI && *lx.cur.start == '\n')
            lex_next(&lx); /* blank lines */
        if (lx.err)
            return -1;
        if (lx.cur.kind == T_EOF)
            return 0;
        out->items = grow(out->items, out->n, &cap, sizeof(struct sh_andor));
        struct sh_andor *a = &out->items[out->n];
        if (parse_andor(&lx, a) < 0)
            return -1;
        out->n++;
        if (lx.cur.kind == T_AMP) {
            a->bg = 1;
            lex_next(&lx);
        } else if (lx.cur.kind == T_SEMI) {
            lex_next(&lx);
        } else if (lx.cur.kind != T_EOF) {
            return syntax(&lx);
        }
    }
}
