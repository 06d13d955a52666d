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
    (void)cfg;
    (void)req;
    (void)out;
    /* TODO: check the request, then send the notifications with a pause
     * (sleep_or_cancel) between them; stop when the client is gone */
    return cg_error(
        ctx, GRPC_STATUS_UNIMPLEMENTED,
        "step 4: implement "
        "StreamNotifications — see "
        "docs/en/steps/04-server.md#exercise-3-streamnotifications");
}

const Tutorial__V1__NotificationService_Server notification_service_server = {
    .stream_notifications = stream_notifications,
};
