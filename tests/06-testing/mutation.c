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

/* Appends "\n      <text>" to buf (len bytes used of cap). */
static void add_line(char *buf, size_t cap, size_t *len, const char *text)
{
    int k = snprintf(buf + *len, cap - *len, "\n      %s", text);
    *len = k < 0 || (size_t)k >= cap - *len ? cap - 1 : *len + (size_t)k;
}

/* The line of a sanitizer's report that names where in the learner's tests
 * it happened: "test_x (get_user_tests.c:64)" from the first stack frame
 * "#N 0x... in test_x /path/get_user_tests.c:64" of a test function;
 * "" when there is none. */
static void sanitizer_where(const char *report, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *at = strstr(report, " in test_"); at != NULL;
         at = strstr(at + 1, " in test_")) {
        const char *fn = at + 4;
        size_t fn_len = strcspn(fn, " \n");
        if (fn[fn_len] != ' ')
            continue;
        const char *path = fn + fn_len + 1;
        size_t path_len = strcspn(path, " \n");
        const char *base = path;
        for (const char *p = path; p < path + path_len; p++)
            if (*p == '/')
                base = p + 1;
        snprintf(out, cap, "%.*s (%.*s)", (int)fn_len, fn,
                 (int)(path + path_len - base), base);
        return;
    }
}

/* Lists the learner's failed tests with cmocka's reason for each, from
 * the child's output, as "test_x: reason" lines in buf; then what a
 * sanitizer found, if it stopped the program or reported a leak. */
static void failures(const char *output, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t len = 0;
    int listed = 0;
    bool in_test = false;
    char test[120] = "";
    char reason[200] = "";
    for (const char *line = output; *line != '\0' && listed < 3;) {
        const char *end = strchr(line, '\n');
        int n = (int)(end != NULL ? (size_t)(end - line) : strlen(line));
        char ln[300];
        snprintf(ln, sizeof ln, "%.*s", n, line);
        char item[400];
        if (strncmp(ln, "[ RUN      ] ", 13) == 0) {
            in_test = true;
            snprintf(test, sizeof test, "%.110s", ln + 13);
            reason[0] = '\0';
        } else if (in_test && strncmp(ln, "[  ERROR   ] --- ", 17) == 0 &&
                   reason[0] == '\0') {
            snprintf(reason, sizeof reason, "%.190s", ln + 17);
        } else if (strncmp(ln, "Could not run test: ", 20) == 0) {
            /* cmocka: the fixture's setup or teardown failed */
            snprintf(reason, sizeof reason, "%.150s (server_fixture.c)",
                     ln + 20);
        } else if (in_test && (strncmp(ln, "[  FAILED  ] ", 13) == 0 ||
                               strncmp(ln, "[  ERROR   ] ", 13) == 0)) {
            snprintf(item, sizeof item, "%s: %s", ln + 13,
                     reason[0] != '\0' ? reason : "failed");
            add_line(buf, cap, &len, item);
            listed++;
            in_test = false;
        } else if (strncmp(ln, "[       OK ] ", 13) == 0) {
            in_test = false;
        }
        line = end != NULL ? end + 1 : line + n;
    }
    const char *asan = strstr(output, "ERROR: AddressSanitizer: ");
    const char *lsan = strstr(output, "ERROR: LeakSanitizer: ");
    char item[400], where[200];
    if (asan != NULL) {
        const char *kind = asan + 25;
        size_t kind_len = strcspn(kind, " \n");
        sanitizer_where(asan, where, sizeof where);
        const char *plain =
            strncmp(kind, "heap-use-after-free", kind_len) == 0
                ? ": memory used after it was freed (a response read "
                  "after get_user_end, a fixture after its teardown?)"
            : strstr(kind, "overflow") != NULL
                ? ": a read or write past the end of a buffer"
                : "";
        snprintf(item, sizeof item,
                 "AddressSanitizer stopped the program in %s: %.*s%s",
                 where[0] ? where : (in_test ? test : "your tests"),
                 (int)kind_len, kind, plain);
        add_line(buf, cap, &len, item);
    } else if (lsan != NULL) {
        add_line(buf, cap, &len,
                 "LeakSanitizer: memory was never freed (the report is at "
                 "the end of the output). Every get_user needs its "
                 "get_user_end; every call its cg_call_finish.");
    }
}

/* The learner's test that was running when a run was stopped (the last
 * "[ RUN      ] x" with no result after it) into out; "" if none. */
static void running_test(const char *output, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *line = output; *line != '\0';) {
        const char *end = strchr(line, '\n');
        int n = (int)(end != NULL ? (size_t)(end - line) : strlen(line));
        if (strncmp(line, "[ RUN      ] ", 13) == 0)
            snprintf(out, cap, "%.*s", n - 13, line + 13);
        else if (strncmp(line, "[       OK ] ", 13) == 0 ||
                 strncmp(line, "[  FAILED  ] ", 13) == 0 ||
                 strncmp(line, "[  ERROR   ] ", 13) == 0)
            out[0] = '\0';
        line = end != NULL ? end + 1 : line + n;
    }
}

/* The run of each group against the correct services, made once. */
static struct {
    const char *group;
    child_result r;
    char out[512];
} correct[2];

/* correct[]'s entry for `group`. */
static int group_index(const char *group)
{
    return strcmp(group, "unit") == 0 ? 0 : 1;
}

static const child_result *correct_run(const char *group, const char **out)
{
    int i = group_index(group);
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

/* The mutants' runs made by runs_ahead. */
#define MAX_AHEAD 16
static struct {
    char name[64];
    const char *group;
    child_result r;
    char out[512];
} ahead[MAX_AHEAD];
static size_t n_ahead;

static const child_result *run_ahead_of(const char *group, const char *name,
                                        const char **out)
{
    for (size_t i = 0; i < n_ahead; i++)
        if (ahead[i].group == group && strcmp(ahead[i].name, name) == 0) {
            *out = ahead[i].out;
            return &ahead[i].r;
        }
    return NULL;
}

/* Starts run k of runs_ahead: 0 the correct services, then ahead[k-1]. */
static bool start_ahead(const char *group, size_t k, child *c)
{
    char program[512], label[96];
    if (k == 0) {
        snprintf(program, sizeof program, "%s", STEP_BUILD_DIR "/" PROGRAM);
        snprintf(label, sizeof label, "%s-correct", group);
    } else {
        snprintf(program, sizeof program, STEP_BUILD_DIR "/mutants/%s/" PROGRAM,
                 ahead[k - 1].name);
        snprintf(label, sizeof label, "mutant-%s", ahead[k - 1].name);
    }
    int i = group_index(group);
    child_result *r = k == 0 ? &correct[i].r : &ahead[k - 1].r;
    char *out = k == 0 ? correct[i].out : ahead[k - 1].out;
    mkdir(STEP_BUILD_DIR "/runs", 0755);
    snprintf(out, 512, STEP_BUILD_DIR "/runs/%s.txt", label);
    char *argv[] = {program, (char *)group, NULL};
    return child_start(argv, out, RUN_LIMIT_MS, c, r);
}

void runs_ahead(const char *group, const struct CMUnitTest *tests, size_t n)
{
    static const char *const prefixes[] = {"test_mutant_", "test_variant_"};
    size_t first = n_ahead;
    for (size_t i = 0; i < n && n_ahead < MAX_AHEAD; i++)
        for (size_t p = 0; p < 2; p++) {
            size_t len = strlen(prefixes[p]);
            if (strncmp(tests[i].name, prefixes[p], len) != 0)
                continue;
            snprintf(ahead[n_ahead].name, sizeof ahead[n_ahead].name, "%s",
                     tests[i].name + len);
            ahead[n_ahead++].group = group;
        }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t window = (size_t)(cpus > 0 ? cpus : 1) * RUNS_PER_CPU;
    size_t total = 1 + n_ahead - first; /* the correct run first */
    child kids[MAX_AHEAD + 1];
    bool running[MAX_AHEAD + 1] = {false};
    size_t next = 0;
    bool wanted = true;
    for (size_t k = 0; k < total; k++) {
        for (; wanted && next < total && next < k + window; next++)
            running[next] =
                start_ahead(group, next == 0 ? 0 : first + next, &kids[next]);
        child_result *r =
            k == 0 ? &correct[group_index(group)].r : &ahead[first + k - 1].r;
        if (running[k] && wanted)
            child_finish(&kids[k], r);
        else if (running[k])
            child_cancel(&kids[k]);
        if (k == 0) {
            correct[group_index(group)].group = group;
            wanted = child_passed(r);
        }
    }
    if (!wanted) /* not run: expect_mutant_caught fails before it looks */
        n_ahead = first;
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
    char stuck[128];
    running_test(r->output, stuck, sizeof stuck);
    if (r->timed_out)
        expect_fail(section,
                    "your %s did not finish within %d s against "
                    "the correct services%s%s%s: a call without a deadline, "
                    "or with one much longer than CALL_MS, waits that long. "
                    "Give every call deadline(CALL_MS)."
                    "\n    output: %s",
                    group_title(group), RUN_LIMIT_MS / 1000,
                    stuck[0] ? " (" : "", stuck,
                    stuck[0] ? " was running)" : "", shown(out));
    if (r->signal != 0)
        expect_fail(section,
                    "your %s crashed (signal %d, %s) against the "
                    "correct services.\n    output: %s",
                    group_title(group), r->signal, strsignal(r->signal),
                    shown(out));
    char list[1400];
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

/* Runs copy `name` of the services (a mutant, or a correct variant) with
 * the learner's tests of `group`, or takes the run made ahead of it, once
 * those tests pass on the correct services; fails the test (in `section`)
 * when the copy's program is missing or could not run. *r gets the run,
 * path its output file. */
static void run_copy(const char *group, const char *name, const char *section,
                     child_result *r, char *path, size_t cap)
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

    char program[512], label[96];
    snprintf(program, sizeof program, STEP_BUILD_DIR "/mutants/%s/" PROGRAM,
             name);
    snprintf(label, sizeof label, "mutant-%s", name);
    /* A program that is not there must not count as a caught mutant. */
    if (access(program, X_OK) != 0)
        expect_fail(section,
                    "the program %s is missing: run `make` "
                    "in steps/06-testing first",
                    shown(program));
    const char *done = NULL;
    const child_result *kept = run_ahead_of(group, name, &done);
    if (kept != NULL) {
        *r = *kept;
        snprintf(path, cap, "%s", done);
    } else {
        run(program, group, label, r, path, cap);
    }
    if (!r->started)
        expect_fail(section, "the program %s could not run: %s", shown(program),
                    r->output);
}

void expect_mutant_caught(const char *group, const char *name, const char *bug,
                          const char *section, const char *if_stuck)
{
    child_result r;
    char path[512];
    run_copy(group, name, section, &r, path, sizeof path);
    char stuck[128];
    running_test(r.output, stuck, sizeof stuck);
    if (r.timed_out)
        expect_fail(section,
                    "your %s did not finish within %d s against a "
                    "service where %s%s%s.\n    %s\n"
                    "    output: %s",
                    group_title(group), RUN_LIMIT_MS / 1000, bug,
                    stuck[0] ? "; this test was still running: " : "", stuck,
                    if_stuck != NULL
                        ? if_stuck
                        : "A test that waits that long catches nothing: give "
                          "every call a deadline of CALL_MS "
                          "(deadline(CALL_MS)), so that it fails within a "
                          "second instead.",
                    shown(path));
    /* Failed (or crashed: a test that crashes on a bug has caught it). */
    if (!child_passed(&r))
        return;
    expect_fail(section,
                "your tests still miss a bug: %s.\n    Your %s all "
                "passed against a copy of the service with that bug in it.\n"
                "    Write the test that fails on it.\n    output: %s",
                bug, group_title(group), shown(path));
}

void expect_variant_passes(const char *group, const char *name,
                           const char *what, const char *advice,
                           const char *section)
{
    child_result r;
    char path[512];
    run_copy(group, name, section, &r, path, sizeof path);
    if (child_passed(&r))
        return;
    char list[1400];
    failures(r.output, list, sizeof list);
    expect_fail(section,
                "your %s fail against a service that is correct, only %s:%s"
                "\n    %s\n    output: %s",
                group_title(group), what,
                r.timed_out ? "\n      (it did not finish in time)"
                : list[0]   ? list
                            : "\n      (see the output)",
                advice, shown(path));
}
