/*
 * mutation.c: runs the learner's test program against the correct services
 * and against the mutants, and says what it found (see mutation.h).
 */
#define LESSON_PAGE "steps/06-testing.md"
#include "lesson.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "mutation.h"

#define PROGRAM "testing"

/* What the learner calls each group. */
static const char *group_title(const char *group)
{
    return strcmp(group, "unit") == 0 ? "GetUser unit tests (get_user_tests.c)"
                                      : "stream tests (stream_tests.c)";
}

/* A path under the repository, as the learner would type it. */
static const char *shown(const char *path)
{
    size_t n = strlen(ROOT_DIR);
    return strncmp(path, ROOT_DIR "/", n + 1) == 0 ? path + n + 1 : path;
}

/* Runs `program group`, its output in $(BUILD)/runs/<label>.txt. */
static void run(const char *program, const char *group, const char *label,
                child_result *r, char *out_path, size_t cap)
{
    mkdir(STEP_BUILD_DIR "/runs", 0755);
    snprintf(out_path, cap, STEP_BUILD_DIR "/runs/%s.txt", label);
    char *argv[] = {(char *)program, (char *)group, NULL};
    child_run(argv, out_path, RUN_LIMIT_MS, r);
}

/* Lists the learner's failed tests with cmocka's reason for each, from
 * the child's output, as "test_x: reason" lines in buf. */
static void failures(const char *output, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t len = 0;
    int listed = 0;
    bool in_test = false;
    char reason[200] = "";
    for (const char *line = output; *line != '\0' && listed < 3;) {
        const char *end = strchr(line, '\n');
        int n = (int)(end != NULL ? (size_t)(end - line) : strlen(line));
        char ln[300];
        snprintf(ln, sizeof ln, "%.*s", n, line);
        if (strncmp(ln, "[ RUN      ] ", 13) == 0) {
            in_test = true;
            reason[0] = '\0';
        } else if (in_test && strncmp(ln, "[  ERROR   ] --- ", 17) == 0 &&
                   reason[0] == '\0') {
            snprintf(reason, sizeof reason, "%.190s", ln + 17);
        } else if (in_test && strncmp(ln, "[  FAILED  ] ", 13) == 0) {
            int k = snprintf(buf + len, cap - len, "\n      %s: %s", ln + 13,
                             reason[0] != '\0' ? reason : "failed");
            len = k < 0 || (size_t)k >= cap - len ? cap - 1 : len + (size_t)k;
            listed++;
            in_test = false;
        } else if (strncmp(ln, "[       OK ] ", 13) == 0) {
            in_test = false;
        }
        line = end != NULL ? end + 1 : line + n;
    }
}

/* The run of each group against the correct services, made once. */
static struct {
    const char *group;
    child_result r;
    char out[512];
} correct[2];

static const child_result *correct_run(const char *group, const char **out)
{
    int i = strcmp(group, "unit") == 0 ? 0 : 1;
    if (correct[i].group == NULL) {
        char label[64];
        snprintf(label, sizeof label, "%s-correct", group);
        run(STEP_BUILD_DIR "/" PROGRAM, group, label, &correct[i].r,
            correct[i].out, sizeof correct[i].out);
        correct[i].group = group;
    }
    *out = correct[i].out;
    return &correct[i].r;
}

void expect_tests_pass(const char *group, const char *section)
{
    const char *out;
    const child_result *r = correct_run(group, &out);
    if (child_passed(r))
        return;
    if (access(STEP_BUILD_DIR "/" PROGRAM, X_OK) != 0)
        expect_fail(section,
                    "your test program %s is missing: run `make` "
                    "in steps/06-testing first",
                    shown(STEP_BUILD_DIR "/" PROGRAM));
    if (!r->started)
        expect_fail(section, "could not run your test program: %s", r->output);
    if (r->timed_out)
        expect_fail(section,
                    "your %s did not finish within %d s against "
                    "the correct services: a call without a deadline waits "
                    "forever. Give every call one (cg_call_opts.timeout_ms)."
                    "\n    output: %s",
                    group_title(group), RUN_LIMIT_MS / 1000, shown(out));
    if (r->signal != 0)
        expect_fail(section,
                    "your %s crashed (signal %d, %s) against the "
                    "correct services.\n    output: %s",
                    group_title(group), r->signal, strsignal(r->signal),
                    shown(out));
    char list[900];
    failures(r->output, list, sizeof list);
    expect_fail(section,
                "your %s fail against the correct services, "
                "step 4's finished code:%s\n    A test that fails on correct "
                "code is wrong itself: fix the test, not the service%s.\n"
                "    output: %s",
                group_title(group), list[0] ? list : "\n      (see the output)",
                strcmp(group, "unit") == 0
                    ? " (or the mock: suite mock_repo)"
                    : " (or the fixture: suite server_fixture)",
                shown(out));
}

void expect_mutant_caught(const char *group, const char *name, const char *bug,
                          const char *section)
{
    const char *out;
    if (!child_passed(correct_run(group, &out)))
        expect_fail("#how-your-tests-are-tested",
                    "first make your %s pass against the correct services "
                    "(test_%s_pass_on_correct_service): a test that fails "
                    "everywhere cannot tell a bug from no bug.",
                    group_title(group),
                    strcmp(group, "unit") == 0 ? "get_user_tests"
                                               : "stream_tests");

    char program[512], label[96], path[512];
    snprintf(program, sizeof program, STEP_BUILD_DIR "/mutants/%s/" PROGRAM,
             name);
    snprintf(label, sizeof label, "mutant-%s", name);
    /* A program that is not there must not count as a caught mutant. */
    if (access(program, X_OK) != 0)
        expect_fail(section,
                    "the mutant program %s is missing: run `make` "
                    "in steps/06-testing first",
                    shown(program));
    child_result r;
    run(program, group, label, &r, path, sizeof path);
    if (!r.started)
        expect_fail(section, "the mutant program %s could not run: %s",
                    shown(program), r.output);
    if (r.timed_out)
        expect_fail(section,
                    "your %s did not finish within %d s against a "
                    "service where %s.\n    A test that hangs catches "
                    "nothing: give every call a deadline "
                    "(cg_call_opts.timeout_ms) so that it fails instead.\n"
                    "    output: %s",
                    group_title(group), RUN_LIMIT_MS / 1000, bug, shown(path));
    /* Failed (or crashed: a test that crashes on a bug has caught it). */
    if (!child_passed(&r))
        return;
    expect_fail(section,
                "your tests still miss a bug: %s.\n    Your %s all "
                "passed against a copy of the service with that bug in it.\n"
                "    Write the test that fails on it.\n    output: %s",
                bug, group_title(group), shown(path));
}
