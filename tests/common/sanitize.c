/* sanitize.c: how the sanitizers behave in a step's programs and tests.
 *
 * mk/step.mk links this file into every test program and every step's
 * program when it builds with a sanitizer (the default; SANITIZE=none for
 * valgrind leaves it out). The sanitizers ask for these functions at start,
 * so the settings hold however the program is started: by `make stepN`,
 * by a test that runs the step's program, or by hand.
 *
 * __lsan_default_suppressions below is the one list of known noise (empty
 * today): only gRPC core's or abseil's own allocations may ever go there,
 * each with its reason.
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
    return "detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_"
           "checks=1:"
           "detect_stack_use_after_return=1:check_initialization_order=1:print_"
           "summary=1";
}

const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

/* Known noise: none today. Every step's solution runs leak-free under
 * LeakSanitizer with no suppression (checked on every `make test`), so a
 * leak report always means a leak, including a learner's slice or byte
 * buffer that gRPC core allocated and the learner never unref'd. A line
 * here hides every leak whose stack names the pattern: add one only for an
 * allocation gRPC core or abseil owns, with the reason, e.g.
 *     "leak:grpc_core::SomeSingleton\n"  (lives until exit by design) */
const char *__lsan_default_suppressions(void)
{
    return "";
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
    return "halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_"
           "modules=1";
}

const char *__tsan_default_suppressions(void)
{
    return "";
}

#else
/* ISO C wants a translation unit to declare something. */
typedef int cg_sanitize_unused;
#endif
