# notification_service.c: the handler pauses with a plain nanosleep (the
# outline's time.Sleep) instead of sleep_or_cancel, and ignores a failed
# cg_send: after the client has gone (cancelled, past its deadline) it
# goes on "sending" until it has done all max_count.
/#include <string.h>/a #include <time.h>
s/if (i > 1 \&\& !sleep_or_cancel(ctx, interval))/if (i > 1 \&\& nanosleep(\&(struct timespec){(time_t)(interval \/ 1000), (long)(interval % 1000) * 1000000L}, NULL) != 0)/
/if (!cg_send(out, &n))/{
N
s/.*\n.*/        cg_send(out, \&n); \/* whether it worked or not *\//
}
