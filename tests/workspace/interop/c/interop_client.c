/*
 * interop_client.c: gRPC's standard interop cases on the cgrpc runtime's
 * client, the C client of the interop tests
 * (tests/workspace/interop/run_interop.py runs it against Python grpcio and
 * grpc-js servers).
 *
 *   build/interop/c/interop_client --server_host=127.0.0.1 --server_port=PORT \
 *       --test_case=large_unary
 *
 * Exits 0 when the case passed; otherwise prints `FAIL <case>: wanted ...,
 * got ...` on stderr and exits 1. --test_case takes a comma-separated list, or
 * `all`. The facts of each case (sizes, keys, codes) are those of gRPC's
 * doc/interop-test-descriptions.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgrpc.h"
#include "grpc/testing/test.cgrpc.h"
#include "interop_common.h"

typedef Grpc__Testing__Payload Payload;
typedef Grpc__Testing__ResponseParameters ResponseParameters;
typedef Grpc__Testing__SimpleRequest SimpleRequest;
typedef Grpc__Testing__SimpleResponse SimpleResponse;
typedef Grpc__Testing__StreamingInputCallRequest StreamingInputCallRequest;
typedef Grpc__Testing__StreamingOutputCallRequest StreamingOutputCallRequest;
typedef Grpc__Testing__StreamingOutputCallResponse StreamingOutputCallResponse;

#define ECHO_INITIAL "x-grpc-test-echo-initial"
#define ECHO_INITIAL_VALUE "test_initial_metadata_value"
#define ECHO_TRAILING "x-grpc-test-echo-trailing-bin"
static const char ECHO_TRAILING_VALUE[3] = {'\xab', '\xab', '\xab'};
#define SPECIAL_MESSAGE                                                        \
    "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and non-BMP "    \
    "\xf0\x9f\x98\x88\t\n"

/* The deadline of every call but timeout_on_sleeping_server's. */
static int64_t timeout_ms = 5000;

/* ---- checks: each returns false after writing what went wrong to why ----- */

#define WHY_MAX 1024

static bool failf(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool failf(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, WHY_MAX, fmt, ap);
    va_end(ap);
    return false;
}

/* s with \t, \r, \n and other control bytes escaped, for one-line messages. */
static const char *escaped(char *buf, size_t size, const char *s)
{
    size_t n = 0;
    for (; *s && n + 5 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        const char *esc = ch == '\t'   ? "\\t"
                          : ch == '\r' ? "\\r"
                          : ch == '\n' ? "\\n"
                                       : NULL;
        if (esc)
            n += (size_t)snprintf(buf + n, size - n, "%s", esc);
        else if (ch < 0x20)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
        else
            buf[n++] = (char)ch;
    }
    buf[n] = '\0';
    return buf;
}

/* Status code `want` and, when want_msg is not NULL, that message. */
static bool expect_status(char *why, const char *what, cg_status got,
                          grpc_status_code want, const char *want_msg)
{
    char w[CG_STATUS_MESSAGE_MAX * 2], g[CG_STATUS_MESSAGE_MAX * 2];
    if (got.code != want)
        return failf(why, "%s: wanted status %s, got %s (\"%s\")", what,
                     cg_status_name(want), cg_status_name(got.code),
                     escaped(g, sizeof g, got.message));
    if (want_msg && strcmp(got.message, want_msg) != 0)
        return failf(why, "%s: wanted status message \"%s\", got \"%s\"", what,
                     escaped(w, sizeof w, want_msg),
                     escaped(g, sizeof g, got.message));
    return true;
}

static bool expect_payload(char *why, const char *what, const Payload *p,
                           size_t want)
{
    size_t len = p ? p->body.len : 0;
    if (len != want)
        return failf(why, "%s: wanted a payload of %zu bytes, got %zu", what,
                     want, len);
    if (!interop_all_zero(p ? p->body.data : NULL, len))
        return failf(why, "%s: wanted %zu zero bytes, got non-zero bytes", what,
                     want);
    return true;
}

/* Ends a call that a check gave up on; returns false, the check's verdict. */
static bool abandon(cg_call *c)
{
    cg_call_cancel(c);
    cg_call_finish(c);
    return false;
}

static cg_call_opts call_opts(void)
{
    return (cg_call_opts){.timeout_ms = timeout_ms};
}

/* A payload of `size` zero bytes (no allocation: see interop_zeros). */
static Payload zeros(size_t size)
{
    Payload p = GRPC__TESTING__PAYLOAD__INIT;
    p.body.data = interop_zeros(size);
    p.body.len = size;
    return p;
}

/* ---- the cases ----------------------------------------------------------- */

static bool empty_unary(cg_channel *ch, char *why)
{
    Grpc__Testing__Empty req = GRPC__TESTING__EMPTY__INIT, *resp = NULL;
    cg_call_opts o = call_opts();
    cg_status st =
        grpc__testing__test_service_client__empty_call(ch, &req, &resp, &o);
    bool ok =
        expect_status(why, "EmptyCall", st, GRPC_STATUS_OK, NULL) &&
        (resp != NULL || failf(why, "EmptyCall: wanted a response, got none"));
    grpc__testing__empty__free_unpacked(resp, NULL);
    return ok;
}

static bool large_unary(cg_channel *ch, char *why)
{
    SimpleRequest req = GRPC__TESTING__SIMPLE_REQUEST__INIT;
    SimpleResponse *resp = NULL;
    Payload body = zeros(271828);
    req.response_size = 314159;
    req.payload = &body;
    cg_call_opts o = call_opts();
    cg_status st =
        grpc__testing__test_service_client__unary_call(ch, &req, &resp, &o);
    bool ok = expect_status(why, "UnaryCall", st, GRPC_STATUS_OK, NULL) &&
              (resp != NULL ||
               failf(why, "UnaryCall: wanted a response, got none")) &&
              expect_payload(why, "UnaryCall response", resp->payload, 314159);
    grpc__testing__simple_response__free_unpacked(resp, NULL);
    return ok;
}

static bool client_streaming(cg_channel *ch, char *why)
{
    static const size_t sizes[] = {27182, 8, 1828, 45904};
    cg_call_opts o = call_opts();
    cg_call *c =
        grpc__testing__test_service_client__streaming_input_call(ch, &o);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        StreamingInputCallRequest req =
            GRPC__TESTING__STREAMING_INPUT_CALL_REQUEST__INIT;
        Payload body = zeros(sizes[i]);
        req.payload = &body;
        if (!cg_call_send(c, &req))
            break; /* the status tells why */
    }
    cg_call_close_send(c);
    const Grpc__Testing__StreamingInputCallResponse *resp = cg_call_recv(c);
    int32_t total = resp ? resp->aggregated_payload_size : -1;
    if (!expect_status(why, "StreamingInputCall", cg_call_finish(c),
                       GRPC_STATUS_OK, NULL))
        return false;
    if (total != 74922)
        return failf(why, "aggregated_payload_size: wanted 74922, got %d",
                     (int)total);
    return true;
}

static bool server_streaming(cg_channel *ch, char *why)
{
    static const int32_t sizes[] = {31415, 9, 2653, 58979};
    enum { N = sizeof sizes / sizeof *sizes };
    ResponseParameters params[N], *pp[N];
    StreamingOutputCallRequest req =
        GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
    for (size_t i = 0; i < N; i++) {
        grpc__testing__response_parameters__init(&params[i]);
        params[i].size = sizes[i];
        pp[i] = &params[i];
    }
    req.n_response_parameters = N;
    req.response_parameters = pp;

    cg_call_opts o = call_opts();
    cg_call *c =
        grpc__testing__test_service_client__streaming_output_call(ch, &req, &o);
    const StreamingOutputCallResponse *resp;
    size_t n = 0;
    while ((resp = cg_call_recv(c)) != NULL) {
        char what[64];
        snprintf(what, sizeof what, "response %zu", n + 1);
        if (n >= N) {
            failf(why, "wanted %d responses, got more", N);
            return abandon(c);
        }
        if (!expect_payload(why, what, resp->payload, (size_t)sizes[n++]))
            return abandon(c);
    }
    if (!expect_status(why, "StreamingOutputCall", cg_call_finish(c),
                       GRPC_STATUS_OK, NULL))
        return false;
    return n == N || failf(why, "wanted %d responses, got %zu", N, n);
}

/* Sends one FullDuplexCall request asking for a response of resp_size bytes
 * (none when 0) with a request payload of req_size bytes. */
static bool send_duplex(cg_call *c, size_t req_size, int32_t resp_size)
{
    StreamingOutputCallRequest req =
        GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
    ResponseParameters param = GRPC__TESTING__RESPONSE_PARAMETERS__INIT,
                       *pp = &param;
    Payload body = zeros(req_size);
    param.size = resp_size;
    if (resp_size > 0) {
        req.n_response_parameters = 1;
        req.response_parameters = &pp;
    }
    req.payload = &body;
    return cg_call_send(c, &req);
}

static bool ping_pong(cg_channel *ch, char *why)
{
    static const size_t req_sizes[] = {27182, 8, 1828, 45904};
    static const int32_t resp_sizes[] = {31415, 9, 2653, 58979};
    cg_call_opts o = call_opts();
    cg_call *c = grpc__testing__test_service_client__full_duplex_call(ch, &o);
    for (size_t i = 0; i < 4; i++) {
        char what[64];
        snprintf(what, sizeof what, "response %zu", i + 1);
        send_duplex(c, req_sizes[i], resp_sizes[i]);
        const StreamingOutputCallResponse *resp = cg_call_recv(c);
        if (!resp) {
            cg_status st = cg_call_finish(c);
            return failf(
                why, "%s: wanted %d bytes, got the end of the stream (%s: %s)",
                what, (int)resp_sizes[i], cg_status_name(st.code), st.message);
        }
        if (!expect_payload(why, what, resp->payload, (size_t)resp_sizes[i]))
            return abandon(c);
    }
    cg_call_close_send(c);
    if (cg_call_recv(c) != NULL) {
        failf(why,
              "wanted the end of the stream after half-close, got a response");
        return abandon(c);
    }
    return expect_status(why, "FullDuplexCall", cg_call_finish(c),
                         GRPC_STATUS_OK, NULL);
}

static bool empty_stream(cg_channel *ch, char *why)
{
    cg_call_opts o = call_opts();
    cg_call *c = grpc__testing__test_service_client__full_duplex_call(ch, &o);
    cg_call_close_send(c);
    size_t n = 0;
    while (cg_call_recv(c) != NULL)
        n++;
    if (!expect_status(why, "FullDuplexCall", cg_call_finish(c), GRPC_STATUS_OK,
                       NULL))
        return false;
    return n == 0 || failf(why, "wanted 0 responses, got %zu", n);
}

static bool cancel_after_begin(cg_channel *ch, char *why)
{
    cg_call_opts o = call_opts();
    cg_call *c =
        grpc__testing__test_service_client__streaming_input_call(ch, &o);
    cg_call_cancel(c);
    return expect_status(why, "StreamingInputCall", cg_call_finish(c),
                         GRPC_STATUS_CANCELLED, NULL);
}

static bool cancel_after_first_response(cg_channel *ch, char *why)
{
    cg_call_opts o = call_opts();
    cg_call *c = grpc__testing__test_service_client__full_duplex_call(ch, &o);
    send_duplex(c, 27182, 31415);
    const StreamingOutputCallResponse *resp = cg_call_recv(c);
    if (!resp) {
        cg_status st = cg_call_finish(c);
        return failf(
            why, "wanted a first response, got the end of the stream (%s: %s)",
            cg_status_name(st.code), st.message);
    }
    if (!expect_payload(why, "first response", resp->payload, 31415))
        return abandon(c);
    cg_call_cancel(c);
    return expect_status(why, "FullDuplexCall", cg_call_finish(c),
                         GRPC_STATUS_CANCELLED, NULL);
}

static bool timeout_on_sleeping_server(cg_channel *ch, char *why)
{
    cg_call_opts o = {.timeout_ms = 1};
    cg_call *c = grpc__testing__test_service_client__full_duplex_call(ch, &o);
    send_duplex(c, 27182, 0); /* may fail: the deadline can pass first */
    /* No half-close: the server has every reason to wait; the deadline ends
     * the call. */
    const void *resp = cg_call_recv(c);
    cg_status st = cg_call_finish(c);
    if (resp)
        return failf(why, "wanted no response, got one");
    return expect_status(why, "FullDuplexCall", st,
                         GRPC_STATUS_DEADLINE_EXCEEDED, NULL);
}

/* The Echo Status request of the status cases: code 2 (UNKNOWN). */
static Grpc__Testing__EchoStatus unknown_status(const char *message)
{
    Grpc__Testing__EchoStatus st = GRPC__TESTING__ECHO_STATUS__INIT;
    st.code = GRPC_STATUS_UNKNOWN;
    st.message = (char *)message;
    return st;
}

/* Echo Status over UnaryCall. */
static bool unary_echo_status(cg_channel *ch, char *why, const char *message)
{
    SimpleRequest req = GRPC__TESTING__SIMPLE_REQUEST__INIT;
    Grpc__Testing__EchoStatus status = unknown_status(message);
    SimpleResponse *resp = NULL;
    req.response_status = &status;
    cg_call_opts o = call_opts();
    cg_status st =
        grpc__testing__test_service_client__unary_call(ch, &req, &resp, &o);
    grpc__testing__simple_response__free_unpacked(resp, NULL);
    return expect_status(why, "UnaryCall", st, GRPC_STATUS_UNKNOWN, message);
}

static bool status_code_and_message(cg_channel *ch, char *why)
{
    static const char message[] = "test status message";
    if (!unary_echo_status(ch, why, message))
        return false;

    StreamingOutputCallRequest req =
        GRPC__TESTING__STREAMING_OUTPUT_CALL_REQUEST__INIT;
    Grpc__Testing__EchoStatus status = unknown_status(message);
    req.response_status = &status;
    cg_call_opts o = call_opts();
    cg_call *c = grpc__testing__test_service_client__full_duplex_call(ch, &o);
    cg_call_send(c, &req);
    cg_call_close_send(c);
    while (cg_call_recv(c) != NULL)
        ;
    return expect_status(why, "FullDuplexCall", cg_call_finish(c),
                         GRPC_STATUS_UNKNOWN, message);
}

static bool special_status_message(cg_channel *ch, char *why)
{
    return unary_echo_status(ch, why, SPECIAL_MESSAGE);
}

static bool unimplemented_method(cg_channel *ch, char *why)
{
    Grpc__Testing__Empty req = GRPC__TESTING__EMPTY__INIT, *resp = NULL;
    cg_call_opts o = call_opts();
    cg_status st = grpc__testing__test_service_client__unimplemented_call(
        ch, &req, &resp, &o);
    grpc__testing__empty__free_unpacked(resp, NULL);
    return expect_status(why, "TestService/UnimplementedCall", st,
                         GRPC_STATUS_UNIMPLEMENTED, NULL);
}

static bool unimplemented_service(cg_channel *ch, char *why)
{
    Grpc__Testing__Empty req = GRPC__TESTING__EMPTY__INIT, *resp = NULL;
    cg_call_opts o = call_opts();
    cg_status st =
        grpc__testing__unimplemented_service_client__unimplemented_call(
            ch, &req, &resp, &o);
    grpc__testing__empty__free_unpacked(resp, NULL);
    return expect_status(why, "UnimplementedService/UnimplementedCall", st,
                         GRPC_STATUS_UNIMPLEMENTED, NULL);
}

/* Reads a call's one response, then its header and trailer: both must echo
 * the custom metadata. The typed unary stub hides headers and trailers, so
 * the unary call, too, is made by hand. */
static bool expect_echoed(char *why, const char *what, cg_call *c,
                          const Payload *(*payload_of)(const void *))
{
    const void *resp = cg_call_recv(c);
    if (!resp) {
        cg_status st = cg_call_finish(c);
        return failf(
            why, "%s: wanted a response, got the end of the stream (%s: %s)",
            what, cg_status_name(st.code), st.message);
    }
    if (!expect_payload(why, what, payload_of(resp), 314159))
        return abandon(c);
    size_t len = 0;
    const char *header = cg_call_header(c, ECHO_INITIAL, NULL);
    if (!header || strcmp(header, ECHO_INITIAL_VALUE) != 0) {
        failf(why, "%s: wanted header %s: %s, got %s", what, ECHO_INITIAL,
              ECHO_INITIAL_VALUE, header ? header : "none");
        return abandon(c);
    }
    if (cg_call_recv(c) != NULL) {
        failf(why, "%s: wanted one response, got more", what);
        return abandon(c);
    }
    const char *trailer = cg_call_trailer(c, ECHO_TRAILING, &len);
    if (!trailer || len != sizeof ECHO_TRAILING_VALUE ||
        memcmp(trailer, ECHO_TRAILING_VALUE, len) != 0) {
        failf(why, "%s: wanted trailer %s: 0xababab, got %s (%zu bytes)", what,
              ECHO_TRAILING, trailer ? "another value" : "none", len);
        return abandon(c);
    }
    return expect_status(why, what, cg_call_finish(c), GRPC_STATUS_OK, NULL);
}

static const Payload *simple_payload(const void *resp)
{
    return ((const SimpleResponse *)resp)->payload;
}

static const Payload *streaming_payload(const void *resp)
{
    return ((const StreamingOutputCallResponse *)resp)->payload;
}

static bool custom_metadata(cg_channel *ch, char *why)
{
    const cg_md md[] = {
        {ECHO_INITIAL, ECHO_INITIAL_VALUE, 0},
        {ECHO_TRAILING, ECHO_TRAILING_VALUE, sizeof ECHO_TRAILING_VALUE},
    };
    cg_call_opts o = call_opts();
    o.metadata = md;
    o.n_metadata = 2;
    Payload body = zeros(271828);

    SimpleRequest ureq = GRPC__TESTING__SIMPLE_REQUEST__INIT;
    ureq.response_size = 314159;
    ureq.payload = &body;
    cg_call *c =
        cg_call_start(ch, GRPC__TESTING__TEST_SERVICE__UNARY_CALL__METHOD, &o);
    cg_call_send(c, &ureq);
    cg_call_close_send(c);
    if (!expect_echoed(why, "UnaryCall", c, simple_payload))
        return false;

    c = grpc__testing__test_service_client__full_duplex_call(ch, &o);
    send_duplex(c, 271828, 314159);
    cg_call_close_send(c);
    return expect_echoed(why, "FullDuplexCall", c, streaming_payload);
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
    const char *name;
    bool (*run)(cg_channel *ch, char *why);
} cases[] = {
    {"empty_unary", empty_unary},
    {"large_unary", large_unary},
    {"client_streaming", client_streaming},
    {"server_streaming", server_streaming},
    {"ping_pong", ping_pong},
    {"empty_stream", empty_stream},
    {"cancel_after_begin", cancel_after_begin},
    {"cancel_after_first_response", cancel_after_first_response},
    {"timeout_on_sleeping_server", timeout_on_sleeping_server},
    {"status_code_and_message", status_code_and_message},
    {"special_status_message", special_status_message},
    {"unimplemented_method", unimplemented_method},
    {"unimplemented_service", unimplemented_service},
    {"custom_metadata", custom_metadata},
};
enum { N_CASES = sizeof cases / sizeof *cases };

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs the case called name[0..len); -1 when there is none. */
static int run_case(cg_channel *ch, const char *name, size_t len)
{
    for (size_t i = 0; i < N_CASES; i++) {
        if (strlen(cases[i].name) != len ||
            strncmp(cases[i].name, name, len) != 0)
            continue;
        char why[WHY_MAX] = "";
        double t0 = now_ms();
        if (cases[i].run(ch, why)) {
            printf("PASS %s (%.0f ms)\n", cases[i].name, now_ms() - t0);
            return 0;
        }
        fprintf(stderr, "FAIL %s: %s\n", cases[i].name, why);
        return 1;
    }
    fprintf(stderr, "interop_client: unknown test case %.*s; known:", (int)len,
            name);
    for (size_t i = 0; i < N_CASES; i++)
        fprintf(stderr, " %s", cases[i].name);
    fprintf(stderr, "\n");
    return -1;
}

int main(int argc, char **argv)
{
    static const char *const flags[] = {"server_host", "server_port",
                                        "test_case", "timeout_ms", NULL};
    const char *usage =
        "interop_client --server_port=PORT --test_case=CASE[,CASE...]|all "
        "[--server_host=HOST] [--timeout_ms=MS]";
    const char *host = interop_flag(argc, argv, flags, "server_host", usage);
    const char *port_arg =
        interop_flag(argc, argv, flags, "server_port", usage);
    const char *test_case = interop_flag(argc, argv, flags, "test_case", usage);
    const char *timeout_arg =
        interop_flag(argc, argv, flags, "timeout_ms", usage);
    long port, t;
    if (!port_arg || !interop_parse_int(port_arg, 1, 65535, &port) ||
        !test_case) {
        fprintf(stderr, "usage: %s\n", usage);
        return 2;
    }
    if (timeout_arg) {
        if (!interop_parse_int(timeout_arg, 1, 3600000, &t)) {
            fprintf(stderr, "interop_client: bad --timeout_ms %s\n",
                    timeout_arg);
            return 2;
        }
        timeout_ms = t;
    }

    char target[300];
    snprintf(target, sizeof target, "%s:%ld", host ? host : "127.0.0.1", port);
    cg_status err;
    cg_channel *ch = cg_channel_new(target, NULL, &err);
    if (!ch) {
        fprintf(stderr, "interop_client: cannot use %s: %s\n", target,
                err.message);
        return 1;
    }

    int failed = 0;
    if (strcmp(test_case, "all") == 0) {
        for (size_t i = 0; i < N_CASES; i++)
            failed += run_case(ch, cases[i].name, strlen(cases[i].name));
    } else {
        for (const char *p = test_case; *p;) {
            size_t len = strcspn(p, ",");
            int r = run_case(ch, p, len);
            if (r < 0) {
                failed = -1;
                break;
            }
            failed += r;
            p += len + (p[len] == ',');
        }
    }
    cg_channel_free(ch);
    return failed < 0 ? 2 : failed > 0;
}
