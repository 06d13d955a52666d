/*
 * test_oversize.c: messages over the size limit, both ways, with the
 * course's services (default limits: 4 MiB each way).
 *
 * Each case checks three things: the call ends RESOURCE_EXHAUSTED; a
 * handler that should not see the message never runs; and the connection
 * survives: the next call on the same channel succeeds and arrives from
 * the same client address (same TCP connection, not a reconnect), with the
 * channel READY throughout.
 *
 *  - client -> server: a unary request of 5 MiB; a client stream whose
 *    third message is 5 MiB;
 *  - server -> client: a response just over the server's own 4 MiB send
 *    limit (request 4,194,295 bytes: accepted; its echo 4,194,308 bytes:
 *    refused), unary and streamed; responses over a client's 64 KiB
 *    receive limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_util.h"

#define MIB (1024 * 1024)
/* The longest id whose Request still fits 4 MiB, while the Response
 * "Processed: <id>" does not (see the header comment). */
#define EDGE_ID 4194290

static char *filled(size_t n, char c)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* Makes one small call, checks it, and returns the peer the server saw. */
static void same_connection(ft_server *s, cg_channel *ch, const char *peer0,
                            const char *after)
{
    ft_expect_code(ft_unary(ch, after, FT_WAIT_MS), GRPC_STATUS_OK);
    char peer[64];
    ft_last_peer(s, M_UNARY, peer, sizeof peer);
    if (strcmp(peer, peer0) != 0)
        fail_msg("after %s the channel reconnected: the server saw %s, then "
                 "%s",
                 after, peer0, peer);
    if (cg_channel_state(ch, false) != CG_CONN_READY)
        fail_msg("after %s the channel is %s", after,
                 cg_conn_state_name(cg_channel_state(ch, false)));
}

static void first_call(ft_server *s, cg_channel *ch, char *peer, size_t cap)
{
    ft_expect_code(ft_unary(ch, "first", FT_WAIT_MS), GRPC_STATUS_OK);
    ft_last_peer(s, M_UNARY, peer, cap);
    assert_true(peer[0] != '\0');
}

static void test_oversize_unary_request(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    char peer0[64];
    first_call(&s, s.ch, peer0, sizeof peer0);
    char *id = filled(5 * MIB, 'q');
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(s.ch, &req, &resp, &o);
    free(id);
    ft_expect_code(st, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_null(resp);
    assert_int_equal(ft_started(&s, M_UNARY), 1); /* the first call only */
    same_connection(&s, s.ch, peer0, "a 5 MiB request");
    ft_server_stop(&s);
}

static void test_oversize_message_in_client_stream(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    char peer0[64];
    first_call(&s, s.ch, peer0, sizeof peer0);
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    cg_call *c = tutorial__v1__my_service_client__client_stream(s.ch, &o);
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = "small";
    req.value = 1;
    assert_true(cg_call_send(c, &req));
    assert_true(cg_call_send(c, &req));
    char *id = filled(5 * MIB, 'c');
    req.id = id;
    cg_call_send(c, &req); /* may or may not be refused before it is sent */
    free(id);
    cg_call_close_send(c);
    assert_null(cg_call_recv(c));
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_RESOURCE_EXHAUSTED);
    /* The handler was told: its stream ended with an error, not cleanly. */
    cg_status last;
    assert_true(ft_wait_returned(&s, M_CSTREAM, 1, FT_WAIT_MS, &last));
    assert_int_not_equal(last.code, GRPC_STATUS_OK);
    /* A client stream within the limits still works on this connection. */
    c = tutorial__v1__my_service_client__client_stream(s.ch, &o);
    req.id = "again";
    for (int i = 1; i <= 3; i++) {
        req.value = i;
        assert_true(cg_call_send(c, &req));
    }
    assert_true(cg_call_close_send(c));
    const Tutorial__V1__Response *r = cg_call_recv(c);
    assert_non_null(r);
    assert_string_equal(r->message, "Processed 3 requests, total value 6");
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_OK);
    same_connection(&s, s.ch, peer0, "a 5 MiB message in a client stream");
    ft_server_stop(&s);
}

static void test_oversize_response_over_server_send_limit(void **state)
{
    (void)state;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, NULL);
    char peer0[64];
    first_call(&s, s.ch, peer0, sizeof peer0);
    char *id = filled(EDGE_ID, 'e');
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    assert_int_equal(tutorial__v1__request__get_packed_size(&req), 4194295);
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(s.ch, &req, &resp, &o);
    ft_expect_code(st, GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_null(resp);
    /* The request was within limits: the handler ran, its answer did not
     * fit. */
    assert_int_equal(ft_started(&s, M_UNARY), 2);
    same_connection(&s, s.ch, peer0, "a response over the server's limit");

    /* The same in a stream: cg_send refuses, the call says why. */
    req.value = 2;
    cg_call *c = tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    assert_null(cg_call_recv(c));
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_RESOURCE_EXHAUSTED);
    free(id);
    same_connection(&s, s.ch, peer0, "a streamed response over the limit");
    ft_server_stop(&s);
}

static void test_oversize_response_over_client_recv_limit(void **state)
{
    (void)state;
    cg_channel_opts co = {0};
    co.max_recv_bytes = 64 * 1024;
    ft_server s;
    ft_server_start(&s, NULL, NULL, NULL, &co);
    char peer0[64];
    first_call(&s, s.ch, peer0, sizeof peer0);
    /* 100 KiB responses to a client that takes 64 KiB at most. */
    char *id = filled(100 * 1024, 'r');
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = id;
    cg_call_opts o = ft_opts(FT_WAIT_MS);
    Tutorial__V1__Response *resp = NULL;
    ft_expect_code(
        tutorial__v1__my_service_client__unary_call(s.ch, &req, &resp, &o),
        GRPC_STATUS_RESOURCE_EXHAUSTED);
    assert_null(resp);
    same_connection(&s, s.ch, peer0,
                    "a unary response over the client's limit");

    req.value = 2000; /* 200 MB: more than any window lets through */
    cg_call *c = tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    assert_null(cg_call_recv(c));
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_RESOURCE_EXHAUSTED);
    /* The handler learnt that its client gave up. */
    cg_status last;
    assert_true(ft_wait_returned(&s, M_SSTREAM, 1, FT_WAIT_MS, &last));
    assert_int_not_equal(last.code, GRPC_STATUS_OK);
    free(id);

    /* Small responses on the same connection still flow. */
    req.id = "fits";
    req.value = 3;
    c = tutorial__v1__my_service_client__server_stream(s.ch, &req, &o);
    int got = 0;
    const Tutorial__V1__Response *r;
    while ((r = cg_call_recv(c)) != NULL) {
        char want[32];
        snprintf(want, sizeof want, "Processed: fits #%d", ++got);
        assert_string_equal(r->message, want);
    }
    ft_expect_code(cg_call_finish(c), GRPC_STATUS_OK);
    assert_int_equal(got, 3);
    same_connection(&s, s.ch, peer0,
                    "a streamed response over the client's limit");
    ft_server_stop(&s);
}

int main(void)
{
    ft_filter_from_env();
    const struct CMUnitTest tests[] = {
        FT_TEST(test_oversize_unary_request),
        FT_TEST(test_oversize_message_in_client_stream),
        FT_TEST(test_oversize_response_over_server_send_limit),
        FT_TEST(test_oversize_response_over_client_recv_limit),
    };
    return cmocka_run_group_tests_name("oversize", tests, ft_group_setup,
                                       ft_group_teardown);
}
