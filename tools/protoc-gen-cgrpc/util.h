/*
 * util.h: memory, text and error helpers of protoc-gen-cgrpc.
 *
 * A protoc plugin is a short-lived batch program: it reads one request, writes
 * one response and exits. So every string the generator makes comes from one
 * arena that is freed in a single call at the end (valgrind-clean without
 * bookkeeping), output files are built in growable text buffers, and problems
 * found in the .proto files are collected as messages (diags) that become the
 * response's `error` field. Running out of memory is not a .proto problem: it
 * ends the program with a message on stderr.
 */
#ifndef CGRPC_PLUGIN_UTIL_H
#define CGRPC_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* malloc/realloc that never return NULL: they exit(1) with a message. */
void *xmalloc(size_t size);
void *xrealloc(void *ptr, size_t size);

/* ---- arena: many small allocations, one free ---- */

typedef struct arena_block arena_block;
typedef struct arena {
    arena_block *head;
} arena;

#define ARENA_INIT                                                             \
    {                                                                          \
        NULL                                                                   \
    }

/* Zeroed memory owned by the arena, aligned for any type. */
void *arena_alloc(arena *a, size_t size);
/* A copy of s (NULL -> ""). */
char *arena_strdup(arena *a, const char *s);
/* A copy of the first n bytes of s, NUL-terminated. */
char *arena_strndup(arena *a, const char *s, size_t n);
/* A printf-formatted string. */
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees every allocation of the arena; it can be used again afterwards. */
void arena_free(arena *a);

/* ---- text buffer: an output file being written ---- */

typedef struct text {
    char *data; /* NUL-terminated; NULL until something is written */
    size_t len;
    size_t cap;
} text;

#define TEXT_INIT                                                              \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

void text_puts(text *t, const char *s);
void text_putc(text *t, char c);
void text_printf(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); owned by t. */
const char *text_str(const text *t);
/* Forgets the contents but keeps the memory. */
void text_clear(text *t);
void text_free(text *t);

/* ---- diags: problems found in the input, reported to protoc ---- */

typedef struct diags {
    text all; /* one message per line */
    size_t count;
} diags;

#define DIAGS_INIT                                                             \
    {                                                                          \
        TEXT_INIT, 0                                                           \
    }

/* Adds one message (without trailing newline). */
void diag(diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* CGRPC_PLUGIN_UTIL_H */
