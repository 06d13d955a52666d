/*
 * compat.h: which schema changes keep old programs working (given; you
 * write compat.c).
 *
 * The question for every change: a client and a server were built from the
 * old schema; one of them is rebuilt from the new schema and the other is
 * not. Do calls between them still work, with every field meaning what it
 * meant? "Work" is about gRPC's binary wire format: field numbers and wire
 * types travel in the message bytes, the package, service and method names
 * travel in the call's path (/tutorial.v1.MyService/UnaryCall); message and
 * field names do not travel at all.
 * The lesson: docs/en/steps/02-schema.md#exercise-3-schema-evolution
 */
#ifndef STEP02_COMPAT_H
#define STEP02_COMPAT_H

typedef enum change_kind {
    CHANGE_ADD_FIELD,             /* a new field, with a number never used */
    CHANGE_REMOVE_FIELD_RESERVED, /* delete a field; reserve its number, name */
    CHANGE_RENAME_FIELD,          /* same number and type, new name */
    CHANGE_RENAME_MESSAGE,        /* a message type gets a new name */
    CHANGE_INT32_TO_INT64,        /* widen an integer field, same number */
    CHANGE_STRING_TO_BYTES,       /* string -> bytes, same number */
    CHANGE_ADD_ENUM_VALUE,        /* a new value at the end of an enum */
    CHANGE_ADD_METHOD,            /* a new rpc in an existing service */
    CHANGE_RENUMBER_FIELD,        /* same name and type, new number */
    CHANGE_REUSE_NUMBER,       /* a new field takes a deleted field's number */
    CHANGE_INT32_TO_STRING,    /* same number, a type of another wire type */
    CHANGE_INT32_TO_SINT32,    /* same number and wire type, zigzag encoding */
    CHANGE_REMOVE_METHOD,      /* delete an rpc */
    CHANGE_RENAME_METHOD,      /* an rpc gets a new name */
    CHANGE_RENAME_PACKAGE,     /* e.g. tutorial.v1 -> tutorial.core.v1 */
    CHANGE_UNARY_TO_STREAMING, /* add `stream` to a request or response */
    CHANGE_KIND_COUNT
} change_kind;

typedef enum compat {
    COMPAT_UNSPECIFIED = 0, /* not classified (or not a change_kind) */
    COMPAT_SAFE,            /* old and new programs keep working together */
    COMPAT_BREAKING,        /* an old program fails or misreads data */
} compat;

/*
 * Classifies one kind of change. Returns COMPAT_SAFE or COMPAT_BREAKING
 * for every change_kind above, and COMPAT_UNSPECIFIED for any other value.
 */
compat compat_classify(change_kind kind);

#endif
