/*
 * json.h: the board and a learner's history as JSON, for the web board
 * (GET /board.json, the server-sent events, GET /history).
 */
#ifndef CLASS_JSON_H
#define CLASS_JSON_H

#include <stddef.h>

#include "store.h"

/* A growing text buffer; start with {0}, free data with free(). */
typedef struct jbuf {
    char *data;
    size_t len, cap;
} jbuf;

void jbuf_add(jbuf *b, const char *text, size_t n);
void jbuf_printf(jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON string literal of text (quotes included). */
void jbuf_str(jbuf *b, const char *text);

void json_board(jbuf *b, const store_view *v);
void json_history(jbuf *b, const char *learner, const store_entry *e, size_t n);

#endif /* CLASS_JSON_H */
