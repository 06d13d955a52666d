/*
 * test_style.c: exercise 1, the style rules, checked over the .proto files of
 * exercise 1 (my_service.proto, use_cases.proto). evolution.proto follows
 * them too, but the evolution tests check each of its names, so a slip there
 * is reported by its own exercise (a style failure here means
 * use_cases.proto, the file with the style exercise).
 *
 *   - a versioned package:        tutorial.v1, not tutorial or nothing
 *   - PascalCase names:           services, rpcs, messages, enums
 *   - snake_case fields:          user_id, not userId
 *   - enum values:                PREFIX_NAME, the zero one PREFIX_UNSPECIFIED
 *
 * The same rules run over the course's own protos (proto/tutorial/v1): they
 * must pass there too, which shows the rules are the ones the course keeps.
 */
#define LESSON_PAGE "steps/02-schema.md"
#define EXERCISE_FILE                                                          \
    "use_cases.proto" /* the style TODOs; my_service.proto's names fail its    \
                         own suite first */
#include "lesson.h"

#include <ctype.h>
#include <stdarg.h>

#include "descset.h"

static ds_set *sets[3];
static const char *const set_names[] = {"my_service.desc", "use_cases.desc",
                                        "course.desc"};
enum { LEARNER_SETS = 2, COURSE_SET = 2, N_SETS = 3 };

static int load(void **state)
{
    (void)state;
    for (int i = 0; i < N_SETS; i++)
        if (!(sets[i] = ds_load(set_names[i])))
            return -1;
    return 0;
}

static int unload(void **state)
{
    (void)state;
    for (int i = 0; i < N_SETS; i++)
        ds_free(sets[i]);
    return 0;
}

/* ---- the rules, one name at a time -------------------------------------- */

static int is_lower_word(const char *s, size_t n)
{
    if (n == 0 || !islower((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
            s[i] != '_')
            return 0;
    return 1;
}

/* v1, v2, v1beta1, v2alpha3 */
static int is_version(const char *s, size_t n)
{
    size_t i = 1;
    if (n < 2 || s[0] != 'v' || s[1] < '1' || s[1] > '9')
        return 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    if (i == n)
        return 1;
    if (n - i > 5 && strncmp(s + i, "alpha", 5) == 0)
        i += 5;
    else if (n - i > 4 && strncmp(s + i, "beta", 4) == 0)
        i += 4;
    else
        return 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    return i == n;
}

/* lower.case.parts, at least two, the last one a version. */
static int is_versioned_package(const char *pkg)
{
    const char *dot = strrchr(pkg, '.');
    if (!dot || !is_version(dot + 1, strlen(dot + 1)))
        return 0;
    for (const char *p = pkg; p < dot;) {
        const char *end = strchr(p, '.');
        if (!is_lower_word(p, (size_t)(end - p)))
            return 0;
        p = end + 1;
    }
    return 1;
}

static int is_pascal(const char *s)
{
    if (!isupper((unsigned char)s[0]))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s))
            return 0;
    return 1;
}

static int is_snake(const char *s)
{
    size_t n = strlen(s);
    return is_lower_word(s, n) && s[n - 1] != '_' && !strstr(s, "__");
}

/* user_service -> UserService; getUser -> GetUser */
static const char *to_pascal(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (int up = 1; *s && n + 1 < cap; s++) {
        if (*s == '_') {
            up = 1;
            continue;
        }
        out[n++] = (char)(up ? toupper((unsigned char)*s) : *s);
        up = 0;
    }
    out[n] = '\0';
    return out;
}

/* userId -> user_id; Role -> ROLE (upper != 0) */
static const char *to_snake(const char *s, int upper, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; s[i] && n + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isupper(c) && i > 0 &&
            (islower((unsigned char)s[i - 1]) ||
             isdigit((unsigned char)s[i - 1])))
            out[n++] = '_';
        out[n++] = (char)(upper ? toupper(c) : tolower(c));
    }
    out[n] = '\0';
    return out;
}

/* ---- walking a file ------------------------------------------------------ */

typedef struct report {
    char text[2048];
    int count;
} report;

static void problem(report *r, const ds_file *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(report *r, const ds_file *f, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    r->count++;
    ds_appendf(r->text, sizeof r->text, "\n      %s: %s", f->name, line);
}

static void check_package(report *r, const ds_file *f)
{
    const char *pkg = ds_package(f);
    if (!*pkg)
        problem(r, f, "no package (want a versioned one, like tutorial.v1)");
    else if (!is_versioned_package(pkg))
        problem(r, f,
                "package %s should be lower.case.parts ending in a "
                "version, like tutorial.v1",
                pkg);
}

static void check_pascal(report *r, const ds_file *f, const char *what,
                         const char *name)
{
    char fix[256];
    if (!is_pascal(name))
        problem(r, f, "%s %s should be PascalCase: %s", what, name,
                to_pascal(name, fix, sizeof fix));
}

static void check_enum(report *r, const ds_file *f, const ds_enum *e, char rule)
{
    char prefix[256], want[300];
    if (rule == 'p')
        check_pascal(r, f, "enum", e->name);
    if (rule != 'e')
        return;
    to_snake(e->name, 1, prefix, sizeof prefix);
    snprintf(want, sizeof want, "%s_UNSPECIFIED", prefix);
    for (size_t i = 0; i < e->n_value; i++) {
        const char *v = e->value[i]->name;
        if (e->value[i]->number == 0 && strcmp(v, want) != 0)
            problem(r, f, "enum %s: the zero value is %s; call it %s", e->name,
                    v, want);
        else if (strncmp(v, prefix, strlen(prefix)) != 0 ||
                 v[strlen(prefix)] != '_')
            problem(r, f, "enum %s: value %s should start with %s_", e->name, v,
                    prefix);
    }
}

static void check_message(report *r, const ds_file *f, const ds_message *m,
                          char rule)
{
    char fix[256];
    if (rule == 'p')
        check_pascal(r, f, "message", m->name);
    for (size_t i = 0; rule == 's' && i < m->n_field; i++)
        if (!is_snake(m->field[i]->name))
            problem(r, f, "message %s: field %s should be snake_case: %s",
                    m->name, m->field[i]->name,
                    to_snake(m->field[i]->name, 0, fix, sizeof fix));
    for (size_t i = 0; i < m->n_enum_type; i++)
        check_enum(r, f, m->enum_type[i], rule);
    for (size_t i = 0; i < m->n_nested_type; i++)
        check_message(r, f, m->nested_type[i], rule);
}

/* Runs one rule ('k' package, 'p' PascalCase, 's' snake_case, 'e' enum
 * values) over every file of sets[first..last] that is not a google/ import. */
static report check(char rule, int first, int last)
{
    report r = {"", 0};
    for (int s = first; s <= last; s++) {
        for (size_t i = 0; i < sets[s]->n_file; i++) {
            const ds_file *f = sets[s]->file[i];
            if (strncmp(f->name, "google/", 7) == 0)
                continue;
            if (rule == 'k')
                check_package(&r, f);
            for (size_t j = 0; rule == 'p' && j < f->n_service; j++) {
                const ds_service *svc = f->service[j];
                check_pascal(&r, f, "service", svc->name);
                for (size_t k = 0; k < svc->n_method; k++)
                    check_pascal(&r, f, "rpc", svc->method[k]->name);
            }
            for (size_t j = 0; j < f->n_message_type; j++)
                check_message(&r, f, f->message_type[j], rule);
            for (size_t j = 0; j < f->n_enum_type; j++)
                check_enum(&r, f, f->enum_type[j], rule);
        }
    }
    return r;
}

#define expect_no_problems(r, section)                                         \
    expect_true((r).count == 0, section, "%d style problem%s:%s", (r).count,   \
                (r).count == 1 ? "" : "s", (r).text)

/* ---- the tests ------------------------------------------------------------ */

static void test_style_package_versioned(void **state)
{
    (void)state;
    report r = check('k', 0, LEARNER_SETS - 1);
    expect_no_problems(r, "#style-rules");
}

static void test_style_pascal_case_names(void **state)
{
    (void)state;
    report r = check('p', 0, LEARNER_SETS - 1);
    expect_no_problems(r, "#style-rules");
}

static void test_style_snake_case_fields(void **state)
{
    (void)state;
    report r = check('s', 0, LEARNER_SETS - 1);
    expect_no_problems(r, "#style-rules");
}

static void test_style_enum_zero_unspecified(void **state)
{
    (void)state;
    report r = check('e', 0, LEARNER_SETS - 1);
    expect_no_problems(r, "#style-rules");
}

/* Given: the course's protos follow every rule, so the rules are fair. */
static void test_style_course_protos_follow_rules(void **state)
{
    (void)state;
    expect_true(sets[COURSE_SET]->n_file >= 5, "#style-rules",
                "course.desc holds %zu files, want the 5 of proto/tutorial/v1",
                sets[COURSE_SET]->n_file);
    for (const char *rule = "kpse"; *rule; rule++) {
        report r = check(*rule, COURSE_SET, COURSE_SET);
        expect_no_problems(r, "#style-rules");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_style_package_versioned),
        cmocka_unit_test(test_style_pascal_case_names),
        cmocka_unit_test(test_style_snake_case_fields),
        cmocka_unit_test(test_style_enum_zero_unspecified),
        cmocka_unit_test(test_style_course_protos_follow_rules),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
