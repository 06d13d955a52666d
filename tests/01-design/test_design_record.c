/*
 * test_design_record.c: exercise 3, the DESIGN_RECORD table in design_record.c.
 *
 * The methods come from the real schema (the .proto files in
 * proto/tutorial/v1, read by proto_scan.c); the numbers come from the
 * requirements in design_record.h.
 * test_design_find_* checks given code and passes from the start.
 */
#define LESSON_PAGE "steps/01-design.md"
#define EXERCISE_FILE "design_record.c"
#include "lesson.h"

#include <stdbool.h>
#include <string.h>

#include "design_record.h"
#include "proto_scan.h"

#define RECORD "#the-design-record"
#define REQS "#requirements"
#define UNARY_CALL "/tutorial.v1.MyService/UnaryCall"
#define GET_USER "/tutorial.v1.UserService/GetUser"
#define NOTIFY "/tutorial.v1.NotificationService/StreamNotifications"
#define UPLOAD "/tutorial.v1.FileService/UploadFile"
#define CHAT "/tutorial.v1.ChatService/Chat"

/* NULL-safe string equality. */
static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* The schema's methods. Fails the test if they can't be read. */
static const struct proto_method *protos(int *n)
{
    const struct proto_method *m;
    *n = proto_course_methods(&m);
    expect_true(*n > 0, "", "could not read the rpc lines of %s", PROTO_DIR);
    return m;
}

/* The record's entry for `path`; fails the test if there is none. */
static const struct method_design *entry(const char *path)
{
    const struct method_design *d = design_find(path);
    expect_true(d != NULL, RECORD,
                "DESIGN_RECORD has no entry with .path = \"%s\"", path);
    return d;
}

static void test_design_record_lists_every_method(void **state)
{
    (void)state;
    int n;
    const struct proto_method *m = protos(&n);
    char wrong[2048] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < DESIGN_RECORD_LEN; j++)
            seen += same(DESIGN_RECORD[j].path, m[i].path);
        if (seen != 1 && used < sizeof wrong)
            used += (size_t)snprintf(wrong + used, sizeof wrong - used,
                                     "\n      %s (%d times)", m[i].path, seen);
    }
    expect_true(wrong[0] == '\0', RECORD,
                "each method of the .proto files must be in DESIGN_RECORD "
                "exactly once; "
                "these are not:%s",
                wrong);
    /* With every method there once, any further entry is not in the schema. */
    expect_true(
        DESIGN_RECORD_LEN == (size_t)n, RECORD,
        "DESIGN_RECORD has %zu entries for %d methods: an entry names a method "
        "the .proto files do not have",
        DESIGN_RECORD_LEN, n);
}

static void test_design_record_says_what_and_when(void **state)
{
    (void)state;
    int n;
    const struct proto_method *m = protos(&n);
    for (int i = 0; i < n; i++) {
        const struct method_design *d = entry(m[i].path);
        expect_true(
            same(d->request, m[i].request) && same(d->response, m[i].response),
            RECORD,
            "%s: .request/.response are \"%s\"/\"%s\"; the .proto says "
            "\"%s\"/\"%s\"",
            m[i].path, d->request ? d->request : "(null)",
            d->response ? d->response : "(null)", m[i].request, m[i].response);
        expect_true(d->when != NULL && d->when[0] != '\0', RECORD,
                    "%s: .when is empty; say what makes a client call it",
                    m[i].path);
    }
}

static void test_design_record_kinds_match_proto(void **state)
{
    (void)state;
    int n;
    const struct proto_method *m = protos(&n);
    for (int i = 0; i < n; i++) {
        const struct method_design *d = entry(m[i].path);
        rpc_kind want = proto_kind(&m[i]);
        expect_true(d->kind == want, RECORD,
                    "%s: .kind is %s; its rpc line in the .proto makes it %s",
                    m[i].path, rpc_kind_name(d->kind), rpc_kind_name(want));
    }
}

static void test_design_record_deadlines_within_bounds(void **state)
{
    (void)state;
    int n;
    const struct proto_method *m = protos(&n);
    for (int i = 0; i < n; i++) {
        const struct method_design *d = entry(m[i].path);
        bool unary = proto_kind(&m[i]) == RPC_UNARY;
        uint32_t max =
            unary ? REQ_UNARY_MAX_DEADLINE_MS : REQ_STREAM_MAX_DEADLINE_MS;
        expect_true(d->deadline_ms > 0 && d->deadline_ms <= max, REQS,
                    "%s: .deadline_ms = %u; a %s call needs one in 1..%u",
                    m[i].path, d->deadline_ms, unary ? "unary" : "streaming",
                    max);
    }
    static const char *const sessions[] = {NOTIFY, CHAT};
    for (size_t i = 0; i < 2; i++) {
        uint32_t ms = entry(sessions[i])->deadline_ms;
        expect_true(ms >= REQ_SESSION_MIN_DEADLINE_MS, REQS,
                    "%s: .deadline_ms = %u; a "
                    "session lasts at least %u ms",
                    sessions[i], ms, REQ_SESSION_MIN_DEADLINE_MS);
    }
}

static void test_design_record_get_user_deadline_covers_retry(void **state)
{
    (void)state;
    const struct method_design *d = entry(GET_USER);
    uint32_t least = REQ_GET_USER_P99_MS * REQ_GET_USER_ATTEMPTS;
    expect_true(d->deadline_ms >= least &&
                    d->deadline_ms <= REQ_GET_USER_BUDGET_MS,
                REQS,
                "GetUser: .deadline_ms = %u; it must cover %u attempts of %u "
                "ms (%u) and "
                "fit the page's %u ms",
                d->deadline_ms, REQ_GET_USER_ATTEMPTS, REQ_GET_USER_P99_MS,
                least, REQ_GET_USER_BUDGET_MS);
}

static void test_design_record_upload_deadline_fits_slow_links(void **state)
{
    (void)state;
    const struct method_design *d = entry(UPLOAD);
    expect_true(d->deadline_ms >= REQ_UPLOAD_MIN_DEADLINE_MS &&
                    d->deadline_ms <= REQ_UPLOAD_MAX_DEADLINE_MS,
                REQS, "UploadFile: .deadline_ms = %u; it must be in %u..%u",
                d->deadline_ms, REQ_UPLOAD_MIN_DEADLINE_MS,
                REQ_UPLOAD_MAX_DEADLINE_MS);
}

static void test_design_record_message_limits(void **state)
{
    (void)state;
    int n;
    const struct proto_method *m = protos(&n);
    for (int i = 0; i < n; i++) {
        const struct method_design *d = entry(m[i].path);
        bool upload = same(m[i].path, UPLOAD);
        uint32_t least = upload ? REQ_UPLOAD_MIN_MESSAGE_BYTES : 1;
        uint32_t most =
            upload ? REQ_MAX_MESSAGE_BYTES : REQ_SMALL_MAX_MESSAGE_BYTES;
        expect_true(d->max_message_bytes >= least &&
                        d->max_message_bytes <= most,
                    REQS, "%s: .max_message_bytes = %u; it must be in %u..%u",
                    m[i].path, d->max_message_bytes, least, most);
    }
}

static void test_design_record_retries_only_idempotent(void **state)
{
    (void)state;
    for (size_t i = 0; i < DESIGN_RECORD_LEN; i++) {
        const struct method_design *d = &DESIGN_RECORD[i];
        expect_true(
            !d->retryable || d->idempotent, REQS,
            "%s is retryable but not idempotent: a retry could do it twice",
            d->path ? d->path : "(entry with no path)");
    }
    expect_true(
        entry(GET_USER)->retryable, REQS,
        "GetUser must be retryable: the requirements give it two attempts");
}

static void test_design_record_idempotency(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        bool idempotent;
        const char *why;
    } cases[] = {
        {UNARY_CALL, true, "it only computes an answer"},
        {GET_USER, true, "it only reads"},
        {UPLOAD, false, "every call stores a new file"},
        {CHAT, false, "a repeated message is posted twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_true(entry(cases[i].path)->idempotent == cases[i].idempotent,
                    REQS, "%s: .idempotent should be %s: %s", cases[i].path,
                    cases[i].idempotent ? "true" : "false", cases[i].why);
}

/* Given code (lookup.c), on the worked example the starter already has. */
static void test_design_find_worked_example(void **state)
{
    (void)state;
    const struct method_design *d = design_find(UNARY_CALL);
    expect_true(d != NULL, RECORD, "design_find found no UnaryCall entry");
    expect_str(d->path, UNARY_CALL, RECORD);
    expect_true(design_find("/tutorial.v1.MyService/NoSuchMethod") == NULL,
                RECORD, "design_find of an unknown path should be NULL");
    expect_true(design_find(NULL) == NULL, RECORD,
                "design_find(NULL) should be NULL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_design_record_lists_every_method),
        cmocka_unit_test(test_design_record_says_what_and_when),
        cmocka_unit_test(test_design_record_kinds_match_proto),
        cmocka_unit_test(test_design_record_deadlines_within_bounds),
        cmocka_unit_test(test_design_record_get_user_deadline_covers_retry),
        cmocka_unit_test(test_design_record_upload_deadline_fits_slow_links),
        cmocka_unit_test(test_design_record_message_limits),
        cmocka_unit_test(test_design_record_retries_only_idempotent),
        cmocka_unit_test(test_design_record_idempotency),
        cmocka_unit_test(test_design_find_worked_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
