/*
 * metrics_given.c: given, don't edit; no need to read it (metrics.h has
 * the contracts). The metrics' given part: the bounds, the registry's
 * setup, splitting a path, a growing text buffer. Exercise 5 is metrics.c.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_bounds_ms[METRICS_N_BOUNDS] = {
    0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000};

void metrics_init(metrics_registry *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
}

void metrics_destroy(metrics_registry *r)
{
    pthread_mutex_destroy(&r->mu);
}

bool metrics_split_path(const char *path, char *service, size_t service_cap,
                        char *method, size_t method_cap)
{
    const char *slash = strrchr(path, '/');
    if (path[0] != '/' || slash == NULL || slash == path || slash[1] == '\0')
        return false;
    size_t service_len = (size_t)(slash - path - 1);
    size_t method_len = strlen(slash + 1);
    if (service_len >= service_cap || method_len >= method_cap)
        return false;
    memcpy(service, path + 1, service_len);
    service[service_len] = '\0';
    memcpy(method, slash + 1, method_len + 1);
    return true;
}

void tb_printf(textbuf *tb, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = tb->cap - tb->len;
        int n = vsnprintf(tb->data ? tb->data + tb->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            tb->len += (size_t)n;
            return;
        }
        size_t cap = tb->cap ? tb->cap * 2 : 4096;
        while (cap - tb->len <= (size_t)n)
            cap *= 2;
        char *grown = realloc(tb->data, cap);
        if (grown == NULL) {
            fprintf(stderr, "metrics: out of memory\n");
            abort();
        }
        tb->data = grown;
        tb->cap = cap;
    }
}
