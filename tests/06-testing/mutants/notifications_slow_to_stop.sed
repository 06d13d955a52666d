# notification_service.c: NOT a bug. A correct handler that takes 150 ms to
# return once its client has gone (say, it writes down where the client
# got to): well within the half second the lesson's deadline test allows.
# Tests must PASS here: one that gives the handler only a few milliseconds
# is flaky on any busy machine (test_variant_notifications_slow_to_stop).
/#include <string.h>/a #include <time.h>
s/return cg_error(ctx, GRPC_STATUS_CANCELLED, "client went away");/return nanosleep(\&(struct timespec){0, 150 * 1000000L}, NULL), cg_error(ctx, GRPC_STATUS_CANCELLED, "client went away");/
