/*
 * main.c: your test program, the tests you write in this step put together.
 * Given: read it, don't edit.
 *
 *   make run                       all your tests, against the finished
 *                                  step-4 services: they should all pass
 *   make run ARGS=unit             only the GetUser unit tests
 *   make run ARGS=integration      only the stream tests
 *
 * The step's suites build this same program again against broken copies
 * of the services, the mutants, and expect it to fail there: a test that
 * passes whatever the code does has not tested anything.
 * Lesson: docs/en/steps/06-testing.md#how-your-tests-are-tested
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "groups.h"

int main(int argc, char **argv)
{
    /* Line by line, even into a file: when the step's suites stop a run
     * that takes too long, its output still shows which test was running. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *which = argc > 1 ? argv[1] : "all";
    bool unit = strcmp(which, "unit") == 0 || strcmp(which, "all") == 0;
    bool integration =
        strcmp(which, "integration") == 0 || strcmp(which, "all") == 0;
    if (argc > 2 || !(unit || integration)) {
        fprintf(stderr,
                "usage: %s [unit | integration | all]\n"
                "  unit         the GetUser unit tests (get_user_tests.c)\n"
                "  integration  the stream tests (stream_tests.c)\n"
                "  all          both (the default)\n",
                argv[0]);
        return 2;
    }

    int failed = 0;
    if (unit)
        failed += _cmocka_run_group_tests("GetUser unit tests", get_user_tests,
                                          get_user_tests_count, NULL, NULL);
    if (integration)
        failed +=
            _cmocka_run_group_tests("stream integration tests", stream_tests,
                                    stream_tests_count, NULL, NULL);
    return failed == 0 ? 0 : 1;
}
