/*
 * test_use_cases.c: exercise 1b, the USE_CASES table in use_cases.c.
 *
 * The course outline names three use cases for each kind of call. Each test
 * looks its three up, runs your choose_rpc_kind() on the traits you gave
 * them, and compares with the outline's answer. test_use_case_find_* checks
 * given code and passes from the start.
 */
#define LESSON_PAGE "steps/01-design.md"
#define EXERCISE_FILE "use_cases.c"
#define EXERCISE_NEEDS "choose_kind.c" /* the tests run choose_rpc_kind */
#include "lesson.h"

#include "rpc_kind.h"
#include "traits_text.h"

#define SECTION "#use-cases-from-the-outline"

static void check(const char *name, rpc_kind want)
{
    const struct use_case *uc = use_case_find(name);
    expect_true(uc != NULL, SECTION,
                "use case \"%s\" is missing from USE_CASES", name);
    rpc_kind got = choose_rpc_kind(uc->traits);
    char text[128];
    expect_true(
        got == want, SECTION,
        "use case \"%s\" (%s): choose_rpc_kind gives %s; the outline says %s",
        name, traits_text(uc->traits, text, sizeof text), rpc_kind_name(got),
        rpc_kind_name(want));
}

static void test_use_cases_unary(void **state)
{
    (void)state;
    check("authentication", RPC_UNARY);
    check("config lookup", RPC_UNARY);
    check("crud", RPC_UNARY);
}

static void test_use_cases_server_streaming(void **state)
{
    (void)state;
    check("notifications", RPC_SERVER_STREAMING);
    check("large query", RPC_SERVER_STREAMING);
    check("progress", RPC_SERVER_STREAMING);
}

static void test_use_cases_client_streaming(void **state)
{
    (void)state;
    check("file upload", RPC_CLIENT_STREAMING);
    check("batch upload", RPC_CLIENT_STREAMING);
    check("metric collection", RPC_CLIENT_STREAMING);
}

static void test_use_cases_bidi(void **state)
{
    (void)state;
    check("chat", RPC_BIDI_STREAMING);
    check("game", RPC_BIDI_STREAMING);
    check("log streaming", RPC_BIDI_STREAMING);
    /* Both directions stream in the game as in the chat; what sets it apart
     * is who speaks first: the world state flows from the moment a player
     * joins, before any move. */
    const struct use_case *game = use_case_find("game");
    char text[128];
    expect_true(game->traits.first == FIRST_SERVER, SECTION,
                "use case \"game\" (%s): the server sends the world state from "
                "the moment a player joins, before the player's first move: "
                "who speaks first?",
                traits_text(game->traits, text, sizeof text));
}

/* Given code (lookup.c): every outline name is in the table exactly once. */
static void test_use_case_find_outline_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "authentication",    "config lookup", "crud",        "notifications",
        "large query",       "progress",      "file upload", "batch upload",
        "metric collection", "chat",          "game",        "log streaming",
    };
    const size_t n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++) {
        const struct use_case *uc = use_case_find(names[i]);
        expect_true(uc != NULL, SECTION, "use_case_find(\"%s\") gave NULL",
                    names[i]);
        expect_str_as(uc->name, names[i], SECTION,
                      "use_case_find(\"%s\")->name", names[i]);
    }
    expect_int(USE_CASE_COUNT, n, SECTION);
    expect_true(use_case_find("telepathy") == NULL, SECTION,
                "use_case_find(\"telepathy\") should be NULL");
    expect_true(use_case_find(NULL) == NULL, SECTION,
                "use_case_find(NULL) should be NULL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_use_cases_unary),
        cmocka_unit_test(test_use_cases_server_streaming),
        cmocka_unit_test(test_use_cases_client_streaming),
        cmocka_unit_test(test_use_cases_bidi),
        cmocka_unit_test(test_use_case_find_outline_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
