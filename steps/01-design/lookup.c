/*
 * lookup.c: given helpers that read the tables you fill in.
 *
 * Nothing to change here. The tests use these to find a use case or a
 * method by name and to print kinds as words instead of numbers.
 */
#include <string.h>

#include "design_record.h"
#include "rpc_kind.h"

const char *rpc_kind_name(rpc_kind kind)
{
    switch (kind) {
    case RPC_KIND_UNSPECIFIED:
        return "UNSPECIFIED";
    case RPC_UNARY:
        return "UNARY";
    case RPC_SERVER_STREAMING:
        return "SERVER_STREAMING";
    case RPC_CLIENT_STREAMING:
        return "CLIENT_STREAMING";
    case RPC_BIDI_STREAMING:
        return "BIDI_STREAMING";
    }
    /* Not a member of the enum: a cast or a corrupted value. */
    return "?";
}

const struct use_case *use_case_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < USE_CASE_COUNT; i++)
        if (USE_CASES[i].name != NULL && strcmp(USE_CASES[i].name, name) == 0)
            return &USE_CASES[i];
    return NULL;
}

const struct method_design *design_find(const char *path)
{
    if (path == NULL)
        return NULL;
    for (size_t i = 0; i < DESIGN_RECORD_LEN; i++)
        if (DESIGN_RECORD[i].path != NULL &&
            strcmp(DESIGN_RECORD[i].path, path) == 0)
            return &DESIGN_RECORD[i];
    return NULL;
}
