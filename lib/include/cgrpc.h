/*
 * cgrpc.h: a small C API over gRPC core, the one header of the runtime.
 *
 * gRPC core (grpc/grpc.h) speaks in completion queues, batches of ops and
 * tags. This runtime turns that into what a service author expects: plain
 * handler functions that may block, a server you start and stop, channels and
 * typed blocking calls on the client, status values, and memory that is freed
 * for you when a call ends. Generated code (protoc-gen-cgrpc) gives every
 * method a typed stub on top of the functions declared here.
 *
 * Conventions used by every declaration below:
 *  - Everything exported starts with cg_ / CG_; the core's own grpc_ names are
 *    never redefined. Status codes are the core's GRPC_STATUS_* values.
 *  - Long-lived objects come in new/free pairs (cg_server, cg_channel);
 *    per-call objects are ended distinctly (a client cg_call by
 *    cg_call_finish; a server cg_stream by the handler returning).
 *  - NULL. No function dereferences a NULL argument. Where NULL means
 *    something, the function's comment says what ("opts may be NULL for
 *    defaults", "len may be NULL", a *_free function does nothing with
 *    NULL). Anywhere else a NULL pointer is a mistake, and the function
 *    refuses it: it does nothing and returns its failure value, which its
 *    comment names: false, NULL, -1, 0, or a cg_status with
 *    GRPC_STATUS_INVALID_ARGUMENT and a message naming the function and
 *    the argument ("cg_call_finish: c is NULL"). A function that returns
 *    nothing then simply does nothing. A NULL message is a message of the
 *    wrong type (see below). The `user` pointers are the application's and
 *    passed on as they are, NULL included.
 *  - "ctx-owned" memory belongs to the call and is released when the call
 *    ends: never free it, never keep it past the handler's return.
 *  - Messages cross this API as `const void *` pointing at a protobuf-c
 *    message struct (anything whose first member is a ProtobufCMessage).
 *    The runtime checks the descriptor against the method and reports a
 *    mismatch as an error, never as a crash.
 *  - The gRPC library. Every server and channel holds a reference to it
 *    (grpc_init) and gives it back when freed: a program need not call
 *    grpc_init itself. The first server or channel of the process also
 *    switches off abseil's mutex deadlock detection, for the whole process
 *    and for good (Debian builds abseil with it on, as for debugging; it
 *    costs a few percent of a busy server's CPU). CGRPC_ABSL_DEADLOCK_CHECK=1
 *    in the environment keeps it on.
 *
 * Thread-safety is stated per function. Unless a comment says otherwise a
 * function may be called from any thread.
 */
#ifndef CGRPC_H
#define CGRPC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/status.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Status values                                                          */
/* ===================================================================== */

/* Longest status message kept, including the terminating NUL. Longer
 * messages are cut on a UTF-8 character boundary. */
#define CG_STATUS_MESSAGE_MAX 256

/* The outcome of a call: a gRPC status code and a human-readable message.
 * A plain value: copy it, return it, print it; nothing to free. */
typedef struct cg_status {
    grpc_status_code code;
    char message[CG_STATUS_MESSAGE_MAX];
} cg_status;

/* GRPC_STATUS_OK with an empty message. */
cg_status cg_ok(void);

/* The server-side context of one call (see below). */
typedef struct cg_ctx cg_ctx;

/* A status with `code` and a printf-formatted message (cut to fit, on a
 * UTF-8 character boundary; a NULL fmt gives an empty message). `ctx` may
 * be NULL; when given, the status is also recorded on the call, where
 * cg_ctx_status finds it until the handler has returned. */
cg_status cg_error(cg_ctx *ctx, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The canonical upper-case name of a code ("NOT_FOUND"), or "UNKNOWN_CODE". */
const char *cg_status_name(grpc_status_code code);

/* ===================================================================== */
/* Metadata                                                               */
/* ===================================================================== */

/* One metadata entry. Keys are lower-case ASCII. Keys ending in "-bin" carry
 * binary values: use value_len; for other keys value is NUL-terminated and
 * value_len may be 0 (meaning strlen(value)). */
typedef struct cg_md {
    const char *key;
    const char *value;
    size_t value_len;
} cg_md;

/* ===================================================================== */
/* Methods and services (filled in by generated code)                     */
/* ===================================================================== */

typedef enum cg_kind {
    CG_UNARY = 0,
    CG_SERVER_STREAMING = 1,
    CG_CLIENT_STREAMING = 2,
    CG_BIDI_STREAMING = 3,
} cg_kind;

typedef struct cg_stream cg_stream;

/* Calls the handler for one method out of a service's handler table `impl`
 * (the generated Pkg__Svc_Server struct). Generated code writes one per
 * method, so the runtime never casts between function pointer types. The
 * arguments not used by the method's kind are NULL. A NULL handler in the
 * table answers UNIMPLEMENTED. */
typedef struct cg_status (*cg_invoke_fn)(const void *impl, cg_ctx *ctx,
                                         const void *req, void *resp,
                                         cg_stream *stream);

/* One RPC method. Generated code defines these as constants. */
typedef struct cg_method {
    const char *path; /* "/tutorial.v1.MyService/UnaryCall" */
    const char *name; /* "UnaryCall" */
    cg_kind kind;
    const ProtobufCMessageDescriptor *input;
    const ProtobufCMessageDescriptor *output;
    cg_invoke_fn invoke; /* server side; NULL in client-only tables */
} cg_method;

/* One .proto file as protoc compiled it: its name and its descriptor, a
 * serialized google.protobuf.FileDescriptorProto. Generated code embeds
 * them for server reflection (cg_server_enable_reflection). */
typedef struct cg_file_descriptor {
    const char *name; /* "tutorial/v1/my_service.proto" */
    const unsigned char *data;
    size_t len;
} cg_file_descriptor;

/* A service: its full name and its methods, in .proto order, and the
 * descriptors of the .proto file that declares it (first) and of every
 * file that one imports, directly or not. A table without them (n_files
 * 0) is served as usual; reflection lists it but cannot describe it. */
typedef struct cg_service {
    const char *name; /* "tutorial.v1.MyService" */
    size_t n_methods;
    const cg_method *methods;
    size_t n_files;
    const cg_file_descriptor *files;
} cg_service;

/* ===================================================================== */
/* The server-side call context                                           */
/* ===================================================================== */

/* Every handler receives the context of its call. It is valid until the
 * handler returns; it may be passed to other threads for that long. Each
 * function below says what it returns for a NULL ctx. */

/* The user pointer given when the service was registered (Go's receiver);
 * NULL for a NULL ctx. */
void *cg_ctx_user(const cg_ctx *ctx);

/* The method being called: never NULL for a context the runtime (or
 * cg_test_ctx_new) made; NULL for a NULL ctx. */
const cg_method *cg_ctx_method(const cg_ctx *ctx);

/* The peer's address, e.g. "ipv4:127.0.0.1:53422" ("test" for a test
 * context); ctx-owned. NULL for a NULL ctx. */
const char *cg_ctx_peer(const cg_ctx *ctx);

/* Milliseconds until the client's deadline (0 when passed), or INT64_MAX when
 * the client set none. The deadline travels as a timeout, so the server's
 * clock starts when the call arrives: expect a little more than the client
 * asked for. 0 for a NULL ctx. */
int64_t cg_ctx_time_left_ms(const cg_ctx *ctx);

/* True once the call is cancelled: client cancelled or vanished, deadline
 * passed, or the server is shutting down past its grace period. A handler
 * that loops or blocks should check it and return. True for a NULL ctx, so
 * such a loop ends. */
bool cg_ctx_cancelled(const cg_ctx *ctx);

/* Request metadata: the first value of `key` (NUL-terminated; for -bin keys
 * also see len), or NULL when absent, and for a NULL ctx or key. ctx-owned.
 * `len` may be NULL; otherwise *len gets the length (0 without a value). */
const char *cg_ctx_metadata(const cg_ctx *ctx, const char *key, size_t *len);

/* All request metadata; *n receives the count. ctx-owned. NULL (with *n 0)
 * for a NULL ctx; NULL for a NULL n. */
const cg_md *cg_ctx_metadata_all(const cg_ctx *ctx, size_t *n);

/* Adds a response header (initial metadata). Headers go out with the first
 * message or the status, so add them before the first send. Returns false if
 * headers were already sent, for a NULL ctx or key, or when the key or value
 * is invalid (see cg_md). A NULL value with value_len 0 is an empty value.
 * Key and value are copied. */
bool cg_ctx_add_header(cg_ctx *ctx, const char *key, const char *value,
                       size_t value_len);

/* Adds a response trailer, sent with the status. Copies key and value.
 * Returns false for a NULL ctx or key, an invalid key or value, or once the
 * status has gone. A NULL value with value_len 0 is an empty value. */
bool cg_ctx_add_trailer(cg_ctx *ctx, const char *key, const char *value,
                        size_t value_len);

/* The unary or server-streaming request (as received), or NULL for
 * client-streaming and bidi calls (and for a NULL ctx). For interceptors. */
const void *cg_ctx_request(const cg_ctx *ctx);

/* The status the handler returned, once it has returned (for interceptors
 * that run code after cg_proceed); before that, the last status made with
 * cg_error(ctx, ...), or NULL. NULL for a NULL ctx. */
const cg_status *cg_ctx_status(const cg_ctx *ctx);

/* Arena memory, freed when the call ends. Never NULL for a context the
 * runtime made: on exhaustion of memory the process aborts with a message,
 * as with any C allocator wrapper that cannot report failure to the
 * client. NULL for a NULL ctx, the one mistake they can report. */
void *cg_alloc(cg_ctx *ctx, size_t size);          /* zeroed */
char *cg_strdup(cg_ctx *ctx, const char *s);       /* s NULL -> "" */
char *cg_printf(cg_ctx *ctx, const char *fmt, ...) /* fmt NULL -> NULL */
    __attribute__((format(printf, 2, 3)));
/* A new message of type `desc`, initialised with its defaults, ctx-owned
 * (for submessages and repeated fields of a response). NULL for a NULL ctx
 * or desc. */
void *cg_message_new(cg_ctx *ctx, const ProtobufCMessageDescriptor *desc);

/* ===================================================================== */
/* Server-side streams                                                    */
/* ===================================================================== */

/* A handler's view of a streaming call (cg_stream, declared above). Owned by
 * the runtime; ends when the handler returns. */

/* Receives the next request message. Returns it (ctx-owned, valid until the
 * next cg_recv on this stream or the handler's return), or NULL at the end of
 * the client's stream, on cancellation, or on a malformed message (then
 * cg_stream_error tells which). One thread at a time may receive. On a
 * server-streaming call the one request is the handler's req argument, and
 * cg_recv just returns NULL (OK) once the client has half-closed. NULL for
 * a NULL s. */
const void *cg_recv(cg_stream *s);

/* Sends one response message (server-streaming and bidi calls). Returns
 * false for a NULL s, when the client is gone or the call was cancelled
 * (stop sending then), or when the message is NULL or of the wrong type,
 * larger than max_send_bytes, or sent on a client-streaming call, whose
 * one response is the handler's resp (the call then ends with INTERNAL or
 * RESOURCE_EXHAUSTED whatever the handler returns).
 * Thread-safe: several threads may send on one stream (e.g. a chat room
 * broadcasting); sends are serialised. The message is serialised before
 * return: the caller keeps ownership. cg_send queues the message and
 * returns without waiting for the network (it waits only while 64 KiB of
 * messages are queued), so messages sent in a burst share writes; a
 * failure may therefore show on a later cg_send. */
bool cg_send(cg_stream *s, const void *msg);

/* After cg_recv returned NULL: OK for a clean end of stream, CANCELLED,
 * DEADLINE_EXCEEDED, or INTERNAL for a malformed message (the call then
 * ends with INTERNAL whatever the handler returns). When the deadline
 * passes, the client cancels at its own deadline, which comes a little
 * before the server's (the request took time to arrive): if that cancel
 * arrives first, the stream says CANCELLED, not DEADLINE_EXCEEDED. For a
 * NULL s, INVALID_ARGUMENT ("cg_stream_error: s is NULL"). */
cg_status cg_stream_error(const cg_stream *s);

/* The context of the stream's call; NULL for a NULL s. */
cg_ctx *cg_stream_ctx(cg_stream *s);

/* ===================================================================== */
/* Handlers                                                               */
/* ===================================================================== */

/* Handler shapes (generated code declares them with the message types):
 *  - unary:            cg_status fn(cg_ctx *, const Req *, Resp *)
 *  - server streaming: cg_status fn(cg_ctx *, const Req *, cg_stream *)
 *  - client streaming: cg_status fn(cg_ctx *, cg_stream *, Resp *)
 *  - bidi:             cg_status fn(cg_ctx *, cg_stream *)
 * Resp is ctx-owned and already initialised. Return cg_ok() or an error
 * status; with a non-OK status the response is not sent. Two cases override
 * the returned status: a call past its deadline ends DEADLINE_EXCEEDED, and
 * a message the runtime refused (see cg_send, cg_stream_error) ends it with
 * that error. A handler runs on a runtime thread and may block (sleep, call
 * other services); the server starts more threads when all of its threads
 * are blocked in handlers (up to max_threads: see "Threads" at
 * cg_server_new). Malformed requests never reach a unary or
 * server-streaming handler: the client gets INTERNAL. */

/* ===================================================================== */
/* Server interceptors                                                    */
/* ===================================================================== */

/* The rest of the chain around a handler. */
typedef struct cg_next cg_next;

/* An interceptor runs around every handler of the server, outermost first.
 * It may inspect the context, return early with an error (auth), or call
 * cg_proceed and look at the outcome afterwards (logging, metrics). */
typedef cg_status (*cg_server_interceptor_fn)(cg_ctx *ctx, cg_next *next,
                                              void *user);

/* Runs the rest of the chain (and finally the handler); returns its status.
 * For a NULL ctx or next, INVALID_ARGUMENT, and nothing runs. */
cg_status cg_proceed(cg_ctx *ctx, cg_next *next);

/* ===================================================================== */
/* The server                                                             */
/* ===================================================================== */

typedef struct cg_server cg_server;

/* TLS for a server: PEM file paths. */
typedef struct cg_tls_server {
    const char *cert_file;      /* PEM: the server's certificate chain */
    const char *key_file;       /* PEM: its private key */
    const char *client_ca_file; /* PEM; non-NULL asks clients for a
                                   certificate signed by it */
    bool require_client_cert;   /* refuse clients without one */
} cg_tls_server;

typedef struct cg_server_opts {
    size_t max_recv_bytes; /* 0 = 4 MiB; larger requests: RESOURCE_EXHAUSTED */
    size_t max_send_bytes; /* 0 = 4 MiB; larger responses: RESOURCE_EXHAUSTED */
    int min_threads;       /* polling threads kept, 0 = number of CPUs */
    int max_threads;       /* threads at most, 0 = 64; at least 2 (see
                              "Threads" below); threads above min_threads
                              retire when idle */
    bool allow_reuseport;  /* false: a second server on a port fails to bind */

    /* Keepalive: how the server watches its connections. After
     * keepalive_ms without activity on a connection with calls open (or
     * any connection, with keepalive_permit_without_calls) the server
     * pings the client, and closes the connection when no answer comes
     * within keepalive_timeout_ms: a client that vanished without closing
     * (cable pulled, machine gone) is noticed and its calls cancelled.
     * 0 = the core's defaults: 2 hours and 20 s. */
    int64_t keepalive_ms;         /* 0 = 2 hours */
    int64_t keepalive_timeout_ms; /* 0 = 20 s */
    /* The policy for the clients' own pings. A client may ping at most
     * once per min_ping_interval_ms while no data flows (0 = 5 minutes);
     * every ping sooner is a strike, and after more than max_ping_strikes
     * strikes (0 = 2, -1 = no limit) the server sends GOAWAY with
     * "too_many_pings" and closes the connection. Without
     * keepalive_permit_without_calls a ping on a connection with no call
     * open is allowed only every 2 hours. Set these to match the
     * keepalive_ms your clients use. */
    bool keepalive_permit_without_calls;
    int64_t min_ping_interval_ms; /* 0 = 5 minutes */
    int max_ping_strikes;         /* 0 = 2, -1 = no limit */
} cg_server_opts;

/* A new server, not yet listening. opts may be NULL for defaults; they are
 * copied. Returns NULL when the options make no sense (a negative count or
 * time, min_threads above max_threads, max_threads 1, a size above 2 GiB),
 * after printing what is wrong and how to fix it on stderr ("cgrpc: ...").
 * Running out of memory aborts the process, as everywhere in the runtime.
 * Calls grpc_init() (with every signal blocked, so gRPC's threads never
 * take a SIGINT or SIGTERM meant for the application); cg_server_free
 * balances it. The server's own threads block every signal too. The first
 * server or channel switches abseil's deadlock detection off for the whole
 * process (see "The gRPC library" at the top).
 *
 * Threads: handlers run on the threads that poll the server's queue (no
 * hand-off per call). When every thread has been inside one handler for a
 * couple of milliseconds and is waiting (in cg_recv, sleep, a call to
 * another service; on Linux the runtime asks the system whether a thread
 * is waiting or computing), the server starts one more thread, up to
 * max_threads; short handlers never make it grow. If that thread's first
 * call blocks every thread again (a burst: many streams opened at once),
 * it starts the next one right away, and so on while calls keep coming,
 * so a thousand streams opened together all run within a fraction of a
 * second. At max_threads one thread always stays free to poll, so at most
 * max_threads - 1 handlers run at once: a call arriving then waits, in
 * order of arrival, until a handler returns. A call whose deadline passes
 * while it waits for a thread never runs: neither its interceptors nor
 * its handler are called, and the client gets DEADLINE_EXCEEDED. The calls
 * already running always keep moving, so blocked handlers cannot deadlock
 * the server; but a client that holds max_threads - 1 streams open and
 * waits for a further call to be answered waits until one of them ends. */
cg_server *cg_server_new(const cg_server_opts *opts);

/* Adds a listening address. tls NULL = plaintext; err may be NULL. Returns
 * the bound port (the kernel's choice for port 0; 1 for unix sockets), or
 * -1 on failure (address in use, bad address, unreadable certificate) with
 * the reason in *err if err is not NULL: UNAVAILABLE for an address in use
 * or invalid, INVALID_ARGUMENT for TLS files that cannot be read and for a
 * NULL srv or addr, FAILED_PRECONDITION after start (or after a shutdown
 * was asked for). Before cg_server_start only. Addresses:
 *  - "127.0.0.1:0", "[::1]:0": one address of one family (IPv4 or IPv6).
 *  - "0.0.0.0:50051" and "[::]:50051" are the same: every address of the
 *    machine, IPv4 and IPv6 alike (one dual-stack socket where the system
 *    has IPv6, else IPv4 only).
 *  - "localhost:0" binds whichever family the name resolves to first; in
 *    tests use "127.0.0.1:0".
 *  - "unix:/path" for a Unix domain socket. */
int cg_server_listen(cg_server *srv, const char *addr, const cg_tls_server *tls,
                     cg_status *err);

/* Registers a service: `impl` is its handler table (the generated
 * Pkg__Svc_Server struct), read through each method's invoke function; it
 * must outlive the server; a NULL impl serves every method with
 * UNIMPLEMENTED. `user` reaches every handler through cg_ctx_user.
 * Generated *__register_server functions call this. Before
 * cg_server_start only. Returns 0, or -1 with the reason on stderr when
 * srv or svc is NULL, the server was started, a method path is already
 * registered (by this or another service) or is not of the form
 * "/package.Service/Method", or a method lacks its message types. All or
 * nothing: after -1 none of the service's methods is served (calls to them
 * get UNIMPLEMENTED), so a fixed service may be registered again. */
int cg_server_add_service(cg_server *srv, const cg_service *svc,
                          const void *impl, void *user);

/* Serves gRPC server reflection on srv: the services
 * grpc.reflection.v1.ServerReflection and its older name
 * grpc.reflection.v1alpha.ServerReflection, through which tools with no
 * .proto files at hand (grpcurl, buf curl, Postman) list the server's
 * services and read their descriptors, then call any method. It describes
 * every service registered on srv, before or after this call, from the
 * descriptors that generated code embeds in its table (see cg_service); a
 * table without them is listed, not described. Unknown names are answered
 * with an error_response NOT_FOUND, and the stream stays open. Before
 * cg_server_start only. Returns 0, or -1 with the reason on stderr for a
 * NULL srv, after start, or when reflection is already on. */
int cg_server_enable_reflection(cg_server *srv);

/* Adds an interceptor; the first added runs outermost. Before start only:
 * afterwards (or with a NULL srv or fn) nothing is added. */
void cg_server_add_interceptor(cg_server *srv, cg_server_interceptor_fn fn,
                               void *user);

/* Starts serving on a pool of threads and returns at once. 0 on success, -1
 * for a NULL srv, if already started, if a shutdown was asked for before
 * (see cg_server_shutdown_async), or if no thread could be started. Calls
 * to methods no service registered are answered UNIMPLEMENTED. */
int cg_server_start(cg_server *srv);

/* The lame-duck pause before a shutdown: keeps serving as usual and returns
 * once no call has arrived for quiet_ms, or after max_ms, whichever comes
 * first; true if it went quiet, false at max_ms, for a NULL srv, or if the
 * server is not running (or stops meanwhile). Call it after telling clients you
 * are going (health NOT_SERVING: clients that watch health stop sending here),
 * then cg_server_shutdown. Why: gRPC core cancels a call that arrives at the
 * instant of a shutdown, before the client has heard of it, without any
 * handler seeing it (the client gets CANCELLED); after a quiet pause no
 * call is arriving. Clients that do not watch health keep sending: then
 * max_ms bounds the pause. Safe from any thread except a handler of this
 * server. */
bool cg_server_drain(cg_server *srv, int64_t quiet_ms, int64_t max_ms);

/* Graceful shutdown: stop accepting calls, let in-flight calls finish for up
 * to grace_ms, then cancel the rest. Returns when every handler has returned.
 * Idempotent; safe from any thread except a handler of this server. Not
 * async-signal-safe: from a signal handler use cg_server_shutdown_async.
 * A NULL srv: nothing happens. */
void cg_server_shutdown(cg_server *srv, int64_t grace_ms);

/* Async-signal-safe request for shutdown with the given grace period; the
 * server's own thread performs it. cg_server_wait returns once it is done.
 * Asked before cg_server_start (a Ctrl-C while main is still setting up),
 * the server never serves: cg_server_start then returns -1. A NULL srv:
 * nothing happens. */
void cg_server_shutdown_async(cg_server *srv, int64_t grace_ms);

/* Blocks until the server has shut down; at once for a server never
 * started, unless a shutdown was asked for (then until it is done), and
 * for a NULL srv. */
void cg_server_wait(cg_server *srv);

/* Blocks until SIGINT or SIGTERM, then shuts down with grace_ms. The
 * convenience for main(): listen, register, start, cg_server_run_until_signal,
 * cg_server_free, return 0. Returns the signal number received, 0 when the
 * server was shut down another way meanwhile (cg_server_shutdown or
 * _async elsewhere), or -1 at once for a NULL srv. It blocks the two signals in
 * the calling thread and waits for them there (sigtimedwait), restoring the
 * mask before it returns; call it from the main thread, whose signal mask the
 * process's other threads (other than gRPC's and the runtime's) should share.
 */
int cg_server_run_until_signal(cg_server *srv, int64_t grace_ms);

/* What a server's drain and shutdown did: for the line a program logs as it
 * stops, and for checking that a drain keeps to its grace period. Times are
 * milliseconds of CLOCK_MONOTONIC (clock_gettime). */
typedef struct cg_server_stop_info {
    int64_t lame_duck_ms;   /* time spent in cg_server_drain, all calls */
    int64_t shutdown_at_ms; /* when the shutdown began; 0: not yet */
    int64_t grace_ms;       /* the time it gave the calls in flight */
    int64_t done_at_ms;     /* when every handler had returned; 0: not yet */
    bool cut;               /* calls still ran at its end: cancelled */
} cg_server_stop_info;

/* What the server's drain and shutdown have done so far (all zero before
 * either; all zero for a NULL srv). Safe from any thread. */
cg_server_stop_info cg_server_stop_info_get(cg_server *srv);

/* Frees the server, shutting it down first (grace 0) if still running.
 * NULL does nothing. */
void cg_server_free(cg_server *srv);

/* ===================================================================== */
/* Channels (client side)                                                 */
/* ===================================================================== */

typedef struct cg_channel cg_channel;

/* TLS for a client: PEM file paths. */
typedef struct cg_tls_client {
    const char *root_ca_file;         /* PEM; NULL = the system's roots */
    const char *cert_file;            /* PEM, for mutual TLS */
    const char *key_file;             /* PEM, for mutual TLS */
    const char *server_name_override; /* tests whose certificate names
                                         another host */
} cg_tls_client;

typedef struct cg_channel_opts {
    const cg_tls_client *tls;        /* NULL = plaintext */
    const char *service_config_json; /* e.g. round_robin, retry policy */
    const char *lb_policy;           /* shorthand: "round_robin" */
    int64_t keepalive_ms;            /* 0 = off */
    int64_t keepalive_timeout_ms;    /* 0 = core default */
    size_t max_recv_bytes;           /* 0 = 4 MiB */
    size_t max_send_bytes;           /* 0 = unlimited */
    bool wait_for_ready;             /* default for every call; a call's
                                        cg_call_opts.ready overrides it */
    /* After a failed connection attempt the channel waits before the next
     * one (TRANSIENT_FAILURE): reconnect_backoff_ms at first, then 1.6
     * times longer after each failure, up to reconnect_backoff_max_ms,
     * give or take 20%. gRPC core's floor for both is 100 ms (a smaller
     * value counts as 100). A shorter wait brings a client back sooner after a
     * server restart (tests); clients of a real service keep the default, so
     * that many of them do not hammer a server that is coming back. */
    int64_t reconnect_backoff_ms;     /* 0 = 1 s */
    int64_t reconnect_backoff_max_ms; /* 0 = 120 s */
} cg_channel_opts;

/* A channel to `target`: "host:port", "dns:///host:port",
 * "ipv4:127.0.0.1:5001,127.0.0.1:5002", "unix:/path". Connects lazily. opts
 * may be NULL, and so may err. Calls grpc_init(); cg_channel_free balances
 * it; the first server or channel switches abseil's deadlock detection off
 * for the whole process (see "The gRPC library" at the top). Returns NULL
 * with *err (if not NULL) filled, INVALID_ARGUMENT, for a NULL or empty
 * target or unreadable certificates; a target the resolver cannot use
 * gives a channel whose calls fail with UNAVAILABLE. Each channel has its
 * own connections. */
cg_channel *cg_channel_new(const char *target, const cg_channel_opts *opts,
                           cg_status *err);

/* Frees the channel. Calls still running on it are cancelled first; each
 * still needs its cg_call_finish, which may come later. Asynchronous calls
 * (cg_unary_async) have had their done run when it returns (unless it is
 * called from a done). NULL does nothing. */
void cg_channel_free(cg_channel *ch);

typedef enum cg_conn_state {
    CG_CONN_IDLE,
    CG_CONN_CONNECTING,
    CG_CONN_READY,
    CG_CONN_TRANSIENT_FAILURE,
    CG_CONN_SHUTDOWN,
} cg_conn_state;

/* Current connectivity; try_connect starts connecting an idle channel.
 * CG_CONN_SHUTDOWN for a NULL ch. */
cg_conn_state cg_channel_state(cg_channel *ch, bool try_connect);

/* Connects if needed and waits until READY or timeout_ms passes. True when
 * ready (the outline's ensureConnection); false for a NULL ch. */
bool cg_channel_wait_ready(cg_channel *ch, int64_t timeout_ms);

/* After a failed connection attempt the channel waits out its reconnect
 * backoff (TRANSIENT_FAILURE, see cg_channel_opts); this ends the wait and
 * lets it try again now, and starts the backoff over. For a client that
 * learns that its server is back (tests restart servers). Nothing for a
 * NULL ch. */
void cg_channel_reset_backoff(cg_channel *ch);

/* "IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE", "SHUTDOWN"
 * ("UNKNOWN" for a value outside the enum). */
const char *cg_conn_state_name(cg_conn_state s);

/* ===================================================================== */
/* Client calls                                                           */
/* ===================================================================== */

/* Whether a call without a connection waits for one or fails at once. */
typedef enum cg_ready {
    CG_READY_DEFAULT = 0, /* the channel's wait_for_ready option */
    CG_READY_WAIT,        /* wait for a connection (until the deadline) */
    CG_READY_FAIL_FAST,   /* fail with UNAVAILABLE at once, even when the
                             channel's wait_for_ready is set */
} cg_ready;

/* Per-call options; a NULL opts pointer means all defaults. */
typedef struct cg_call_opts {
    int64_t timeout_ms;    /* 0 = no deadline */
    const cg_md *metadata; /* request metadata, copied at call start;
                              NULL when n_metadata is 0 */
    size_t n_metadata;
    cg_ready ready; /* wait for a connection or fail fast;
                       CG_READY_DEFAULT follows the channel's
                       wait_for_ready */
} cg_call_opts;

/* A client call in progress (streaming, or a unary call made by hand). */
typedef struct cg_call cg_call;

/* Starts a call of any kind; opts may be NULL. Never NULL: a call that
 * could not start reports its status at cg_call_finish (INVALID_ARGUMENT
 * for a NULL ch or m (or m->path), opts->metadata NULL with n_metadata
 * above 0, or an invalid metadata key; CANCELLED on a channel already
 * given to cg_channel_free, which other calls still keep alive). The channel's
 * interceptors run their on_start here, and their on_finish in
 * cg_call_finish, for every call started on a channel, including those.
 * Not thread-safe with respect to `ch` being freed concurrently. */
cg_call *cg_call_start(cg_channel *ch, const cg_method *m,
                       const cg_call_opts *opts);

/* Sends a request message (serialised before return; the caller keeps it)
 * and waits until the transport has taken it. False for a NULL c, when the
 * call has ended (or never started), after cg_call_close_send, when the
 * message is NULL or of the wrong type, or when it is larger than the
 * channel's max_send_bytes (the call then ends with RESOURCE_EXHAUSTED). One
 * sending thread at a time; may run concurrently with cg_call_recv. */
bool cg_call_send(cg_call *c, const void *msg);

/* Sends a request message like cg_call_send, telling the runtime that more
 * follow at once: the message may wait, so that a burst of small messages
 * (an upload in chunks) shares network writes instead of costing one each.
 * It goes out, at the latest, with the next cg_call_send, cg_call_send_more
 * (then still buffered by the transport, up to its write buffer size),
 * cg_call_close_send (in the same write as the half-close),
 * cg_call_finish, or cg_call_recv on a thread while no other is sending.
 * So do not wait for the server to react to it in any other way (a flag
 * set by a handler, another call): end a burst with cg_call_send, or close.
 * Returns true when the message was taken; as it is sent later, a failure
 * may show on a later call instead. Same thread rules as cg_call_send. */
bool cg_call_send_more(cg_call *c, const void *msg);

/* Half-closes: tells the server no more requests follow (and sends a
 * message still waiting from cg_call_send_more with it). Idempotent: true
 * once the half-close has gone. False for a NULL c or a call that never
 * started, and when the half-close fails (the call is over). */
bool cg_call_close_send(cg_call *c);

/* Receives the next response (call-owned, valid until the next cg_call_recv or
 * cg_call_finish), or NULL at the end of the stream or on error (the reason
 * comes from cg_call_finish; a response that cannot be parsed ends the call
 * with INTERNAL), and for a NULL c. One receiving thread at a time. */
const void *cg_call_recv(cg_call *c);

/* Response headers (after the first cg_call_recv) and trailers (after
 * cg_call_recv returned NULL): the first value of `key`, or NULL (also for
 * a NULL c or key). Call-owned. `len` may be NULL; otherwise *len gets the
 * length (0 without a value). */
const char *cg_call_header(cg_call *c, const char *key, size_t *len);
const char *cg_call_trailer(cg_call *c, const char *key, size_t *len);

/* Cancels the call; the server sees its context cancelled. Thread-safe.
 * A NULL c: nothing happens. */
void cg_call_cancel(cg_call *c);

/* Waits for the call's status, frees the call and returns the status. A
 * call not yet half-closed is half-closed first, and unread responses are
 * read and discarded (so a server stream that never ends needs
 * cg_call_cancel first). Every cg_call_start needs exactly one
 * cg_call_finish, after any thread using the call has stopped. A NULL c
 * gives INVALID_ARGUMENT ("cg_call_finish: c is NULL"). */
cg_status cg_call_finish(cg_call *c);

/* A complete unary call: sends req, stores a newly unpacked response in
 * *resp (free it with protobuf_c_message_free_unpacked(*resp, NULL) or the
 * generated *__free_unpacked), returns the status. On error *resp is NULL.
 * resp may be NULL when the response is not wanted; opts may be NULL. A
 * request of the wrong type gives INTERNAL without calling the server; a
 * NULL req, INVALID_ARGUMENT without calling the server (the channel's
 * interceptors see the call); a NULL ch or m, INVALID_ARGUMENT without
 * any call. */
cg_status cg_unary(cg_channel *ch, const cg_method *m, const void *req,
                   void **resp, const cg_call_opts *opts);

/* The same unary call without waiting: sends req and returns at once;
 * done(st, resp, user) runs exactly once, later, on one of the runtime's
 * completion threads (never inside cg_unary_async), with the status and,
 * when it is OK, a newly unpacked response that done owns (free it as
 * cg_unary's); otherwise resp is NULL. st is valid during done only. done
 * may start further calls (a chain), but must not block for long: the
 * threads are few (half the CPUs, 1 to 16) and shared by every channel.
 * Deadlines, wait-for-ready, metadata and interceptors are cg_unary's
 * (on_start runs in the caller, on_finish before done). cg_channel_free
 * cancels the calls still running and returns once their done has run
 * (called from a done, it does not wait). Returns false, calling nothing,
 * for a NULL ch, m or done, or a channel being freed. */
typedef void (*cg_unary_done_fn)(const cg_status *st, void *resp, void *user);
bool cg_unary_async(cg_channel *ch, const cg_method *m, const void *req,
                    const cg_call_opts *opts, cg_unary_done_fn done,
                    void *user);

/* ===================================================================== */
/* Client interceptors                                                    */
/* ===================================================================== */

/* Hooks around every call made on a channel: on_start may add metadata
 * (with cg_call_add_metadata) and on_finish sees the final status and the
 * call's duration. Either may be NULL. Interceptors start in the order they
 * were added and finish in reverse. Add them before the first call (adding
 * is not thread-safe with calls in progress); the struct is copied. A NULL
 * ch or icpt: nothing is added. */
typedef struct cg_client_interceptor {
    void (*on_start)(cg_call *c, const cg_method *m, void *user);
    void (*on_finish)(cg_call *c, const cg_method *m, const cg_status *st,
                      int64_t duration_us, void *user);
    void *user;
} cg_client_interceptor;
void cg_channel_add_interceptor(cg_channel *ch,
                                const cg_client_interceptor *icpt);

/* From on_start only: adds request metadata to the call. Copied. False
 * elsewhere, for a NULL c or key, or for an invalid key (upper case,
 * "grpc-" prefix, ...). A NULL value with value_len 0 is an empty value. */
bool cg_call_add_metadata(cg_call *c, const char *key, const char *value,
                          size_t value_len);

/* From on_start and on_finish only: a pointer slot of the running
 * interceptor's own for this call (NULL at first), to carry something
 * from its on_start to its on_finish (a span, a start time). Each
 * interceptor of the channel has its own slot. NULL elsewhere and for a
 * NULL c. */
void **cg_call_interceptor_slot(cg_call *c);

/* ===================================================================== */
/* Tracing: W3C trace context, spans, export over OTLP/gRPC               */
/* ===================================================================== */

/* A trace follows one request through every service it reaches. Each
 * service records spans (one operation: a call as the client saw it, as
 * the server saw it) and passes the trace on in the W3C `traceparent`
 * header ("00-<trace id>-<span id>-<flags>") and `tracestate`. Spans go,
 * in batches, to an OpenTelemetry collector over OTLP/gRPC
 * (opentelemetry.proto.collector.trace.v1.TraceService/Export). The
 * interceptors below do all of it for every call; the cg_span functions
 * are what they are made of, for interceptors of your own. */

/* Room for tracestate: the W3C limit a vendor must propagate (512), + NUL. */
#define CG_TRACESTATE_MAX 513
/* Room for a traceparent header: 55 characters + NUL. */
#define CG_TRACEPARENT_SIZE 56

/* Where a span sits in its trace: what crosses between services. */
typedef struct cg_span_context {
    char trace_id[33]; /* 32 lower-case hex digits, not all zero */
    char span_id[17];  /* 16 lower-case hex digits, not all zero */
    uint8_t flags;     /* W3C trace flags; bit 0: sampled */
    char tracestate[CG_TRACESTATE_MAX]; /* as received; "" for none */
} cg_span_context;

/* Parses a `traceparent` header strictly as the W3C Trace Context says:
 * version 00 is exactly 55 characters; a later version (01 to fe) may be
 * longer, with '-' after the flags; version ff, upper-case hex, an all-zero
 * trace id or span id, or any other shape is invalid. `tracestate` (NULL
 * for none) is kept when the traceparent is valid and it fits. True when
 * valid; false (and *out zeroed) otherwise, also for a NULL traceparent or
 * out: the receiver then starts a new trace. */
bool cg_traceparent_parse(const char *traceparent, const char *tracestate,
                          cg_span_context *out);

/* Writes sc's traceparent (version 00) into buf; true when buf (size
 * bytes, CG_TRACEPARENT_SIZE is enough) held it. False for a NULL sc or
 * buf, an invalid sc, or a short buf. */
bool cg_traceparent_format(const cg_span_context *sc, char *buf, size_t size);

/* A tracer: where spans go. */
typedef struct cg_tracer cg_tracer;

typedef struct cg_tracer_opts {
    const char *endpoint;      /* the collector: "http://host:4317",
                                  "https://host:4317" (TLS, system roots)
                                  or a gRPC target; NULL: the environment
                                  (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
                                  OTEL_EXPORTER_OTLP_ENDPOINT); "" or unset:
                                  spans are not exported */
    const char *service_name;  /* the resource's service.name; NULL:
                                  OTEL_SERVICE_NAME, else "unknown_service" */
    size_t queue_max;          /* spans waiting for export; 0 = 2048 */
    size_t batch_max;          /* spans per Export call; 0 = 512 */
    int64_t delay_ms;          /* longest wait before a batch that is not
                                  full goes; 0 = 1000 */
    int64_t export_timeout_ms; /* one Export call's deadline; 0 = 10000 */
    int64_t shutdown_ms;       /* cg_tracer_free waits this long for the
                                  last spans to go; 0 = 2000 */
} cg_tracer_opts;

/* A new tracer; opts may be NULL (all defaults, endpoint from the
 * environment), and so may err. With an endpoint, a background thread
 * sends ended spans in batches from a bounded queue (its own channel, no
 * interceptors); ending a span never waits for it: when the queue is
 * full the span is dropped and counted. Without one, spans still carry
 * the trace from call to call but are neither kept nor sent. NULL with
 * *err (INVALID_ARGUMENT) for an endpoint the runtime cannot use. */
cg_tracer *cg_tracer_new(const cg_tracer_opts *opts, cg_status *err);

/* Sends what is queued now and waits until it has gone, at most
 * timeout_ms. True when the queue is empty and no Export call is in
 * progress; true at once for a tracer that does not export; false for a
 * NULL t or on timeout. */
bool cg_tracer_flush(cg_tracer *t, int64_t timeout_ms);

typedef struct cg_tracer_stats {
    bool exporting;    /* an endpoint is set */
    uint64_t ended;    /* spans ended that were to be exported */
    uint64_t exported; /* spans a collector accepted */
    uint64_t dropped;  /* spans dropped: queue full, or left at shutdown */
    uint64_t failed;   /* spans whose Export call failed */
} cg_tracer_stats;

/* The tracer's counters so far; all zero for a NULL t. */
cg_tracer_stats cg_tracer_stats_get(cg_tracer *t);

/* Sends the spans still queued (waiting at most opts->shutdown_ms), stops
 * the export thread and frees the tracer. End every span, and free the
 * servers and channels that use the tracer, first. NULL does nothing. */
void cg_tracer_free(cg_tracer *t);

/* One operation being timed. */
typedef struct cg_span cg_span;

typedef enum cg_span_kind {
    CG_SPAN_INTERNAL = 1, /* the values of OTLP's SpanKind */
    CG_SPAN_SERVER = 2,
    CG_SPAN_CLIENT = 3,
} cg_span_kind;

/* Starts a span now: `name` (copied) in the trace of `parent`, as its
 * child, or in a new trace when parent is NULL or invalid. The span gets a
 * fresh span id; it keeps the parent's flags and tracestate. It is recorded
 * when the tracer exports and the trace is sampled (flag bit 0; a new trace
 * is). NULL for a NULL t or name. End it with cg_span_end. */
cg_span *cg_span_start(cg_tracer *t, const char *name, cg_span_kind kind,
                       const cg_span_context *parent);

/* The span's context, to pass on (cg_traceparent_format); valid until
 * cg_span_end. NULL for a NULL s. */
const cg_span_context *cg_span_context_of(const cg_span *s);

/* Attributes ("rpc.method" = "UnaryCall"): key and value are copied; a
 * key set again replaces its value. A span keeps up to 16 and counts the
 * rest as dropped. True when kept (or when the span is not recorded);
 * false for a NULL s, key or value. */
bool cg_span_set_str(cg_span *s, const char *key, const char *value);
bool cg_span_set_int(cg_span *s, const char *key, int64_t value);

/* Marks the span failed (OTLP status ERROR) with `message` (copied; NULL
 * for none). False for a NULL s. */
bool cg_span_set_error(cg_span *s, const char *message);

/* Ends the span now: a recorded span joins the export queue (or is dropped
 * and counted when the queue is full), without waiting; the span is freed
 * either way. Not while it is current (see below). NULL does nothing. */
void cg_span_end(cg_span *s);

/* The calling thread's current span, the parent of the client spans that
 * calls made on this thread start (a handler calling another service):
 * makes s current (NULL: none) and returns the span that was. Put the
 * previous one back before s ends. */
cg_span *cg_span_swap_current(cg_span *s);

/* Copies the calling thread's current span's context into *out (for a log
 * line's trace id). False, *out untouched, when there is none or out is
 * NULL. */
bool cg_span_current_context(cg_span_context *out);

/* The server interceptor: for every call, a SERVER span named
 * "pkg.Service/Method", child of the caller's traceparent (a new trace
 * when it is missing or malformed), with the attributes rpc.system "grpc",
 * rpc.service, rpc.method and rpc.grpc.status_code, and status ERROR for
 * the codes that are the server's fault (UNKNOWN, DEADLINE_EXCEEDED,
 * UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS); current while the rest
 * of the chain runs. `user` is the cg_tracer; add it first so it
 * surrounds the others: cg_server_add_interceptor(srv,
 * cg_trace_server_interceptor, tracer). When the tracer exports nothing
 * (no endpoint), a call that brings no traceparent gets no span: there is
 * no trace to record or pass on. With a NULL user it only proceeds; for a
 * NULL ctx or next, INVALID_ARGUMENT, and nothing runs. */
cg_status cg_trace_server_interceptor(cg_ctx *ctx, cg_next *next, void *user);

/* The client interceptor of tracer t: for every call, a CLIENT span, child
 * of the thread's current span, with the same attributes and status ERROR
 * for every code but OK; its traceparent (and tracestate) go out in the
 * call's metadata. cg_channel_add_interceptor(ch, &icpt). When t exports
 * nothing (no endpoint), it records no span: a call made while a span is
 * current sends that span's context, any other call is left as it is. A
 * NULL t gives an interceptor that does nothing. */
cg_client_interceptor cg_trace_client_interceptor(cg_tracer *t);

/* ===================================================================== */
/* Testing helpers                                                        */
/* ===================================================================== */

/* A server on 127.0.0.1 with a kernel-chosen port, started: for tests.
 * `setup` registers services on the server before it starts (NULL: none,
 * every call is answered UNIMPLEMENTED); `user` is passed to it. *port
 * receives the port (port may be NULL). NULL when the server cannot be
 * made, bind or start. Free with cg_server_free. */
typedef void (*cg_setup_fn)(cg_server *srv, void *user);
cg_server *cg_test_server_start(cg_setup_fn setup, void *user, int *port);

/* Test contexts: a cg_ctx and cg_stream with no network behind them, for
 * calling a handler directly, the way a unit test calls a function. Every
 * cg_ctx_* and stream function works on them as on a real call. The test
 * pushes input messages (copied) and closes the input; the handler's sends
 * are captured (as copies) and readable afterwards. Messages cross packed
 * and unpacked, as on the wire. The functions below act on test contexts
 * and their streams only: given a NULL or a real call's context or stream
 * (one a handler got from the runtime), they refuse it, change nothing,
 * and return false, NULL or 0. Any thread may call them, also while the
 * handler runs on another one. */

/* A new test context for calling a handler of method `m` (its cg_method
 * constant; `user` is what cg_ctx_user returns). No deadline, not
 * cancelled, no metadata; its peer is "test". NULL when m is NULL or
 * lacks its message types. Free it with cg_test_ctx_free. */
cg_ctx *cg_test_ctx_new(const cg_method *m, void *user);

/* Frees a test context, its stream, and everything pushed, sent or
 * allocated on it (messages from cg_test_stream_sent, cg_alloc memory).
 * NULL, or a real call's context, does nothing. */
void cg_test_ctx_free(cg_ctx *ctx);

/* Cancels the test call, as a client that gives up would: cg_ctx_cancelled
 * turns true, a cg_recv waiting on its stream returns NULL (CANCELLED) and
 * cg_send fails. True when done. */
bool cg_test_ctx_cancel(cg_ctx *ctx);

/* Adds request metadata, as a client would send it (key and value are
 * copied, value is text). True when added; false for a NULL key or value.
 * Add it before the handler reads it. */
bool cg_test_ctx_add_metadata(cg_ctx *ctx, const char *key, const char *value);

/* Sets the call's deadline to timeout_ms from now, as a client's timeout;
 * 0 (or less) sets one that has already passed. True when set. */
bool cg_test_ctx_set_timeout(cg_ctx *ctx, int64_t timeout_ms);

/* The test context's stream, made on first use and the same one each time
 * (so the test and a handler on another thread share it). Pass it to a
 * streaming handler. NULL for a NULL or real context. */
cg_stream *cg_test_stream(cg_ctx *ctx);

/* Pushes a request message for the handler's cg_recv (a copy is taken).
 * cg_recv on a test stream waits, like a real one, until a message is
 * pushed, the input is closed, the context is cancelled or its timeout
 * passes. True when queued; false for a NULL msg or one that is not of the
 * method's input type. */
bool cg_test_stream_push(cg_stream *s, const void *msg);

/* Ends the input: once the pushed messages are read, cg_recv returns NULL
 * with cg_stream_error OK, as when a client half-closes. True when done. */
bool cg_test_stream_close_input(cg_stream *s);

/* How many messages the handler has sent with cg_send so far; 0 for a NULL
 * or real stream. */
size_t cg_test_stream_sent_count(const cg_stream *s);

/* The i-th message the handler sent (from 0), as a message of the method's
 * output type owned by the test context (valid until cg_test_ctx_free);
 * NULL when i is past the last one, and for a NULL or real stream. */
const void *cg_test_stream_sent(const cg_stream *s, size_t i);

/* Holds (hold true) or lets go (false) the handler's sends, as a client
 * that stops reading would on a real call: while held, cg_send on this
 * stream waits until the sends are let go (then it sends) or the call is
 * cancelled (then it fails). Lets a test show that a handler sends
 * nothing while holding a lock others need. True when done. */
bool cg_test_stream_hold_sends(cg_stream *s, bool hold);

/* Waits up to timeout_ms for a cg_send to be waiting in the hold: true as
 * soon as one is, false when none is by then. */
bool cg_test_stream_wait_held_send(cg_stream *s, int64_t timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* CGRPC_H */
