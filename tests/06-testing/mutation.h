/*
 * mutation.h: judging the learner's tests by running them.
 *
 * $(BUILD)/testing is the learner's test program built against step 4's
 * finished services; $(BUILD)/mutants/<name>/testing is the same program
 * built against a copy of them with one bug in it (mutants/<name>.sed).
 * Good tests pass on the first and fail on every one of the others: a bug
 * that leaves them all passing is a bug they would let through. A variant
 * ($(BUILD)/mutants/<name>/testing too) is a copy that is still correct,
 * only different in a way tests must allow for: they must pass there.
 *
 * `group` is the argument main.c takes: "unit" (get_user_tests.c) or
 * "integration" (stream_tests.c). Each program runs as a child process
 * with a time limit; what it printed stays in $(BUILD)/runs/ for the
 * learner to read.
 */
#ifndef STEP06_MUTATION_H
#define STEP06_MUTATION_H

#include <stddef.h>

/* How long one run of the learner's tests may take. Far more than good
 * tests need: well under a second against the correct services, about
 * 1.3 s against the slowest mutant (a stream that never ends, waited for
 * up to CALL_MS = 1 s), 2 s with two busy loops on two cores. A run that
 * takes longer is stuck on a call without a deadline, or with one much
 * longer than CALL_MS: either way, a test the learner should fix. */
#define RUN_LIMIT_MS 6000

/* Most of a run is spent waiting on the deadlines of the learner's tests
 * (the eleven runs of the integration group with the solution: 6 s one
 * after another, 1 s of CPU), so runs_ahead starts this many per core at
 * once: on two cores, all eleven together (a slow mutant that waits for a
 * free place instead ends half a second later). */
#define RUNS_PER_CPU 6

struct CMUnitTest;

/* Runs the learner's `group` tests against the correct services and
 * against the mutant (or variant) of every test named test_mutant_<name>
 * (test_variant_<name>) in tests[0..n)
 * at the same time, and keeps the results for expect_tests_pass and
 * expect_mutant_caught (which run what was not run ahead). When the tests
 * fail against the correct services, the mutants' runs are stopped: those
 * tests then fail without them. Call it once, before the tests run. */
void runs_ahead(const char *group, const struct CMUnitTest *tests, size_t n);

/* Fails the running test unless the learner's `group` tests pass against
 * the correct services. */
void expect_tests_pass(const char *group, const char *section);

/* Fails the running test unless the learner's `group` tests pass against
 * the correct services and fail against mutant `name`. `bug` says in plain
 * words what the mutant does wrong; `section` is the lesson's anchor for
 * the test that catches it. `if_stuck` is the advice when the run does not
 * finish within RUN_LIMIT_MS (NULL: give every call a deadline). */
void expect_mutant_caught(const char *group, const char *name, const char *bug,
                          const char *section, const char *if_stuck);

/* Fails the running test unless the learner's `group` tests pass against
 * variant `name`: a copy of the services that is still correct but differs
 * in a way tests must allow for. `what` says how, in plain words;
 * `advice` how a test that fails there should change. */
void expect_variant_passes(const char *group, const char *name,
                           const char *what, const char *advice,
                           const char *section);

#endif
