/*
 * lesson.h: assertions that tell a learner what went wrong and where to read.
 *
 * Every step's tests use these instead of bare cmocka asserts, so a failure
 * prints what was expected, what came, and the lesson section that explains
 * it. A test file defines LESSON_PAGE before including this header:
 *
 *     #define LESSON_PAGE "steps/01-design.md"
 *     #define EXERCISE_FILE "choose_kind.c"   (the learner file it checks:
 *                                              tools/course/coursekit/exercises.py reads it)
 *     #include "lesson.h"
 *     ...
 *     expect_int(kind, RPC_CLIENT_STREAMING, "#choosing-the-rpc-kind");
 *
 * The verdict printer (tools/course/course.py) takes the "see docs/..." line,
 * which expect_fail prints on a line of its own, as the lesson pointer and
 * shows it under the first failing test; every other line is the message.
 */
#ifndef TUTORIAL_LESSON_H
#define TUTORIAL_LESSON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#ifndef LESSON_PAGE
#error                                                                         \
    "define LESSON_PAGE (e.g. \"steps/01-design.md\") before including lesson.h"
#endif

/* Unbuffered stdout: cmocka writes results to stdout and messages to
 * stderr; without buffering the two stay in order when tools/course/course.py
 * reads them through one pipe. Runs before main(). */
__attribute__((constructor)) static void lesson_unbuffer_stdout(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
}

/* Where the lesson sources live, relative to the repository root. */
#define LESSON_ROOT "docs/en/"

/* Fails the running test with a formatted message and a pointer to the
 * lesson section (an anchor such as "#wire-format", or "" for the page). */
#define expect_fail(section, ...)                                              \
    do {                                                                       \
        print_error(__VA_ARGS__);                                              \
        print_error("\n    see " LESSON_ROOT LESSON_PAGE "%s\n", (section));   \
        fail();                                                                \
    } while (0)

/* The message names the value it checks: expect_int, expect_str, ... name
 * it with the test's own expression (`u.size`), so keep that a plain name
 * or call. In a loop, or wherever the expression would not tell a learner
 * which case failed, use the _as form and say it in their terms, printf
 * style:
 *
 *     expect_str_as(m->content, want[i], "#serverstream",
 *                   "message %zu of the stream", i + 1);
 *
 * prints "message 2 of the stream: expected "b", got "c"". */
#define LESSON_WHAT_MAX 1024 /* room for the name of a case */
#define lesson_what(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

/* Integers. */
#define expect_int(actual, expected, section)                                  \
    expect_int_as(actual, expected, section, "%s", #actual)

#define expect_int_as(actual, expected, section, ...)                          \
    do {                                                                       \
        long long a_ = (long long)(actual), e_ = (long long)(expected);        \
        if (a_ != e_) {                                                        \
            char w_[LESSON_WHAT_MAX];                                          \
            lesson_what(w_, __VA_ARGS__);                                      \
            expect_fail(section, "%s: expected %lld, got %lld", w_, e_, a_);   \
        }                                                                      \
    } while (0)

#define expect_double(actual, expected, tolerance, section)                    \
    expect_double_as(actual, expected, tolerance, section, "%s", #actual)

#define expect_double_as(actual, expected, tolerance, section, ...)            \
    do {                                                                       \
        double a_ = (double)(actual), e_ = (double)(expected);                 \
        double d_ = a_ > e_ ? a_ - e_ : e_ - a_;                               \
        if (!(d_ <= (double)(tolerance))) {                                    \
            char w_[LESSON_WHAT_MAX];                                          \
            lesson_what(w_, __VA_ARGS__);                                      \
            expect_fail(section, "%s: expected %g (within %g), got %g", w_,    \
                        e_, (double)(tolerance), a_);                          \
        }                                                                      \
    } while (0)

/* Text as a learner can read it: at most cap - 1 bytes of s with every
 * byte that is not printable ASCII (and not a newline or tab) written as
 * \xNN. Returns whether any byte had to be escaped, or the text was cut. */
static inline int lesson_readable(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    int odd = 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t';
        if (n + (plain ? 1 : 4) + 4 >= cap) {
            out[n++] = '.', out[n++] = '.', out[n++] = '.';
            odd = 1;
            break;
        }
        if (plain) {
            out[n++] = (char)c;
        } else {
            out[n++] = '\\', out[n++] = 'x', out[n++] = hex[c >> 4],
            out[n++] = hex[c & 15];
            odd = 1;
        }
    }
    out[n] = '\0';
    return odd;
}

/* Strings: NULL is reported as (null), never dereferenced. Bytes that are
 * not text are shown escaped (\xNN), with what that usually means. */
#define expect_str(actual, expected, section)                                  \
    expect_str_as(actual, expected, section, "%s", #actual)

#define expect_str_as(actual, expected, section, ...)                          \
    do {                                                                       \
        const char *a_ = (actual), *e_ = (expected);                           \
        if (a_ == NULL || e_ == NULL ? a_ != e_ : strcmp(a_, e_) != 0) {       \
            char ra_[512], w_[LESSON_WHAT_MAX];                                \
            int odd_ = a_ ? lesson_readable(a_, ra_, sizeof ra_) : 0;          \
            lesson_what(w_, __VA_ARGS__);                                      \
            expect_fail(                                                       \
                section, "%s: expected \"%s\", got %s%s%s%s", w_,              \
                e_ ? e_ : "(null)", a_ ? "\"" : "", a_ ? ra_ : "NULL",         \
                a_ ? "\"" : "",                                                \
                odd_ ? "\n    (\\xNN is a byte that is not text: often "       \
                       "memory that was freed, never filled in, or "           \
                       "not NUL-terminated)"                                   \
                     : "");                                                    \
        }                                                                      \
    } while (0)

#define expect_true(cond, section, ...)                                        \
    do {                                                                       \
        if (!(cond))                                                           \
            expect_fail(section, __VA_ARGS__);                                 \
    } while (0)

/* Byte strings: reports the first differing offset and both bytes in hex. */
#define expect_bytes(actual, actual_len, expected, expected_len, section)      \
    do {                                                                       \
        const uint8_t *a_ = (const uint8_t *)(actual);                         \
        const uint8_t *e_ = (const uint8_t *)(expected);                       \
        size_t al_ = (size_t)(actual_len), el_ = (size_t)(expected_len);       \
        size_t i_ = 0;                                                         \
        while (i_ < al_ && i_ < el_ && a_[i_] == e_[i_])                       \
            i_++;                                                              \
        if (al_ != el_ || i_ < al_)                                            \
            expect_fail(section,                                               \
                        "%s: expected %zu bytes, got %zu; first difference "   \
                        "at byte %zu (expected %s%02x, got %s%02x)",           \
                        #actual, el_, al_, i_, i_ < el_ ? "0x" : "end ",       \
                        i_ < el_ ? e_[i_] : 0, i_ < al_ ? "0x" : "end ",       \
                        i_ < al_ ? a_[i_] : 0);                                \
    } while (0)

#endif
