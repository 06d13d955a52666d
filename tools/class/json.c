/*
 * json.c: the board and a learner's history as JSON (see json.h).
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void jbuf_reserve(jbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        fprintf(stderr, "class server: out of memory\n");
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void jbuf_add(jbuf *b, const char *text, size_t n)
{
    jbuf_reserve(b, n);
    memcpy(b->data + b->len, text, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void jbuf_printf(jbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    jbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Text in the store is valid UTF-8 without control characters (store.c
 * checks it), so only quotes, backslashes and '<' need escaping ('<' so
 * that no text can close a <script> if a page ever inlines it). */
void jbuf_str(jbuf *b, const char *text)
{
    jbuf_add(b, "\"", 1);
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            jbuf_printf(b, "\\%c", *p);
        else if (*p == '<')
            jbuf_add(b, "\\u003c", 6);
        else if ((unsigned char)*p < 0x20)
            jbuf_printf(b, "\\u%04x", (unsigned char)*p);
        else
            jbuf_add(b, p, 1);
    }
    jbuf_add(b, "\"", 1);
}

static void json_cell(jbuf *b, const char *step, const store_cell *c)
{
    jbuf_add(b, "{\"step\":", 8);
    jbuf_str(b, step);
    jbuf_printf(b,
                ",\"passed\":%d,\"failed\":%d,\"build_failed\":%s,\"done\":%s,"
                "\"at\":%lld,"
                "\"first_failing\":",
                (int)c->passed, (int)c->failed,
                c->build_failed ? "true" : "false", c->done ? "true" : "false",
                (long long)c->at);
    jbuf_str(b, c->first_failing);
    jbuf_add(b, ",\"section\":", 11);
    jbuf_str(b, c->section);
    jbuf_add(b, "}", 1);
}

static void json_learner(jbuf *b, const store_view *v, const store_learner *l)
{
    jbuf_add(b, "{\"name\":", 8);
    jbuf_str(b, l->name);
    jbuf_add(b, ",\"cells\":[", 10);
    bool first = true;
    for (size_t i = 0; i < v->n_steps; i++) {
        if (!l->cells[i].present)
            continue;
        if (!first)
            jbuf_add(b, ",", 1);
        first = false;
        json_cell(b, v->steps[i], &l->cells[i]);
    }
    jbuf_add(b, "],\"stuck_on\":", 13);
    jbuf_str(b, l->stuck_on);
    jbuf_add(b, ",\"stuck_section\":", 17);
    jbuf_str(b, l->stuck_section);
    jbuf_printf(b, ",\"stuck_seconds\":%lld,\"last_seen\":%lld,\"reports\":%d}",
                (long long)l->stuck_seconds, (long long)l->last_seen,
                (int)l->reports);
}

static void json_hot(jbuf *b, const char *key, const store_hot *h, size_t n)
{
    jbuf_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        jbuf_add(b, i ? ",{\"what\":" : "{\"what\":", i ? 9 : 8);
        jbuf_str(b, h[i].what);
        jbuf_printf(b, ",\"learners\":%d}", (int)h[i].learners);
    }
    jbuf_add(b, "]", 1);
}

void json_board(jbuf *b, const store_view *v)
{
    jbuf_add(b, "{\"steps\":[", 10);
    for (size_t i = 0; i < v->n_steps; i++) {
        if (i)
            jbuf_add(b, ",", 1);
        jbuf_str(b, v->steps[i]);
    }
    jbuf_add(b, "],\"learners\":[", 14);
    for (size_t i = 0; i < v->n_learners; i++) {
        if (i)
            jbuf_add(b, ",", 1);
        json_learner(b, v, &v->learners[i]);
    }
    jbuf_add(b, "]", 1);
    json_hot(b, "failing_tests", v->tests, v->n_tests);
    json_hot(b, "failing_sections", v->sections, v->n_sections);
    jbuf_printf(b, ",\"reports\":%lld,\"now\":%lld,\"version\":%llu}",
                (long long)v->reports, (long long)v->now,
                (unsigned long long)v->version);
}

void json_history(jbuf *b, const char *learner, const store_entry *e, size_t n)
{
    jbuf_add(b, "{\"learner\":", 11);
    jbuf_str(b, learner);
    jbuf_add(b, ",\"reports\":[", 12);
    for (size_t i = 0; i < n; i++) {
        jbuf_add(b, i ? ",{\"id\":" : "{\"id\":", i ? 7 : 6);
        jbuf_str(b, e[i].id);
        jbuf_add(b, ",\"step\":", 8);
        jbuf_str(b, e[i].step);
        jbuf_printf(b,
                    ",\"passed\":%d,\"failed\":%d,\"build_failed\":%s,\"at\":%"
                    "lld,\"received\":%lld,"
                    "\"source\":",
                    (int)e[i].passed, (int)e[i].failed,
                    e[i].build_failed ? "true" : "false", (long long)e[i].at,
                    (long long)e[i].received);
        jbuf_str(b, e[i].source);
        jbuf_add(b, ",\"first_failing\":", 17);
        jbuf_str(b, e[i].first_failing);
        jbuf_add(b, ",\"section\":", 11);
        jbuf_str(b, e[i].section);
        jbuf_add(b, ",\"build_error\":", 15);
        jbuf_str(b, e[i].build_error);
        jbuf_add(b, "}", 1);
    }
    jbuf_add(b, "]}", 2);
}
