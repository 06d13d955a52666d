/*
 * test_tls.c: TLS and mutual TLS with certificates made for this run by
 * tests/workspace/runtime/gen_certs.sh (CGRT_CERT_DIR): a trusted client gets
 * in; a client without a certificate, with one from another CA, or speaking
 * plaintext does not; unreadable files are reported, not crashed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_util.h"

#ifndef CGRT_CERT_DIR
#error "CGRT_CERT_DIR must name the directory gen_certs.sh filled"
#endif

#define CERT(name) CGRT_CERT_DIR "/" name

typedef struct tls_server {
    rt_state st;
    cg_server *srv;
    char target[32];
} tls_server;

static void start(tls_server *s, const cg_tls_server *tls)
{
    rt_state_init(&s->st, "tls");
    s->srv = cg_server_new(NULL);
    cg_status err;
    int port = cg_server_listen(s->srv, "127.0.0.1:0", tls, &err);
    if (port <= 0)
        fail_msg("TLS listen: %s (did gen_certs.sh run?)", err.message);
    rt__test__register_server(s->srv, &rt_impl, &s->st);
    assert_int_equal(cg_server_start(s->srv), 0);
    snprintf(s->target, sizeof s->target, "127.0.0.1:%d", port);
}

static void stop(tls_server *s)
{
    cg_server_free(s->srv);
    rt_state_destroy(&s->st);
}

/* One Echo over a channel with `tls` (NULL = plaintext). */
static cg_status call(tls_server *s, const cg_tls_client *tls)
{
    cg_channel_opts o = {0};
    o.tls = tls;
    cg_status err;
    cg_channel *ch = cg_channel_new(s->target, &o, &err);
    if (ch == NULL)
        fail_msg("channel: %s", err.message);
    Rt__Msg req = rt_msg("secret", 1);
    Rt__Msg *resp = NULL;
    cg_call_opts co = rt_opts(RT_WAIT_MS);
    cg_status st = cg_unary(ch, rt_m(RT_ECHO), &req, (void **)&resp, &co);
    if (st.code == GRPC_STATUS_OK)
        assert_string_equal(resp->text, "secret");
    if (resp)
        rt__msg__free_unpacked(resp, NULL);
    cg_channel_free(ch);
    return st;
}

static const cg_tls_server server_only = {CERT("server.pem"),
                                          CERT("server.key"), NULL, false};
static const cg_tls_server mutual = {CERT("server.pem"), CERT("server.key"),
                                     CERT("ca.pem"), true};
static const cg_tls_server optional = {CERT("server.pem"), CERT("server.key"),
                                       CERT("ca.pem"), false};

static const cg_tls_client trusting = {CERT("ca.pem"), NULL, NULL, "localhost"};
static const cg_tls_client with_cert = {CERT("ca.pem"), CERT("client.pem"),
                                        CERT("client.key"), "localhost"};
static const cg_tls_client rogue_cert = {CERT("ca.pem"), CERT("rogue.pem"),
                                         CERT("rogue.key"), "localhost"};
static const cg_tls_client wrong_ca = {CERT("rogue-ca.pem"), NULL, NULL,
                                       "localhost"};

static void test_tls_server_authenticated(void **state)
{
    (void)state;
    tls_server s;
    start(&s, &server_only);
    assert_status(call(&s, &trusting), GRPC_STATUS_OK);
    /* The certificate names 127.0.0.1 too, so no override is needed. */
    cg_tls_client by_ip = {CERT("ca.pem"), NULL, NULL, NULL};
    assert_status(call(&s, &by_ip), GRPC_STATUS_OK);
    /* A client that does not trust the server's CA stops. */
    assert_status(call(&s, &wrong_ca), GRPC_STATUS_UNAVAILABLE);
    /* So does one speaking plaintext. */
    assert_status(call(&s, NULL), GRPC_STATUS_UNAVAILABLE);
    stop(&s);
}

static void test_tls_mutual(void **state)
{
    (void)state;
    tls_server s;
    start(&s, &mutual);
    assert_status(call(&s, &with_cert), GRPC_STATUS_OK);
    assert_status(call(&s, &trusting), GRPC_STATUS_UNAVAILABLE); /* none */
    assert_status(call(&s, &rogue_cert),
                  GRPC_STATUS_UNAVAILABLE); /* wrong CA */
    stop(&s);
}

static void test_tls_optional_client_cert(void **state)
{
    (void)state;
    tls_server s;
    start(&s, &optional);
    assert_status(call(&s, &trusting), GRPC_STATUS_OK);
    assert_status(call(&s, &with_cert), GRPC_STATUS_OK);
    /* Offered certificates are still verified. */
    assert_status(call(&s, &rogue_cert), GRPC_STATUS_UNAVAILABLE);
    stop(&s);
}

static void test_tls_unreadable_files(void **state)
{
    (void)state;
    cg_server *srv = cg_server_new(NULL);
    cg_status err;
    cg_tls_server missing = {CGRT_CERT_DIR "/nope.pem", CERT("server.key"),
                             NULL, false};
    assert_int_equal(cg_server_listen(srv, "127.0.0.1:0", &missing, &err), -1);
    assert_int_equal(err.code, GRPC_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "nope.pem"));
    cg_tls_server no_key = {CERT("server.pem"), NULL, NULL, false};
    assert_int_equal(cg_server_listen(srv, "127.0.0.1:0", &no_key, &err), -1);
    cg_tls_server bad_ca = {CERT("server.pem"), CERT("server.key"),
                            CGRT_CERT_DIR "/no-ca.pem", true};
    assert_int_equal(cg_server_listen(srv, "127.0.0.1:0", &bad_ca, &err), -1);
    assert_non_null(strstr(err.message, "no-ca.pem"));
    cg_server_free(srv);

    cg_tls_client bad_root = {CGRT_CERT_DIR "/nope-ca.pem", NULL, NULL, NULL};
    cg_channel_opts o = {0};
    o.tls = &bad_root;
    assert_null(cg_channel_new("127.0.0.1:1", &o, &err));
    assert_non_null(strstr(err.message, "nope-ca.pem"));
    cg_tls_client half = {CERT("ca.pem"), CERT("client.pem"), NULL, NULL};
    o.tls = &half;
    assert_null(cg_channel_new("127.0.0.1:1", &o, &err));
    assert_int_equal(err.code, GRPC_STATUS_INVALID_ARGUMENT);
}

int main(void)
{
    rt_filter_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_server_authenticated),
        cmocka_unit_test(test_tls_mutual),
        cmocka_unit_test(test_tls_optional_client_cert),
        cmocka_unit_test(test_tls_unreadable_files),
    };
    return cmocka_run_group_tests_name("tls", tests, rt_group_setup,
                                       rt_group_teardown);
}
