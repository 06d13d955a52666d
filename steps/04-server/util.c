/*
 * util.c: the helpers declared in util.h. Given: read them, don't edit.
 */
#include "util.h"

#include <time.h>

uint64_t fnv1a64(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325u; /* the FNV offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u; /* the FNV prime */
    }
    return h;
}

/* [sleep-or-cancel] */
bool sleep_or_cancel(cg_ctx *ctx, int64_t ms)
{
    /* Sleep in short slices and look at the call between them: a handler
     * asleep for a whole second would keep a vanished client's call, its
     * thread and its memory for that long, and hold up a server that is
     * shutting down. */
    const int64_t slice = 20;
    while (ms > 0 && !cg_ctx_cancelled(ctx)) {
        int64_t now = ms < slice ? ms : slice;
        struct timespec t = {0, (long)now * 1000000L};
        nanosleep(&t, NULL);
        ms -= now;
    }
    return !cg_ctx_cancelled(ctx);
}
/* [/sleep-or-cancel] */
