/*
 * traits_text.h: traits as words, for failure messages of the exercise-1
 * tests ("client sends MANY, server sends ONE, first to speak: CLIENT").
 */
#ifndef DESIGN_TRAITS_TEXT_H
#define DESIGN_TRAITS_TEXT_H

#include <stdio.h>

#include "rpc_kind.h"

static inline const char *sends_text(rpc_sends s)
{
    return s == SENDS_ONE           ? "ONE"
           : s == SENDS_MANY        ? "MANY"
           : s == SENDS_UNSPECIFIED ? "UNSPECIFIED"
                                    : "?";
}

static inline const char *first_text(rpc_first f)
{
    return f == FIRST_CLIENT        ? "CLIENT"
           : f == FIRST_SERVER      ? "SERVER"
           : f == FIRST_UNSPECIFIED ? "UNSPECIFIED"
                                    : "?";
}

/* Writes the traits into buf (size n) and returns buf. */
static inline const char *traits_text(struct rpc_traits t, char *buf, size_t n)
{
    snprintf(buf, n, "client sends %s, server sends %s, first to speak: %s",
             sends_text(t.client_sends), sends_text(t.server_sends),
             first_text(t.first));
    return buf;
}

#endif
