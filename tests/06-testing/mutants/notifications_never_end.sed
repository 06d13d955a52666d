# notification_service.c: after the last notification the handler keeps the
# stream open "for more", until the client goes away: the stream never
# ends by itself, and a client with a deadline sees DEADLINE_EXCEEDED.
s/^    return cg_ok();/    while (sleep_or_cancel(ctx, 10)) {\n    }\n    return cg_ok();/
