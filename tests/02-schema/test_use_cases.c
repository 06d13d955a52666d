/*
 * test_use_cases.c: exercise 1, the outline's four use-case services
 * (use_cases.proto): one service for each kind of RPC.
 */
#define LESSON_PAGE "steps/02-schema.md"
#define EXERCISE_FILE "use_cases.proto"
#include "lesson.h"

#include "descset.h"

static ds_set *set;
static const ds_file *file;

static int load(void **state)
{
    (void)state;
    set = ds_load("use_cases.desc");
    file = ds_find_file(set, "use_cases.proto");
    return file ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    ds_free(set);
    return 0;
}

#define expect_text(what, got, want, section)                                  \
    expect_true(strcmp((got), (want)) == 0, section,                           \
                "%s\n      expected: %s\n      got:      %s", what, want, got)

/* Checks `service NAME { RPC }`: the service holds exactly that one method. */
static void expect_service(const char *name, const char *rpc)
{
    char got[DS_TEXT];
    const ds_service *s = ds_find_service(file, name);
    expect_true(s != NULL, "#services-and-the-stream-keyword",
                "use_cases.proto has no service %s (services: %s)\n"
                "      want: service %s { %s; }",
                name, ds_names_text(file, 's', got, sizeof got), name, rpc);
    expect_true(s->n_method == 1, "#services-and-the-stream-keyword",
                "service %s should have exactly one method, %s; it has: %s",
                name, rpc, ds_method_names(s, got, sizeof got));
    char what[128];
    snprintf(what, sizeof what, "service %s", name);
    expect_text(what, ds_method_text(s->method[0], 0, got, sizeof got), rpc,
                "#services-and-the-stream-keyword");
}

/* Checks `message NAME { FIELDS }`, the fields listed by number. */
static void expect_message(const char *name, const char *fields)
{
    char got[DS_TEXT];
    const ds_message *m = ds_find_message(file, name);
    expect_true(m != NULL, "#messages-and-field-numbers",
                "use_cases.proto has no message %s (messages: %s)\n"
                "      want: message %s { %s; }",
                name, ds_names_text(file, 'm', got, sizeof got), name, fields);
    char what[128];
    snprintf(what, sizeof what, "message %s", name);
    expect_text(what, ds_fields_text(m, got, sizeof got), fields,
                "#messages-and-field-numbers");
}

static void test_use_cases_user_service(void **state)
{
    (void)state;
    expect_service("UserService", "rpc GetUser(GetUserRequest) returns (User)");
    expect_message("GetUserRequest", "string user_id = 1");
}

static void test_use_cases_user_message(void **state)
{
    (void)state;
    char got[DS_TEXT];
    const ds_enum *role = ds_find_enum(file, "Role");
    expect_true(role != NULL, "#style-rules",
                "use_cases.proto has no enum Role");
    expect_text("enum Role", ds_enum_text(role, got, sizeof got),
                "ROLE_UNSPECIFIED = 0; ROLE_MEMBER = 1; ROLE_ADMIN = 2",
                "#style-rules");
    expect_message("User", "string id = 1; string name = 2; string email = 3; "
                           "Role role = 4");
}

static void test_use_cases_notification_service(void **state)
{
    (void)state;
    expect_service("NotificationService",
                   "rpc StreamNotifications(StreamRequest) returns "
                   "(stream Notification)");
    expect_message("StreamRequest", "string user_id = 1; int32 max_count = 2");
    expect_message("Notification", "string id = 1; string user_id = 2; "
                                   "string message = 3; int64 sequence = 4");
}

static void test_use_cases_file_service(void **state)
{
    (void)state;
    expect_service("FileService",
                   "rpc UploadFile(stream FileChunk) returns (UploadResponse)");
    expect_message("FileChunk", "string filename = 1; bytes data = 2");
    expect_message("UploadResponse",
                   "bool success = 1; string file_id = 2; int64 size = 3");
}

static void test_use_cases_chat_service(void **state)
{
    (void)state;
    expect_service("ChatService",
                   "rpc Chat(stream ChatMessage) returns (stream ChatMessage)");
    expect_message("ChatMessage", "string user = 1; string content = 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_use_cases_user_service),
        cmocka_unit_test(test_use_cases_user_message),
        cmocka_unit_test(test_use_cases_notification_service),
        cmocka_unit_test(test_use_cases_file_service),
        cmocka_unit_test(test_use_cases_chat_service),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
