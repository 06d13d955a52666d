/*
 * util.c: the arena, text buffer and diagnostics of protoc-gen-cgrpc.
 *
 * See util.h for why the plugin manages memory this way. Nothing here knows
 * about protobuf or gRPC.
 */
#include "util.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (p == NULL) {
        fprintf(stderr, "protoc-gen-cgrpc: out of memory\n");
        exit(1);
    }
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);

    if (p == NULL) {
        fprintf(stderr, "protoc-gen-cgrpc: out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- arena ---- */

/* Each allocation gets its own block: the plugin makes a few thousand small
 * strings at most, so simplicity wins over packing them. The header is
 * padded so that the payload is aligned like malloc's. */
struct arena_block {
    arena_block *next;
    _Alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(arena *a, size_t size)
{
    arena_block *b = xmalloc(sizeof(arena_block) + size);

    b->next = a->head;
    a->head = b;
    memset(b->data, 0, size);
    return b->data;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *copy = arena_alloc(a, n + 1);

    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *arena_strdup(arena *a, const char *s)
{
    if (s == NULL)
        s = "";
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "protoc-gen-cgrpc: bad format \"%s\"\n", fmt);
        exit(1);
    }
    s = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void arena_free(arena *a)
{
    while (a->head != NULL) {
        arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- text ---- */

static void text_reserve(text *t, size_t more)
{
    if (t->len + more + 1 <= t->cap)
        return;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap < t->len + more + 1)
        cap *= 2;
    t->data = xrealloc(t->data, cap);
    t->cap = cap;
}

void text_puts(text *t, const char *s)
{
    size_t n = strlen(s);

    text_reserve(t, n);
    memcpy(t->data + t->len, s, n + 1);
    t->len += n;
}

void text_putc(text *t, char c)
{
    text_reserve(t, 1);
    t->data[t->len++] = c;
    t->data[t->len] = '\0';
}

void text_printf(text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fprintf(stderr, "protoc-gen-cgrpc: bad format \"%s\"\n", fmt);
        exit(1);
    }
    text_reserve(t, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

const char *text_str(const text *t)
{
    return t->data ? t->data : "";
}

void text_clear(text *t)
{
    t->len = 0;
    if (t->data)
        t->data[0] = '\0';
}

void text_free(text *t)
{
    free(t->data);
    t->data = NULL;
    t->len = t->cap = 0;
}

/* ---- diags ---- */

void diag(diags *d, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (d->count > 0)
        text_putc(&d->all, '\n');
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *line = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    text_puts(&d->all, line);
    free(line);
    d->count++;
}
