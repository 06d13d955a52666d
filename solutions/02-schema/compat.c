/*
 * compat.c: exercise 3, which schema changes break old clients (see compat.h).
 * Test: `make test` here; suite evolution.
 * Lesson: docs/en/steps/02-schema.md#exercise-3-schema-evolution
 */
#include "compat.h"

compat compat_classify(change_kind kind)
{
    switch (kind) {
    /* Nothing an old program reads changes meaning. */
    case CHANGE_ADD_FIELD:             /* old readers skip the unknown number */
    case CHANGE_REMOVE_FIELD_RESERVED: /* new readers skip it; nobody reuses it
                                        */
    case CHANGE_RENAME_FIELD:          /* names never travel, numbers do */
    case CHANGE_RENAME_MESSAGE:        /* message names are not in the path */
    case CHANGE_INT32_TO_INT64:  /* both are varints; int32 is sign-extended */
    case CHANGE_STRING_TO_BYTES: /* both LEN; fine while the bytes are UTF-8 */
    case CHANGE_ADD_ENUM_VALUE:  /* proto3 keeps an unknown value's number */
    case CHANGE_ADD_METHOD:      /* old clients never call it */
        return COMPAT_SAFE;

    /* Old programs read the wrong field, the wrong value, or call nothing. */
    case CHANGE_RENUMBER_FIELD:  /* old bytes land in no field, or another */
    case CHANGE_REUSE_NUMBER:    /* old bytes land in a field of new meaning */
    case CHANGE_INT32_TO_STRING: /* VARINT vs LEN: a parse error */
    case CHANGE_INT32_TO_SINT32: /* same wire type, zigzag: 1 reads as -1 */
    case CHANGE_REMOVE_METHOD:   /* old calls get UNIMPLEMENTED */
    case CHANGE_RENAME_METHOD:   /* the path changes: UNIMPLEMENTED */
    case CHANGE_RENAME_PACKAGE:  /* the path changes: UNIMPLEMENTED */
    case CHANGE_UNARY_TO_STREAMING: /* the sides disagree on how many messages
                                       flow */
        return COMPAT_BREAKING;

    case CHANGE_KIND_COUNT:
        break;
    }
    return COMPAT_UNSPECIFIED;
}
