/*
 * unary.c: exercise 1, unary calls with a deadline (contracts in unary.h).
 * Write the three functions; `make test` here runs suite unary.
 * Lesson: docs/en/steps/05-client.md#exercise-1-a-unary-call-with-a-deadline
 */
#include "unary.h"

#include <stdio.h>

int outline_main(const char *target, FILE *out)
{
    (void)target;
    /* TODO: dial with cg_channel_new, call unary_call, free the channel */
    fprintf(out,
            "error: UNIMPLEMENTED: step 5: write outline_main() in unary.c "
            "(lesson: docs/en/steps/05-client.md#the-outlines-main-in-c)\n");
    return 1;
}

cg_status unary_call(cg_channel *ch, const char *id, int32_t value,
                     int64_t timeout_ms, char *msg, size_t cap)
{
    (void)ch;
    (void)id;
    (void)value;
    (void)timeout_ms;
    if (cap > 0)
        msg[0] = '\0';
    /* TODO: a Request, call options with a deadline, the generated stub;
     * on OK copy the message and free the response */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write unary_call() in unary.c "
                    "(lesson: docs/en/steps/05-client.md#deadlines)");
}

cg_status get_user(cg_channel *ch, const char *user_id, int64_t timeout_ms,
                   Tutorial__V1__User **user)
{
    (void)ch;
    (void)user_id;
    (void)timeout_ms;
    *user = NULL; /* TODO: the same pattern with UserService's stub */
    return cg_error(
        NULL, GRPC_STATUS_UNIMPLEMENTED,
        "step 5: write get_user() in unary.c "
        "(lesson: docs/en/steps/05-client.md#getuser-and-its-errors)");
}
