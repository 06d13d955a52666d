/*
 * connection.h: making sure of the connection (given, and so is
 * connection.c: read them before exercise 7, retries).
 *
 * A channel connects lazily and reconnects by itself, moving between the
 * connectivity states IDLE, CONNECTING, READY and TRANSIENT_FAILURE. The
 * outline's ensureConnection checks for READY and otherwise waits for it
 * with a 5 s timeout. The other tool is a call option: a call marked
 * wait-for-ready waits for a connection (up to its deadline) instead of
 * failing at once while the server is away.
 * The lesson: docs/en/steps/05-client.md#connectivity-states
 */
#ifndef STEP05_CONNECTION_H
#define STEP05_CONNECTION_H

#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

/* The outline's 5 s: what ensure_connection waits when given 0. */
#define CONNECT_TIMEOUT_MS 5000

/*
 * The outline's ensureConnection. Returns cg_ok() at once when `ch` is
 * READY. Otherwise asks it to connect and waits until it is READY, at most
 * timeout_ms (0: CONNECT_TIMEOUT_MS): cg_ok() as soon as it is, or
 * UNAVAILABLE "not connected after <timeout_ms> ms (state <STATE>)" when
 * the time is up (<STATE> as cg_conn_state_name gives it, e.g.
 * TRANSIENT_FAILURE). INVALID_ARGUMENT when ch is NULL.
 */
cg_status ensure_connection(cg_channel *ch, int64_t timeout_ms);

/*
 * MyService.UnaryCall that rides out a server restart: the call is made
 * wait-for-ready, so while the channel has no connection it waits for one
 * (until its deadline, timeout_ms from now; 0: CLIENT_TIMEOUT_MS of
 * unary.h) instead of failing at once with UNAVAILABLE. Request, msg and
 * the results are as for unary_call, except that a server that never comes
 * back gives DEADLINE_EXCEEDED.
 */
cg_status unary_call_wait_ready(cg_channel *ch, const char *id, int32_t value,
                                int64_t timeout_ms, char *msg, size_t cap);

#endif
