/*
 * test_k8s.c: exercise 8, the Kubernetes manifests (serving.yaml): the
 * learner's patch merged into k8s/deployment.yaml and k8s/service.yaml,
 * checked offline against the Kubernetes API schemas and the course's rules
 * by k8s_rules.py (run once for the whole suite; each test reads its rules).
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "serving.yaml"
#include "lesson.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef K8S_PATCH
#error                                                                         \
    "tests/07-deploy/step.mk defines K8S_PATCH, the serving.yaml being tested"
#endif

/* What k8s_rules.py printed: "<rule> ok" or "<rule> FAIL <why>" a line. */
static char report[16384];

static int run_rules(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "python3 '%s/tests/07-deploy/k8s_rules.py' '%s' 2>&1", ROOT_DIR,
             K8S_PATCH);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    size_t n = fread(report, 1, sizeof report - 1, p);
    report[n] = '\0';
    pclose(p);
    return 0;
}

/* Fails unless `rule` is ok; the message is k8s_rules.py's reason. */
static void expect_rule(const char *rule, const char *section)
{
    char key[64];
    snprintf(key, sizeof key, "%s ", rule);
    const char *at = report;
    while (at != NULL && strncmp(at, key, strlen(key)) != 0) {
        at = strchr(at, '\n');
        if (at != NULL)
            at++;
    }
    if (at == NULL || *at == '\0')
        expect_fail(section,
                    "k8s_rules.py gave no verdict on \"%s\"; it printed:\n%s",
                    rule, report);
    const char *what = at + strlen(key);
    if (strncmp(what, "ok", 2) == 0 && (what[2] == '\n' || what[2] == '\0'))
        return;
    const char *end = strchr(what, '\n');
    int len = end != NULL ? (int)(end - what) : (int)strlen(what);
    if (len > 5 && strncmp(what, "FAIL ", 5) == 0) {
        what += 5;
        len -= 5;
    }
    expect_fail(section, "serving.yaml (merged into k8s/): %.*s", len, what);
}

static void test_k8s_patch_valid(void **state)
{
    (void)state;
    expect_rule("patch", "#a-patch-on-the-shipped-manifests");
}

static void test_k8s_readiness_probe(void **state)
{
    (void)state;
    expect_rule("readiness", "#readiness-and-liveness");
}

static void test_k8s_liveness_probe(void **state)
{
    (void)state;
    expect_rule("liveness", "#readiness-and-liveness");
}

static void test_k8s_grace_period(void **state)
{
    (void)state;
    expect_rule("grace", "#the-kubelets-grace-period");
}

static void test_k8s_headless_service(void **state)
{
    (void)state;
    expect_rule("headless", "#a-headless-service-and-round_robin");
}

static void test_k8s_resources(void **state)
{
    (void)state;
    expect_rule("resources", "#resources-and-no-root");
}

static void test_k8s_non_root(void **state)
{
    (void)state;
    expect_rule("non_root", "#resources-and-no-root");
    expect_rule("locked_down", "#resources-and-no-root");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k8s_patch_valid),
        cmocka_unit_test(test_k8s_readiness_probe),
        cmocka_unit_test(test_k8s_liveness_probe),
        cmocka_unit_test(test_k8s_grace_period),
        cmocka_unit_test(test_k8s_headless_service),
        cmocka_unit_test(test_k8s_resources),
        cmocka_unit_test(test_k8s_non_root),
    };
    return cmocka_run_group_tests(tests, run_rules, NULL);
}
