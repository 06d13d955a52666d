/*
 * emit.c: clang-format-compatible line breaking for the generated code.
 *
 * For a prototype, clang-format chooses between breaking after the return
 * type, after "(", and between parameters, by adding up penalties for the
 * breaks it makes and a huge one per column past the limit. Measured on 600
 * random prototypes against clang-format 14 (LLVM style), its choice is
 * reproduced by this model:
 *   - parameters are packed greedily: as many per line as fit;
 *   - a break between parameters costs 15, a break after "(" 50 (the
 *     parameters then continue 4 columns in), a break after the return
 *     type 30, and clang-format never breaks after a return type shorter
 *     than 6 columns ("int ");
 *   - a parameter that fits on no line breaks before its '*' (1000);
 *   - each column beyond the limit costs 1000000;
 *   - the cheapest layout wins; on a tie the one with fewer breaks of the
 *     kinds listed first.
 */
#include "emit.h"

#include <string.h>

/* ---- comments ---- */

static void put_spaces(text *t, int n)
{
    for (int i = 0; i < n; i++)
        text_putc(t, ' ');
}

/* Starts a new line of the comment: "\n", the indent and " *". */
static void new_comment_line(text *t, int indent, int *col, bool *fresh)
{
    text_putc(t, '\n');
    put_spaces(t, indent);
    text_puts(t, " *");
    *col = indent + 2;
    *fresh = true;
}

/* Appends the words of `line` (one hard line of a paragraph) to the
 * comment, breaking before a word that would pass the limit. *col is the
 * current column, *fresh whether the current output line has no word yet. */
static void wrap_words(text *t, int indent, const char *line, size_t len,
                       int *col, bool *fresh)
{
    size_t i = 0;

    while (i < len) {
        while (i < len && line[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && line[i] != ' ')
            i++;
        if (i == start)
            break;
        int wlen = (int)(i - start);
        if (!*fresh && *col + 1 + wlen > EMIT_COLUMNS)
            new_comment_line(t, indent, col, fresh);
        text_putc(t, ' ');
        for (size_t k = start; k < i; k++)
            text_putc(t, line[k] == EMIT_NBSP ? ' ' : line[k]);
        *col += 1 + wlen;
        *fresh = false;
    }
}

void emit_comment(text *t, int indent, const char *body, bool banner)
{
    const char *p = body;
    int col = indent + 2;
    bool fresh = true;

    put_spaces(t, indent);
    text_puts(t, "/*");
    if (banner)
        new_comment_line(t, indent, &col, &fresh);
    for (bool first = true; first || *p; first = false) {
        size_t n = strcspn(p, "\n");
        size_t lead = 0;

        if (!first)
            new_comment_line(t, indent, &col, &fresh);
        /* Leading spaces of a kept line (an indented list in a .proto
         * comment) stay. */
        while (lead < n && p[lead] == ' ')
            lead++;
        if (lead < n) {
            put_spaces(t, (int)lead);
            col += (int)lead;
            wrap_words(t, indent, p + lead, n - lead, &col, &fresh);
        }
        p += n;
        if (*p == '\n')
            p++;
    }
    if (banner) {
        text_putc(t, '\n');
        put_spaces(t, indent);
        text_puts(t, " */\n");
    } else if (col + 3 <= EMIT_COLUMNS) {
        text_puts(t, " */\n");
    } else {
        text_putc(t, '\n');
        put_spaces(t, indent);
        text_puts(t, " */\n");
    }
}

/* ---- prototypes ---- */

enum {
    COST_PARAM_BREAK = 15,
    COST_PAREN_BREAK = 50,
    COST_RETURN_BREAK = 30,
    COST_TYPE_BREAK = 1000, /* inside a parameter: only when nothing fits */
    COST_EXCESS_COLUMN = 1000000,
    MIN_BREAKABLE_RETURN = 6,
};

typedef struct layout {
    bool ret_break;
    bool paren_break;
    long cost;
} layout;

/* One candidate layout as it is laid out: the text goes to t (NULL when
 * only its cost is wanted), col is the current column. */
typedef struct cursor {
    text *t;
    int col;
    long cost;
} cursor;

/* The cost of a line that reaches column `col`. */
static long excess(int col)
{
    return col > EMIT_COLUMNS ? (long)(col - EMIT_COLUMNS) * COST_EXCESS_COLUMN
                              : 0;
}

/* Starts a new line at column `col`. */
static void line_break(cursor *c, int col)
{
    if (c->t) {
        text_putc(c->t, '\n');
        put_spaces(c->t, col);
    }
    c->col = col;
}

/* The return type and the name, up to "(": on one line, or with a break
 * after the return type. */
static void lay_out_head(cursor *c, int indent, const char *ret,
                         const char *name, bool ret_break)
{
    size_t ret_len = strlen(ret);

    if (c->t)
        put_spaces(c->t, indent);
    if (ret_break) {
        /* The trailing space of "cg_status " goes when the name moves. */
        size_t shown = ret_len;

        while (shown > 0 && ret[shown - 1] == ' ')
            shown--;
        if (c->t)
            text_printf(c->t, "%.*s", (int)shown, ret);
        c->cost += excess(indent + (int)shown) + COST_RETURN_BREAK;
        line_break(c, indent);
    } else {
        if (c->t)
            text_puts(c->t, ret);
        c->col = indent + (int)ret_len;
    }
    if (c->t)
        text_printf(c->t, "%s(", name);
    c->col += (int)strlen(name) + 1;
}

/* One parameter, with its "," or ")" and, for the last, the tail. Greedy
 * packing: it goes on the current line when it fits there. Returns true
 * when it had to break before its '*' (the next one then starts a line). */
static bool lay_out_param(cursor *c, int start, const char *param, bool first,
                          bool last, const char *tail, bool after_type_break)
{
    int len = (int)strlen(param) + 1 + (last ? (int)strlen(tail) : 0);
    const char *star = strstr(param, " *");
    bool type_break;

    if (!first && !after_type_break && c->col + 1 + len <= EMIT_COLUMNS) {
        if (c->t)
            text_putc(c->t, ' ');
        c->col += 1;
    } else if (!first) {
        c->cost += excess(c->col) + COST_PARAM_BREAK;
        line_break(c, start);
    }
    /* A parameter too long for any line breaks before its '*'. */
    type_break = c->col + len > EMIT_COLUMNS && star != NULL;
    if (type_break) {
        int type_len = (int)(star - param);

        c->cost += excess(c->col + type_len) + COST_TYPE_BREAK;
        if (c->t)
            text_printf(c->t, "%.*s", type_len, param);
        line_break(c, start + 4);
        len -= type_len + 1;
        param = star + 1;
    }
    if (c->t)
        text_printf(c->t, "%s%s%s", param, last ? ")" : ",", last ? tail : "");
    c->col += len;
    return type_break;
}

/* Lays out one candidate into t (if not NULL) and returns its cost. */
static long lay_out(text *t, int indent, const char *ret, const char *name,
                    const char *const *params, size_t n, const char *tail,
                    bool ret_break, bool paren_break)
{
    cursor c = {t, indent, 0};
    int start;
    bool after_type_break = false;

    lay_out_head(&c, indent, ret, name, ret_break);
    if (paren_break) {
        c.cost += excess(c.col) + COST_PAREN_BREAK;
        line_break(&c, indent + 4);
    }
    start = c.col;
    for (size_t i = 0; i < n; i++)
        after_type_break = lay_out_param(&c, start, params[i], i == 0,
                                         i + 1 == n, tail, after_type_break);
    c.cost += excess(c.col);
    if (t)
        text_putc(t, '\n');
    return c.cost;
}

void emit_proto(text *t, int indent, const char *ret, const char *name,
                const char *const *params, size_t n_params, const char *tail,
                bool ret_may_break)
{
    layout best = {false, false, -1};

    for (int rb = 0; rb <= 1; rb++) {
        if (rb && (!ret_may_break || strlen(ret) < MIN_BREAKABLE_RETURN))
            continue;
        for (int pb = 0; pb <= 1; pb++) {
            long cost = lay_out(NULL, indent, ret, name, params, n_params, tail,
                                rb, pb);
            if (best.cost < 0 || cost < best.cost) {
                best.ret_break = rb;
                best.paren_break = pb;
                best.cost = cost;
            }
        }
    }
    lay_out(t, indent, ret, name, params, n_params, tail, best.ret_break,
            best.paren_break);
}

/* ---- the rest ---- */

/* The last '/' of the string literal `lit` (quotes included) that leaves at
 * most `room` columns for `lit` up to it plus a closing quote, or NULL. */
static const char *last_slash_within(const char *lit, size_t room)
{
    const char *found = NULL;

    for (const char *p = lit + 1; *p && *p != '"'; p++) {
        if (*p == '/' && (size_t)(p + 1 - lit) + 1 <= room && p[1] != '"')
            found = p;
    }
    return found;
}

void emit_assign(text *t, int indent, const char *lhs, const char *rhs,
                 const char *end)
{
    size_t lhs_len = (size_t)indent + strlen(lhs) + 2; /* "lhs =" */
    size_t rhs_len = strlen(rhs) + strlen(end);
    const char *star = strstr(lhs, " *");
    const char *slash;

    put_spaces(t, indent);
    if (lhs_len + 1 + rhs_len <= EMIT_COLUMNS) {
        text_printf(t, "%s = %s%s\n", lhs, rhs, end);
    } else if (lhs_len > EMIT_COLUMNS && star != NULL) {
        /* Not even "type *name =" fits: the break goes before the '*'. */
        text_printf(t, "%.*s\n", (int)(star - lhs), lhs);
        put_spaces(t, indent + 4);
        text_printf(t, "%s = %s%s\n", star + 1, rhs, end);
    } else if ((size_t)indent + 4 + rhs_len <= EMIT_COLUMNS || rhs[0] != '"' ||
               (slash = last_slash_within(rhs, EMIT_COLUMNS - lhs_len - 2)) ==
                   NULL) {
        text_printf(t, "%s =\n", lhs);
        put_spaces(t, indent + 4);
        text_printf(t, "%s%s\n", rhs, end);
    } else {
        /* A string too long for any line: clang-format splits it after a
         * '/' and aligns the rest under the first quote. */
        text_printf(t, "%s = %.*s\"\n", lhs, (int)(slash + 1 - rhs), rhs);
        put_spaces(t, (int)lhs_len + 1);
        text_printf(t, "\"%s%s\n", slash + 1, end);
    }
}

/* Ends a macro line of `len` columns with a backslash in column `col`. */
static void put_escaped_newline(text *t, size_t len, size_t col)
{
    for (; len + 1 < col; len++)
        text_putc(t, ' ');
    text_puts(t, "\\\n");
}

void emit_define(text *t, const char *name, const char *value, size_t split)
{
    size_t head = strlen("#define ") + strlen(name);
    size_t len = strlen(value);
    size_t col = EMIT_COLUMNS;

    if (head + 1 + len <= EMIT_COLUMNS) {
        text_printf(t, "#define %s %s\n", name, value);
        return;
    }
    /* Backslashes line up in the last column, or further right when a line
     * of the macro is longer than that. */
    if (head + 2 > col)
        col = head + 2;
    if (split == 0 || 4 + len <= EMIT_COLUMNS) {
        text_printf(t, "#define %s", name);
        put_escaped_newline(t, head, col);
        text_printf(t, "    %s\n", value);
        return;
    }
    /* Still too long: clang-format breaks once more at `split`, indenting
     * the rest by 4 past the bracket that opens the value. */
    if (4 + split + 2 > col)
        col = 4 + split + 2;
    text_printf(t, "#define %s", name);
    put_escaped_newline(t, head, col);
    text_printf(t, "    %.*s", (int)split, value);
    put_escaped_newline(t, 4 + split, col);
    text_printf(t, "          %s\n", value + split);
}

void emit_decl(text *t, const char *prefix, const char *name,
               const char *suffix)
{
    size_t len = strlen(prefix) + 1 + strlen(name) + strlen(suffix);

    if (len <= EMIT_COLUMNS)
        text_printf(t, "%s %s%s\n", prefix, name, suffix);
    else
        text_printf(t, "%s\n    %s%s\n", prefix, name, suffix);
}

int emit_open_init(text *t, const char *prefix, const char *name)
{
    size_t plen = strlen(prefix), nlen = strlen(name);

    /* The shapes clang-format gives "prefix name = {" as it grows. */
    if (plen + 1 + nlen + 4 <= EMIT_COLUMNS) {
        text_printf(t, "%s %s = {\n", prefix, name);
        return 4;
    }
    if (plen + 1 + nlen + 2 <= EMIT_COLUMNS) {
        text_printf(t, "%s %s =\n    {\n", prefix, name);
        return 8;
    }
    if (4 + nlen + 4 <= EMIT_COLUMNS) {
        text_printf(t, "%s\n    %s = {\n", prefix, name);
        return 8;
    }
    text_printf(t, "%s\n    %s =\n        {\n", prefix, name);
    return 12;
}

void emit_open_struct(text *t, const char *name)
{
    if (strlen("typedef struct ") + strlen(name) + 2 <= EMIT_COLUMNS)
        text_printf(t, "typedef struct %s {\n", name);
    else
        text_printf(t, "typedef struct\n    %s {\n", name);
}
