/*
 * test_choose_kind.c: exercise 1a, choose_rpc_kind() in choose_kind.c.
 *
 * Each test describes a call by its traits and checks the kind chosen;
 * test_rpc_kind_name_* checks given code and passes from the start.
 */
#define LESSON_PAGE "steps/01-design.md"
#define EXERCISE_FILE "choose_kind.c"
#include "lesson.h"

#include "rpc_kind.h"
#include "traits_text.h"

#define SECTION "#choosing-the-rpc-kind"

/* Checks one choice and names the traits in the message if it is wrong. */
static void check(rpc_sends client, rpc_sends server, rpc_first first,
                  rpc_kind want)
{
    struct rpc_traits t = {client, server, first};
    rpc_kind got = choose_rpc_kind(t);
    char text[128];
    expect_true(got == want, SECTION,
                "choose_rpc_kind(%s): expected %s, got %s",
                traits_text(t, text, sizeof text), rpc_kind_name(want),
                rpc_kind_name(got));
}

static void test_choose_kind_unary(void **state)
{
    (void)state;
    check(SENDS_ONE, SENDS_ONE, FIRST_CLIENT, RPC_UNARY);
}

static void test_choose_kind_server_streaming(void **state)
{
    (void)state;
    check(SENDS_ONE, SENDS_MANY, FIRST_CLIENT, RPC_SERVER_STREAMING);
}

static void test_choose_kind_client_streaming(void **state)
{
    (void)state;
    check(SENDS_MANY, SENDS_ONE, FIRST_CLIENT, RPC_CLIENT_STREAMING);
}

static void test_choose_kind_bidi(void **state)
{
    (void)state;
    check(SENDS_MANY, SENDS_MANY, FIRST_CLIENT, RPC_BIDI_STREAMING);
}

/* Only a bidi stream lets the server send before it has read the client,
 * whatever the counts are. */
static void test_choose_kind_server_speaks_first(void **state)
{
    (void)state;
    check(SENDS_ONE, SENDS_ONE, FIRST_SERVER, RPC_BIDI_STREAMING);
    check(SENDS_ONE, SENDS_MANY, FIRST_SERVER, RPC_BIDI_STREAMING);
    check(SENDS_MANY, SENDS_ONE, FIRST_SERVER, RPC_BIDI_STREAMING);
    check(SENDS_MANY, SENDS_MANY, FIRST_SERVER, RPC_BIDI_STREAMING);
}

/* A missing or nonsense trait gives no kind, even where another trait
 * (FIRST_SERVER) would decide on its own. The first line is the control:
 * the same traits, all valid, do have a kind. */
static void test_choose_kind_rejects_bad_traits(void **state)
{
    (void)state;
    check(SENDS_MANY, SENDS_ONE, FIRST_CLIENT, RPC_CLIENT_STREAMING);
    check(SENDS_UNSPECIFIED, SENDS_ONE, FIRST_CLIENT, RPC_KIND_UNSPECIFIED);
    check(SENDS_MANY, SENDS_UNSPECIFIED, FIRST_CLIENT, RPC_KIND_UNSPECIFIED);
    check(SENDS_MANY, SENDS_ONE, FIRST_UNSPECIFIED, RPC_KIND_UNSPECIFIED);
    check((rpc_sends)7, SENDS_ONE, FIRST_CLIENT, RPC_KIND_UNSPECIFIED);
    check(SENDS_MANY, (rpc_sends)-1, FIRST_CLIENT, RPC_KIND_UNSPECIFIED);
    check(SENDS_MANY, SENDS_ONE, (rpc_first)3, RPC_KIND_UNSPECIFIED);
    check(SENDS_UNSPECIFIED, SENDS_MANY, FIRST_SERVER, RPC_KIND_UNSPECIFIED);
    check((rpc_sends)9, SENDS_MANY, FIRST_SERVER, RPC_KIND_UNSPECIFIED);
}

/* Given code (lookup.c). */
static void test_rpc_kind_name_names_every_kind(void **state)
{
    (void)state;
    expect_str(rpc_kind_name(RPC_KIND_UNSPECIFIED), "UNSPECIFIED", SECTION);
    expect_str(rpc_kind_name(RPC_UNARY), "UNARY", SECTION);
    expect_str(rpc_kind_name(RPC_SERVER_STREAMING), "SERVER_STREAMING",
               SECTION);
    expect_str(rpc_kind_name(RPC_CLIENT_STREAMING), "CLIENT_STREAMING",
               SECTION);
    expect_str(rpc_kind_name(RPC_BIDI_STREAMING), "BIDI_STREAMING", SECTION);
    expect_str(rpc_kind_name((rpc_kind)42), "?", SECTION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose_kind_unary),
        cmocka_unit_test(test_choose_kind_server_streaming),
        cmocka_unit_test(test_choose_kind_client_streaming),
        cmocka_unit_test(test_choose_kind_bidi),
        cmocka_unit_test(test_choose_kind_server_speaks_first),
        cmocka_unit_test(test_choose_kind_rejects_bad_traits),
        cmocka_unit_test(test_rpc_kind_name_names_every_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
