/*
 * arena.h: per-call memory that is freed all at once.
 *
 * A handler builds its response out of many small pieces (strings, nested
 * messages, repeated fields). Tracking each one would make every handler a
 * lesson in free(). Instead each call owns an arena: allocation bumps a
 * pointer inside a block, and the call's end releases every block together.
 * Protobuf-c's unpacker can allocate through an arena too (cgi_arena_pbc),
 * so a request message lands in the same memory and needs no freeing either.
 *
 * The first block lives inside the owning struct (`first` of `first_size`
 * bytes), so a small call never calls malloc for its arena at all.
 */
#ifndef CGRPC_ARENA_H
#define CGRPC_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct cgi_block cgi_block;

typedef struct cgi_arena {
    char *cur;   /* next free byte in the current block */
    char *end;   /* end of the current block */
    char *first; /* the inline first block (may be NULL) */
    size_t first_size;
    cgi_block *blocks; /* malloc'd blocks, newest first */
    size_t next_size;  /* size of the next ordinary block */
    ProtobufCAllocator pbc;
} cgi_arena;

/* Initialises `a` with an optional inline first block. */
void cgi_arena_init(cgi_arena *a, void *first, size_t first_size);

/* Frees every malloc'd block; the arena is then empty and reusable. */
void cgi_arena_reset(cgi_arena *a);

/* Same as reset; named for the end of an arena's life. */
void cgi_arena_free(cgi_arena *a);

/* Zeroed memory aligned for any type. Never NULL (aborts on exhaustion). */
void *cgi_arena_alloc(cgi_arena *a, size_t size);
char *cgi_arena_strndup(cgi_arena *a, const char *s, size_t len);
char *cgi_arena_vprintf(cgi_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* A protobuf-c allocator that allocates from `a` and never frees. */
ProtobufCAllocator *cgi_arena_pbc(cgi_arena *a);

/* How many malloc'd blocks the arena holds (0: all inline), for tests. */
size_t cgi_arena_blocks(const cgi_arena *a);

#endif
