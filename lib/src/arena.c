/*
 * arena.c: a bump allocator with an inline first block (see arena.h).
 *
 * Blocks grow geometrically from 4 KiB up to 1 MiB so that a call building a
 * large response makes only a few mallocs; a request bigger than a quarter
 * of a block gets a block of its own so that one large string does not
 * waste the rest of the current block.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define ALIGN alignof(max_align_t)
#define MIN_BLOCK 4096
#define MAX_BLOCK (1024 * 1024)

struct cgi_block {
    cgi_block *next;
    size_t size; /* payload bytes after the header */
    alignas(max_align_t) char data[];
};

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static void *pbc_alloc(void *data, size_t size)
{
    return cgi_arena_alloc(data, size);
}

static void pbc_free(void *data, void *ptr)
{
    /* Arena memory goes away with the call; nothing to do per piece. */
    (void)data;
    (void)ptr;
}

void cgi_arena_init(cgi_arena *a, void *first, size_t first_size)
{
    a->first = first;
    a->first_size = first ? first_size : 0;
    a->cur = first;
    a->end = first ? (char *)first + first_size : NULL;
    a->blocks = NULL;
    a->next_size = MIN_BLOCK;
    a->pbc.alloc = pbc_alloc;
    a->pbc.free = pbc_free;
    a->pbc.allocator_data = a;
}

void cgi_arena_reset(cgi_arena *a)
{
    cgi_block *b = a->blocks;
    while (b != NULL) {
        cgi_block *next = b->next;
        free(b);
        b = next;
    }
    a->blocks = NULL;
    a->next_size = MIN_BLOCK;
    a->cur = a->first;
    a->end = a->first ? a->first + a->first_size : NULL;
}

void cgi_arena_free(cgi_arena *a)
{
    cgi_arena_reset(a);
}

static size_t block_room(const cgi_arena *a)
{
    return a->cur ? (size_t)(a->end - a->cur) : 0;
}

void *cgi_arena_alloc(cgi_arena *a, size_t size)
{
    size_t need = round_up(size ? size : 1);
    if (need < size)
        cgi_die("arena allocation too large");
    /* The inline block may not start on an ALIGN boundary; fix cur up. */
    if (a->cur) {
        uintptr_t p = (uintptr_t)a->cur;
        uintptr_t aligned = (p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
        a->cur = aligned <= (uintptr_t)a->end ? (char *)aligned : a->end;
    }
    if (block_room(a) < need) {
        if (need > a->next_size / 4) {
            /* Big request: a block of its own, linked in without becoming
             * the current block, which keeps serving small requests. */
            cgi_block *big = cgi_malloc(sizeof *big + need);
            big->size = need;
            big->next = a->blocks;
            a->blocks = big;
            memset(big->data, 0, need);
            return big->data;
        }
        cgi_block *b = cgi_malloc(sizeof *b + a->next_size);
        b->size = a->next_size;
        b->next = a->blocks;
        a->blocks = b;
        a->cur = b->data;
        a->end = b->data + b->size;
        if (a->next_size < MAX_BLOCK)
            a->next_size *= 2;
    }
    void *p = a->cur;
    a->cur += need;
    memset(p, 0, need);
    return p;
}

char *cgi_arena_strndup(cgi_arena *a, const char *s, size_t len)
{
    char *d = cgi_arena_alloc(a, len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *cgi_arena_vprintf(cgi_arena *a, const char *fmt, va_list ap)
{
    /* One pass when the text fits the current block: format straight into
     * the free room, then claim what was used. glibc's measuring pass
     * (vsnprintf into NULL) is slow for long %s arguments, so it is kept
     * for the rare text that does not fit, which is then formatted again. */
    va_list ap2;
    va_copy(ap2, ap);
    if (a->cur) {
        uintptr_t p = (uintptr_t)a->cur;
        uintptr_t aligned = (p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
        a->cur = aligned <= (uintptr_t)a->end ? (char *)aligned : a->end;
    }
    size_t room = block_room(a);
    int n = vsnprintf(room ? a->cur : NULL, room, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return cgi_arena_alloc(a, 1);
    if ((size_t)n < room) {
        char *d = a->cur;
        size_t used = round_up((size_t)n + 1);
        a->cur = used <= room ? a->cur + used : a->end;
        return d;
    }
    char *d = cgi_arena_alloc(a, (size_t)n + 1);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

ProtobufCAllocator *cgi_arena_pbc(cgi_arena *a)
{
    return &a->pbc;
}

size_t cgi_arena_blocks(const cgi_arena *a)
{
    size_t n = 0;
    for (const cgi_block *b = a->blocks; b != NULL; b = b->next)
        n++;
    return n;
}
