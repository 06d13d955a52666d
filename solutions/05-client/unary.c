/*
 * unary.c: exercise 1, unary calls with a deadline (contracts in unary.h).
 * Test: `make test` here; suite unary.
 * Lesson: docs/en/steps/05-client.md#exercise-1-a-unary-call-with-a-deadline
 */
#include "unary.h"

#include <stdio.h>

int outline_main(const char *target, FILE *out)
{
    cg_status st;
    cg_channel *ch = cg_channel_new(target, NULL, &st);
    if (ch == NULL) {
        fprintf(out, "error: %s: %s\n", cg_status_name(st.code), st.message);
        return 1;
    }
    char msg[256];
    st = unary_call(ch, "test-123", 42, CLIENT_TIMEOUT_MS, msg, sizeof msg);
    cg_channel_free(ch);
    if (st.code != GRPC_STATUS_OK) {
        fprintf(out, "error: %s: %s\n", cg_status_name(st.code), st.message);
        return 1;
    }
    fprintf(out, "Response: %s\n", msg);
    return 0;
}

cg_status unary_call(cg_channel *ch, const char *id, int32_t value,
                     int64_t timeout_ms, char *msg, size_t cap)
{
    if (cap > 0)
        msg[0] = '\0';
    Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
    req.id = (char *)id;
    req.value = value;
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;

    Tutorial__V1__Response *resp = NULL;
    cg_status st =
        tutorial__v1__my_service_client__unary_call(ch, &req, &resp, &opts);
    if (st.code != GRPC_STATUS_OK)
        return st; /* resp is NULL: there is nothing to read or free */
    if (cap > 0)
        snprintf(msg, cap, "%s", resp->message);
    tutorial__v1__response__free_unpacked(resp, NULL);
    return st;
}

cg_status get_user(cg_channel *ch, const char *user_id, int64_t timeout_ms,
                   Tutorial__V1__User **user)
{
    Tutorial__V1__GetUserRequest req = TUTORIAL__V1__GET_USER_REQUEST__INIT;
    req.user_id = (char *)user_id;
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
    return tutorial__v1__user_service_client__get_user(ch, &req, user, &opts);
}
