/*
 * bidi.c: exercise 4, bidirectional streams: in lock step, and a chat that
 * sends and receives at once (contracts in bidi.h). Test: `make test`
 * here; suite bidi.
 * Lesson:
 * docs/en/steps/05-client.md#exercise-4-chat-sending-and-receiving-at-once
 */
#include "bidi.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h>

#include "unary.h"

cg_status bidi_echo(cg_channel *ch, const char *const *ids, size_t n,
                    int64_t timeout_ms, response_fn on_response, void *user,
                    size_t *received)
{
    size_t got = 0;
    bool stopped = false;
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
    cg_call *call =
        tutorial__v1__my_service_client__bidirectional_stream(ch, &opts);
    for (size_t i = 0; i < n; i++) {
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = (char *)ids[i];
        req.value = (int32_t)i;
        if (!cg_call_send(call, &req))
            break;
        const Tutorial__V1__Response *resp = cg_call_recv(call);
        if (resp == NULL)
            break; /* the server ended the call early: finish says why */
        got++;
        if (!on_response(resp, user)) {
            stopped = true;
            cg_call_cancel(call);
            break;
        }
    }
    cg_call_close_send(call);
    cg_status st = cg_call_finish(call);
    if (received != NULL)
        *received = got;
    return stopped ? cg_ok() : st;
}

/* What the receiving thread needs: the call, and where to print. */
struct receiver {
    cg_call *call;
    FILE *out;
};

/* The second thread: prints the room's messages until the server ends the
 * call (cg_call_recv returns NULL). */
static void *receive_all(void *arg)
{
    struct receiver *r = arg;
    const Tutorial__V1__ChatMessage *m;
    while ((m = cg_call_recv(r->call)) != NULL) {
        fprintf(r->out, "[%s]: %s\n", m->user, m->content);
        fflush(r->out); /* someone may be reading the other end of a pipe */
    }
    return NULL;
}

cg_status chat_run(cg_channel *ch, const char *user, FILE *in, FILE *out)
{
    cg_call *call = tutorial__v1__chat_service_client__chat(ch, NULL);
    struct receiver r = {call, out};
    pthread_t thread;
    if (pthread_create(&thread, NULL, receive_all, &r) != 0) {
        cg_call_cancel(call);
        cg_call_finish(call);
        return cg_error(NULL, GRPC_STATUS_RESOURCE_EXHAUSTED,
                        "cannot start the receiving thread");
    }

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) != -1) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0)
            continue;
        Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
        m.user = (char *)user;
        m.content = line;
        if (!cg_call_send(call, &m))
            break; /* the server ended the call */
    }
    free(line);
    cg_call_close_send(call); /* "no more from me": the server ends the call */

    /* The receiver uses the call until it sees the end: only then may
     * cg_call_finish free it. */
    pthread_join(thread, NULL);
    return cg_call_finish(call);
}
