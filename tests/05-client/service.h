/*
 * service.h: the server that step 05's tests run your client against.
 *
 * It implements the course's five services the way
 * CONTRIBUTING.md#what-the-courses-services-do (and step 4's solution) defines
 * them, plus knobs that real servers only have on bad days: it can be slow,
 * stall a stream, fail with a chosen status, or refuse a file that is too
 * large. Every handler also records what it saw (the deadline, the request, the
 * chunks of an upload, whether the client cancelled), so a test can check what
 * your client did on the wire, not only what it returned.
 *
 * The tests read and wait on the record through the functions below; the
 * handlers write it on the server's threads, under the state's lock.
 */
#ifndef STEP05_TEST_SERVICE_H
#define STEP05_TEST_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cgrpc.h>

/* The longest any handler waits for something (a cancellation, the client
 * reading on): a test that goes wrong still ends in bounded time. */
#define SVC_MAX_WAIT_MS 20000

/* How long a paced stream waits for the client to read a message before it
 * concludes that the client stopped reading without cancelling the call. */
#define SVC_PACE_WAIT_MS 1500

/* How many unary calls' arrival times the record keeps. */
#define SVC_MAX_TIMES 16

typedef struct svc_state {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *name;

    /* ---- knobs: set them before the call ------------------------------ */
    int delay_ms;               /* UnaryCall and GetUser wait this long
                                   first; -1: until the call is cancelled */
    grpc_status_code fail_code; /* not OK: UnaryCall and GetUser answer it */
    const char *fail_message;
    int fail_times;       /* > 0: only the first fail_times unary
                             calls answer fail_code, later ones work */
    bool paced;           /* streams send message i+1 only once the
                             test's callback saw message i */
    int stall_after;      /* > 0: streams send this many messages,
                             then wait until the call is cancelled */
    int fail_after;       /* > 0: streams fail with ABORTED after
                             this many messages */
    int64_t upload_limit; /* 0: 16 MiB */

    /* ---- what the handlers saw ---------------------------------------- */
    int calls;            /* handler entries, every method */
    int unary_calls;      /* UnaryCall and GetUser */
    int64_t time_left_ms; /* cg_ctx_time_left_ms at the last entry */
    int64_t unary_at_ms[SVC_MAX_TIMES];   /* when the first unary calls came
                                      in (tu_now_ms, monotonic) */
    int64_t unary_left_ms[SVC_MAX_TIMES]; /* and the time each had left */
    int previous_attempts;                /* the last unary call's
                                             grpc-previous-rpc-attempts header (set
                                             by gRPC's own retries), 0 when absent */
    char last_id[128]; /* UnaryCall's id / GetUser's user_id */
    int32_t last_value;
    int cancelled;       /* handlers that saw their call cancelled */
    int ended;           /* handlers that returned */
    int stream_sent;     /* messages the last stream sent */
    int client_saw;      /* messages the test's callbacks counted */
    bool pace_timed_out; /* a paced stream gave up waiting */
    int requests;        /* ClientStream/Bidi requests received */
    int32_t value_sum;

    /* UploadFile */
    int uploads; /* uploads that succeeded */
    int chunks;
    int64_t max_chunk;
    int64_t bytes;
    uint64_t fnv;
    char filename[256]; /* from the first chunk */
    int named_chunks;   /* later chunks that carried a filename too */

    /* Chat */
    int members;         /* in the room right now */
    int joined;          /* ever */
    int broadcasts;      /* messages sent to the whole room */
    char chat_log[1024]; /* "user: content\n" per broadcast */

    /* The room's members (cg_stream *), guarded by room_mu. */
    pthread_mutex_t room_mu;
    void *room[16];
} svc_state;

void svc_init(svc_state *st, const char *name);
void svc_destroy(svc_state *st);

/* Registers MyService, UserService, NotificationService, FileService and
 * ChatService on srv, all with st as their state. */
void svc_register(cg_server *srv, svc_state *st);

/* Reads an int field of the record under the lock. */
int svc_get(svc_state *st, const int *field);

/* Waits until *field >= value; false when timeout_ms passed first. */
bool svc_wait(svc_state *st, const int *field, int value, int timeout_ms);

/* Counts one message seen by a test's callback (for paced streams). */
void svc_client_saw(svc_state *st);

/* FNV-1a, 64 bits, the file id the FileService gives: 16 lowercase hex
 * digits into hex[17]. */
uint64_t svc_fnv1a(uint64_t h, const void *data, size_t len);
#define SVC_FNV_OFFSET 0xcbf29ce484222325ULL
void svc_fnv_hex(uint64_t h, char hex[17]);

#endif
