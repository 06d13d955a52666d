/*
 * notification_service.h: NotificationService.StreamNotifications, server
 * streaming (exercise 3, in notification_service.c).
 *
 * Registered with its settings as the user pointer:
 *
 *     notification_settings notes = {.interval_ms = NOTIFY_OUTLINE_INTERVAL_MS};
 *     tutorial__v1__notification_service__register_server(
 *         srv, &notification_service_server, &notes);
 *
 * What it does:
 *   empty user_id                  INVALID_ARGUMENT "user_id is required"
 *   max_count < 0 or > 1000        INVALID_ARGUMENT "max_count must be
 *                                  between 0 and 1000"
 *   max_count 0                    NOTIFY_DEFAULT_COUNT notifications
 *   notification i (1-based)       id "n-<i>", user_id as asked, message
 *                                  "Notification <i> for <user_id>",
 *                                  sequence i
 *   between two notifications      a pause of interval_ms (none before the
 *                                  first or after the last)
 *   the client goes away           stop at once and return an error status
 *                                  (a send fails, or the pause is cut short)
 */
#ifndef STEP04_NOTIFICATION_SERVICE_H
#define STEP04_NOTIFICATION_SERVICE_H

#include <stdint.h>

#include "tutorial/v1/notification_service.cgrpc.h"

#define NOTIFY_DEFAULT_COUNT 5
#define NOTIFY_MAX_COUNT 1000
/* The outline's time.Sleep(1 * time.Second) between two notifications. */
#define NOTIFY_OUTLINE_INTERVAL_MS 1000

typedef struct notification_settings {
    int64_t interval_ms; /* pause between two notifications; 0 = none */
} notification_settings;

extern const Tutorial__V1__NotificationService_Server
    notification_service_server;

#endif
