/* sanitize.c: how the sanitizers behave in a step's programs and tests.
 *
 * mk/step.mk links this file into every test program and every step's
 * program when it builds with a sanitizer (the default; SANITIZE=none for
 * valgrind leaves it out). The sanitizers ask for these functions at start,
 * so the settings hold however the program is started: by `make stepN`,
 * by a test that runs the step's program, or by hand.
 *
 * The suppressions below are the one list of known noise, each with why.
 * They name gRPC core and abseil only: a leak or error whose stack reaches
 * the learner's code or the course's runtime is never hidden.
 */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)

/* The sanitizer runtime calls these by name; declare them for -Wextra. */
const char *__asan_default_options(void);
const char *__lsan_default_options(void);
const char *__lsan_default_suppressions(void);
const char *__ubsan_default_options(void);
const char *__tsan_default_options(void);
const char *__tsan_default_suppressions(void);

/* Stop at the first error (the report then ends the test that caused it);
 * report leaks when the program exits; check the libc string functions'
 * whole arguments. */
const char *__asan_default_options(void)
{
    return "detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:"
           "detect_stack_use_after_return=1:check_initialization_order=1:print_summary=1";
}

const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* Known noise: gRPC core 1.51 keeps a few process-wide objects (its
 * resolver and event-engine singletons, abseil's per-thread data) alive past
 * grpc_shutdown when a thread of its own is still ending as the process
 * exits. They are allocated and owned by the core, never by code that calls
 * it, and valgrind's tools/valgrind.supp hides the same ones. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libgrpc.so\n"
           "leak:libgpr.so\n"
           "leak:libabsl_\n";
}

/* Undefined behaviour stops the program with the stack that shows where. */
const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1:halt_on_error=1";
}

/* A data race stops the program at the first report. gRPC core is not built
 * with TSan: its own synchronisation is invisible, so reports inside it are
 * left out (ignore_noninstrumented_modules), as the runtime's suites do. */
const char *__tsan_default_options(void)
{
    return "halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1";
}

const char *__tsan_default_suppressions(void)
{
    return "";
}

#else
/* ISO C wants a translation unit to declare something. */
typedef int cg_sanitize_unused;
#endif
