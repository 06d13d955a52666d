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
 * The options of a call that rides out a server restart: wait-for-ready
 * (while the channel has no connection the call waits for one instead of
 * failing at once with UNAVAILABLE) and a deadline timeout_ms from the
 * call's start (0: CLIENT_TIMEOUT_MS of unary.h), because the deadline is
 * all that ends the wait: against a server that never comes back the call
 * ends with DEADLINE_EXCEEDED. Pass them to any generated stub.
 */
cg_call_opts wait_ready_opts(int64_t timeout_ms);

#endif
