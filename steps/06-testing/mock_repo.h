/*
 * mock_repo.h: a user repository made with cmocka, for GetUser's unit tests
 * (exercise 1, in mock_repo.c). Given: read it, don't edit.
 *
 * Step 4's GetUser asks a user_repo (steps/04-server/user_repo.h) for the
 * user. A unit test hands it this repository instead, whose get_by_id is a
 * cmocka mock: before each call the test says which id the call must ask
 * for and what the answer is, and the mock checks the one and gives the
 * other. A call nobody queued fails the running test, so a test that queues
 * nothing also proves that the repository was never asked.
 *
 * For each call, a test queues, in this order:
 *
 *     expect_string(mock_get_by_id, id, "42");        the id to be asked for
 *     will_return(mock_get_by_id, USER_FOUND);        the result
 *     will_return(mock_get_by_id, &record);           USER_FOUND only: a
 *                                                     const user_record *
 *     will_return(mock_get_by_id, "disk on fire");    USER_REPO_FAILED only:
 *                                                     the `why` text
 *
 * The three helpers at the bottom queue exactly that. cmocka keeps the
 * pointers, not copies: the id, the record and the text must still exist
 * when GetUser makes its call (string literals and the test's locals do).
 */
#ifndef STEP06_MOCK_REPO_H
#define STEP06_MOCK_REPO_H

#include <stddef.h>

#include "user_repo.h"

/* Given (mock_repo_given.c). The repository to give GetUser: its get_by_id
 * is mock_get_by_id. A static object; never free it. */
user_repo *mock_repo(void);

/* The mock (exercise 1). Checks `id` against the queued expect_string, then
 * answers with the queued result: for USER_FOUND it copies the queued
 * record to *out; for USER_REPO_FAILED it writes the queued text into
 * why[0..why_len) (cut to fit, NUL-terminated; nothing when why_len is 0);
 * for USER_NOT_FOUND it touches neither. Same contract as every
 * user_repo's get_by_id. */
user_repo_result mock_get_by_id(const user_repo *self, const char *id,
                                user_record *out, char *why, size_t why_len);

/* Queue one call's worth: the next get_by_id must ask for `id`, and finds
 * *rec / finds nothing / fails with the text `why`. */
void mock_repo_will_find(const char *id, const user_record *rec);
void mock_repo_will_not_find(const char *id);
void mock_repo_will_fail(const char *id, const char *why);

#endif
