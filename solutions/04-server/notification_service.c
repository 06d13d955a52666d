/*
 * notification_service.c: exercise 3, StreamNotifications, a server stream
 * that stops when its client goes away (contracts in notification_service.h).
 * Test: `make test` here; suite notifications.
 * Lesson: docs/en/steps/04-server.md#exercise-3-streamnotifications
 */
#include "notification_service.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

static cg_status stream_notifications(cg_ctx *ctx,
                                      const Tutorial__V1__StreamRequest *req,
                                      cg_stream *out)
{
    const notification_settings *cfg = cg_ctx_user(ctx);
    if (req->user_id[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                        "user_id is required");
    if (req->max_count < 0 || req->max_count > NOTIFY_MAX_COUNT)
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                        "max_count must be between 0 and %d", NOTIFY_MAX_COUNT);
    int count = req->max_count == 0 ? NOTIFY_DEFAULT_COUNT : req->max_count;
    int64_t interval = cfg != NULL ? cfg->interval_ms : 0;

    /* Buffers reused for every notification (cg_send copies). */
    char id[32];
    size_t cap = strlen(req->user_id) + 48;
    char *text = cg_alloc(ctx, cap);
    for (int i = 1; i <= count; i++) {
        if (i > 1 && !sleep_or_cancel(ctx, interval))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client went away");
        snprintf(id, sizeof id, "n-%d", i);
        snprintf(text, cap, "Notification %d for %s", i, req->user_id);
        Tutorial__V1__Notification n = TUTORIAL__V1__NOTIFICATION__INIT;
        n.id = id;
        n.user_id = req->user_id;
        n.message = text;
        n.sequence = i;
        if (!cg_send(out, &n))
            return cg_error(ctx, GRPC_STATUS_CANCELLED, "client went away");
    }
    return cg_ok();
}

const Tutorial__V1__NotificationService_Server notification_service_server = {
    .stream_notifications = stream_notifications,
};
