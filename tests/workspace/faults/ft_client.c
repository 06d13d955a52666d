/*
 * ft_client.c: a client that vanishes. test_vanish starts it, waits for its
 * "ready" line, then kills it with SIGKILL: the process disappears mid-call
 * without cancelling anything, the way a crashed or OOM-killed client does,
 * and the server has to notice on its own.
 *
 *   ft_client TARGET MODE
 *
 * MODE puts one call of a course service in flight and then stops still:
 *   server-stream  MyService.ServerStream, 10,000 responses of 4 KiB; reads one
 *   client-stream  MyService.ClientStream, sends 3 requests, never half-closes
 *   bidi           MyService.BidirectionalStream, one request, one answer
 *   chat           ChatService.Chat, says hello, hears its own broadcast
 *   upload         FileService.UploadFile, sends the first chunk only
 *   notify         NotificationService.StreamNotifications(1000); reads one
 *
 * It prints "ready" once the server has certainly seen the call (an answer
 * came, or for client-stream and upload, after the sends were taken by the
 * transport: the test then also waits for the handler to start), and then
 * waits for its end. Exit status 2 for a bad command line, 1 when the call
 * could not be set up.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cgrpc.h>

#include "tutorial/v1/chat_service.cgrpc.h"
#include "tutorial/v1/file_service.cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"
#include "tutorial/v1/notification_service.cgrpc.h"

static int fail(const char *mode, cg_call *c)
{
    cg_status st = cg_call_finish(c);
    fprintf(stderr, "ft_client %s: the call ended early: %s (%s)\n", mode,
            cg_status_name(st.code), st.message);
    return 1;
}

static cg_call *start(cg_channel *ch, const char *mode)
{
    cg_call_opts o = {0};
    o.timeout_ms = 60000; /* the test kills us long before */
    if (strcmp(mode, "server-stream") == 0) {
        static char id[4096];
        memset(id, 'v', sizeof id - 1);
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = id;
        req.value = 10000;
        cg_call *c =
            tutorial__v1__my_service_client__server_stream(ch, &req, &o);
        return cg_call_recv(c) != NULL ? c : (fail(mode, c), NULL);
    }
    if (strcmp(mode, "client-stream") == 0) {
        cg_call *c = tutorial__v1__my_service_client__client_stream(ch, &o);
        for (int i = 1; i <= 3; i++) {
            Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
            req.id = "ghost";
            req.value = i;
            if (!cg_call_send(c, &req))
                return fail(mode, c), NULL;
        }
        return c;
    }
    if (strcmp(mode, "bidi") == 0) {
        cg_call *c =
            tutorial__v1__my_service_client__bidirectional_stream(ch, &o);
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = "ghost";
        if (!cg_call_send(c, &req) || cg_call_recv(c) == NULL)
            return fail(mode, c), NULL;
        return c;
    }
    if (strcmp(mode, "chat") == 0) {
        cg_call *c = tutorial__v1__chat_service_client__chat(ch, &o);
        Tutorial__V1__ChatMessage m = TUTORIAL__V1__CHAT_MESSAGE__INIT;
        m.user = "ghost";
        m.content = "hello";
        if (!cg_call_send(c, &m) || cg_call_recv(c) == NULL)
            return fail(mode, c), NULL;
        return c;
    }
    if (strcmp(mode, "upload") == 0) {
        cg_call *c = tutorial__v1__file_service_client__upload_file(ch, &o);
        static uint8_t data[1024];
        Tutorial__V1__FileChunk chunk = TUTORIAL__V1__FILE_CHUNK__INIT;
        chunk.filename = "half.bin";
        chunk.data.data = data;
        chunk.data.len = sizeof data;
        if (!cg_call_send(c, &chunk))
            return fail(mode, c), NULL;
        return c;
    }
    if (strcmp(mode, "notify") == 0) {
        Tutorial__V1__StreamRequest req = TUTORIAL__V1__STREAM_REQUEST__INIT;
        req.user_id = "ghost";
        req.max_count = 1000;
        cg_call *c =
            tutorial__v1__notification_service_client__stream_notifications(
                ch, &req, &o);
        return cg_call_recv(c) != NULL ? c : (fail(mode, c), NULL);
    }
    fprintf(stderr, "ft_client: unknown mode \"%s\"\n", mode);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ft_client TARGET MODE (see ft_client.c)\n");
        return 2;
    }
    cg_status err;
    cg_channel *ch = cg_channel_new(argv[1], NULL, &err);
    if (ch == NULL) {
        fprintf(stderr, "ft_client: %s\n", err.message);
        return 1;
    }
    cg_call *c = start(ch, argv[2]);
    if (c == NULL)
        return 1;
    printf("ready\n");
    fflush(stdout);
    /* Stand still until killed. (pause() returns only for a caught signal;
     * SIGKILL ends the process inside it.) */
    for (;;)
        pause();
}
