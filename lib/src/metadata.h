/*
 * metadata.h: metadata going out (headers, trailers, request metadata) and
 * coming in (as cg_md arrays a C program can read).
 *
 * Outgoing entries are kept as the core's grpc_metadata with slices the list
 * owns: the core takes its own references when a batch starts, and may keep
 * keys around (HPACK tables), so the slices are refcounted copies, never
 * pointers into memory that dies with a call. Incoming entries are copied
 * into an arena with a terminating NUL so that text values are C strings.
 */
#ifndef CGRPC_METADATA_H
#define CGRPC_METADATA_H

#include <stdbool.h>

#include <grpc/grpc.h>

#include "arena.h"
#include "cgrpc.h"

typedef struct cgi_mdlist {
    grpc_metadata *items;
    size_t n, cap;
} cgi_mdlist;

/* True for a key an application may send: lower-case legal header
 * characters, not reserved (":..." and "grpc-..." belong to the protocol).
 * For a non "-bin" key the value must be printable ASCII too. */
bool cgi_md_valid(const char *key, const char *value, size_t len);

/* Appends a copy of (key, value). value_len 0 on a text key means
 * strlen(value). False when invalid (nothing added). */
bool cgi_mdlist_add(cgi_mdlist *l, const char *key, const char *value,
                    size_t value_len);

/* Releases the slices and the array; the list is then empty. */
void cgi_mdlist_clear(cgi_mdlist *l);

/* Copies the core's array into arena memory as cg_md entries whose values
 * are NUL-terminated; *n receives the count. */
cg_md *cgi_md_import(const grpc_metadata_array *arr, cgi_arena *a, size_t *n);

/* The first value of `key` in md[n], or NULL; *len (if not NULL) gets its
 * length. */
const char *cgi_md_find(const cg_md *md, size_t n, const char *key,
                        size_t *len);

#endif
