/*
 * metadata.c: outgoing metadata lists and incoming metadata copies.
 */
#include "metadata.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

static bool ends_with_bin(const char *key)
{
    size_t n = strlen(key);
    return n >= 4 && memcmp(key + n - 4, "-bin", 4) == 0;
}

bool cgi_md_valid(const char *key, const char *value, size_t len)
{
    if (key == NULL || key[0] == '\0' || key[0] == ':' ||
        strncmp(key, "grpc-", 5) == 0)
        return false;
    /* The core's own checks: header names are lower-case token characters,
     * and text values are printable ASCII (binary ones are base64-encoded
     * on the wire by the core, so any byte is fine there). */
    if (!grpc_header_key_is_legal(grpc_slice_from_static_string(key)))
        return false;
    if (value == NULL)
        return len == 0;
    if (!ends_with_bin(key) && !grpc_header_nonbin_value_is_legal(
                                   grpc_slice_from_static_buffer(value, len)))
        return false;
    return true;
}

bool cgi_mdlist_add(cgi_mdlist *l, const char *key, const char *value,
                    size_t value_len)
{
    if (key != NULL && value != NULL && value_len == 0 && !ends_with_bin(key))
        value_len = strlen(value);
    if (!cgi_md_valid(key, value, value_len))
        return false;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->items = cgi_realloc(l->items, l->cap * sizeof *l->items);
    }
    grpc_metadata *md = &l->items[l->n++];
    memset(md, 0, sizeof *md);
    md->key = grpc_slice_from_copied_string(key);
    md->value = value_len ? grpc_slice_from_copied_buffer(value, value_len)
                          : grpc_empty_slice();
    return true;
}

void cgi_mdlist_clear(cgi_mdlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        grpc_slice_unref(l->items[i].key);
        grpc_slice_unref(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

cg_md *cgi_md_import(const grpc_metadata_array *arr, cgi_arena *a, size_t *n)
{
    *n = arr->count;
    cg_md *out =
        cgi_arena_alloc(a, (arr->count ? arr->count : 1) * sizeof *out);
    for (size_t i = 0; i < arr->count; i++) {
        grpc_slice k = arr->metadata[i].key, v = arr->metadata[i].value;
        out[i].key = cgi_arena_strndup(a, (const char *)GRPC_SLICE_START_PTR(k),
                                       GRPC_SLICE_LENGTH(k));
        out[i].value = cgi_arena_strndup(
            a, (const char *)GRPC_SLICE_START_PTR(v), GRPC_SLICE_LENGTH(v));
        out[i].value_len = GRPC_SLICE_LENGTH(v);
    }
    return out;
}

const char *cgi_md_find(const cg_md *md, size_t n, const char *key, size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(md[i].key, key) == 0) {
            if (len != NULL)
                *len = md[i].value_len;
            return md[i].value;
        }
    }
    if (len != NULL)
        *len = 0;
    return NULL;
}
