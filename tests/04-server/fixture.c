/*
 * fixture.c: the in-process server of step 04's suites (see fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static void setup(cg_server *srv, void *user)
{
    fixture *f = user;
    cg_server_add_interceptor(srv, tu_record_calls, &f->calls);
    tutorial__v1__my_service__register_server(srv, &my_service_server, NULL);
    tutorial__v1__user_service__register_server(srv, &user_service_server,
                                                user_repo_sample());
    tutorial__v1__notification_service__register_server(
        srv, &notification_service_server, &f->notes);
    tutorial__v1__file_service__register_server(srv, &file_service_server,
                                                &f->uploads);
    tutorial__v1__chat_service__register_server(srv, &chat_service_server,
                                                &f->room);
}

void fixture_start(fixture *f)
{
    memset(f, 0, sizeof *f);
    tu_recorder_init(&f->calls);
    chat_room_init(&f->room);
    f->srv = cg_test_server_start(setup, f, &f->port);
    if (f->srv == NULL)
        fail_msg("could not start a server on 127.0.0.1:0");
    snprintf(f->target, sizeof f->target, "127.0.0.1:%d", f->port);
    cg_status err;
    f->ch = cg_channel_new(f->target, NULL, &err);
    if (f->ch == NULL)
        fail_msg("no channel to %s: %s", f->target, err.message);
}

void fixture_stop(fixture *f)
{
    cg_channel_free(f->ch);
    cg_server_free(f->srv); /* every handler has returned after this */
    chat_room_destroy(&f->room);
    tu_recorder_destroy(&f->calls);
}

int fixture_started(fixture *f, const cg_method *m)
{
    return tu_recorder_get(&f->calls, m).started;
}

int fixture_returned(fixture *f, const cg_method *m)
{
    return tu_recorder_get(&f->calls, m).returned;
}

bool fixture_wait_returned(fixture *f, const cg_method *m, int n,
                           int timeout_ms, cg_status *last)
{
    return tu_recorder_wait(&f->calls, m, TU_RETURNED, n, timeout_ms, last);
}
