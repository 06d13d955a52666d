/*
 * emit.h: writing C text laid out the way clang-format would lay it out.
 *
 * The generated files are read by learners and may be run through the
 * project's clang-format (LLVM style, 4-space indent, Linux braces, 80
 * columns), so the writer breaks long lines the way clang-format does for the
 * few shapes the generator emits: block comments, prototypes and function
 * pointer members, `x = value` with a break after `=`, and #define with an
 * escaped newline. For prototypes clang-format weighs its options; emit_proto
 * reproduces its choice with a cost model measured against clang-format 14
 * (see emit.c). Anything else the generator writes fits in 80 columns as is.
 */
#ifndef CGRPC_PLUGIN_EMIT_H
#define CGRPC_PLUGIN_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define EMIT_COLUMNS 80

/* In a comment body: a space where the line must not break ("const T *"). */
#define EMIT_NBSP '\x1f'
#define EMIT_NBSP_STR "\x1f"

/* A block comment at `indent` spaces, words wrapped at EMIT_COLUMNS:
 *
 *     / * first paragraph ...
 *      * ...
 *      *
 *      * second paragraph ... * /
 *
 * Paragraphs are separated by "\n\n"; a single "\n" inside a paragraph is a
 * line break that is kept (comments copied from a .proto keep their lines),
 * and EMIT_NBSP is a space that is never broken.
 * With `banner` the comment opens with a line of its own ("/" "*") and closes
 * with one (" *" "/"), as at the top of a file. */
void emit_comment(text *t, int indent, const char *body, bool banner);

/* A function declarator: `ret name(params)` followed by `tail` (";" for a
 * prototype, "" for a definition, whose "{" the caller writes on the next
 * line). `ret` ends in a space or '*'; n_params is at least 1. When
 * `ret_may_break` is false (the function pointer members of a struct), the name
 * stays on ret's line. */
void emit_proto(text *t, int indent, const char *ret, const char *name,
                const char *const *params, size_t n_params, const char *tail,
                bool ret_may_break);

/* `lhs = rhs` + `end` (";" or ","), with rhs on the next line, indented 4
 * more, when the whole does not fit. */
void emit_assign(text *t, int indent, const char *lhs, const char *rhs,
                 const char *end);

/* `#define name value`, or, when that is too long, the value on the next line
 * after a backslash in the last column. When even that line is too long and
 * `split` is not 0, the value is broken once more before value[split] (as
 * clang-format breaks "(&table" "\n" ".methods[0])"). */
void emit_define(text *t, const char *name, const char *value, size_t split);

/* `prefix name suffix` on one line, or when too long `prefix` alone and
 * `name suffix` on the next line, indented 4 (clang-format's break after the
 * type of a long declaration). */
void emit_decl(text *t, const char *prefix, const char *name,
               const char *suffix);

/* Opens the initialiser of `prefix name = {` ("const cg_service x") and
 * returns the indent of its members; the caller closes it with "};". */
int emit_open_init(text *t, const char *prefix, const char *name);

/* Opens `typedef struct name {`; members are indented 4. */
void emit_open_struct(text *t, const char *name);

#endif /* CGRPC_PLUGIN_EMIT_H */
