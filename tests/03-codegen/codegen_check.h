/*
 * codegen_check.h: what test_codegen.c uses to look at the files your
 * codegen rule generated, without #including them: it reads them as text,
 * runs the C compiler on them, and asks make whether they are up to date.
 *
 * The build passes where everything is (tests/03-codegen/step.mk):
 *   STEP03_OUT        the directory your rule wrote into
 *   STEP03_LOG        what `make -f codegen.mk ... codegen` printed, ending
 *                     with a line "exit status N"
 *   STEP03_MAKE_ARGS  the arguments of that make command, without the goal
 *   STEP03_CC         the compiler and the flags for generated code
 *   STEP03_OBJ        a scratch directory for the compiler's output
 *
 * Every cg_expect_* fails the running test with a message that says what
 * was expected, what was found, and the lesson section to read.
 */
#ifndef STEP03_CODEGEN_CHECK_H
#define STEP03_CODEGEN_CHECK_H

#include <stddef.h>

#define CG_PATH 512
#define CG_MAX_PROTOS 32
#define CG_NO_LOG (-1000) /* cg_log_status: there is no log at all */

/* The exit status of the rule's run, from its log, or CG_NO_LOG. */
int cg_log_status(void);

/* The last `lines` lines of the log, indented, in a static buffer. */
const char *cg_log_tail(int lines);

/* A path without the repository root in front, for messages. */
const char *cg_rel(const char *path);

/* Fails unless STEP03_OUT/rel exists and is not empty. When it is missing
 * but a file of that name sits elsewhere under STEP03_OUT, says where;
 * otherwise shows the end of the log. */
void cg_expect_file(const char *rel, const char *section);

/* The course's protos, "tutorial/v1/my_service" (no .proto), sorted, into
 * names; returns how many. */
size_t cg_course_protos(char names[][CG_PATH]);

/* Compiles STEP03_OUT/rel with warnings as errors; fails with the
 * compiler's messages. */
void cg_expect_compiles(const char *rel, const char *section);

/* Compiles tests/03-codegen/probe/use_stubs.c against STEP03_OUT. */
void cg_expect_probe_compiles(const char *section);

/* Fails unless `make -q` says the rule has nothing left to do; shows what
 * `make -n` would run. */
void cg_expect_up_to_date(const char *section);

/* A generated file as text, comments blanked out (strings kept). */
typedef struct cg_text {
    char *text;
    size_t len;
    char name[CG_PATH]; /* what to call it in messages */
} cg_text;

/* Reads STEP03_OUT/rel; fails (pointing at `section`) if it is missing. */
cg_text cg_read(const char *rel, const char *section);
void cg_free(cg_text *t);

/* Fails unless `word` occurs in t as a whole identifier. */
void cg_expect_word(const cg_text *t, const char *word, const char *section);

/* Fails unless `text` occurs in t. */
void cg_expect_text(const cg_text *t, const char *text, const char *section);

/* The members of struct type `type` (declared `typedef struct X {...} type;`
 * or `struct type {...}`), as a cg_text; fails if there is none. */
cg_text cg_struct_body(const cg_text *t, const char *type, const char *section);

#endif
