/*
 * compat.c: exercise 3, which schema changes break old clients (see compat.h).
 * Test: `make test` here; suite evolution.
 * Lesson: docs/en/steps/02-schema.md#exercise-3-schema-evolution
 */
#include "compat.h"

compat compat_classify(change_kind kind)
{
    (void)kind;
    /* TODO: one case per change_kind: what travels on the wire, and does it
     * change? */
    return COMPAT_UNSPECIFIED;
}
