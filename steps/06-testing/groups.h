/*
 * groups.h: the tests you write, as two cmocka groups that main.c runs.
 * Given: read it, don't edit.
 *
 *   get_user_tests   unit tests of GetUser over the mock repository
 *                    (exercise 2, get_user_tests.c); no network
 *   stream_tests     integration tests over a server in this process
 *                    (exercise 4, stream_tests.c), each test on its own
 *                    server_fixture (exercise 3)
 *
 * To add a test, write its function and add a line to the table at the
 * bottom of its file; the count follows by itself.
 */
#ifndef STEP06_GROUPS_H
#define STEP06_GROUPS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

extern const struct CMUnitTest get_user_tests[];
extern const size_t get_user_tests_count;

extern const struct CMUnitTest stream_tests[];
extern const size_t stream_tests_count;

#endif
