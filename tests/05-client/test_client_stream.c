/*
 * test_client_stream.c: exercise 3, client streaming (client_stream.c):
 * MyService.ClientStream, and uploading real files, written to the build
 * directory, in chunks. The test server computes the FNV-1a of what it
 * received and records every chunk, so the upload is checked byte for byte
 * and chunk by chunk.
 */
#define LESSON_PAGE "steps/05-client.md"
#define EXERCISE_FILE "client_stream.c"
#include "lesson.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client_stream.h"
#include "fixture.h"

/* ---- MyService.ClientStream -------------------------------------------- */

/* The deadline of the small calls below: a client that reads before it
 * half-closes waits for all of it, so it is short. */
#define SMALL_CALL_MS (2000 * fx_slow())

/* The server answers a client stream only after the half-close. */
static void expect_half_closed(cg_status st, const char *what)
{
    expect_true(st.code != GRPC_STATUS_DEADLINE_EXCEEDED, "#sending-a-stream",
                "%s ran into its deadline: the server answers only after "
                "the client says \"that was all\". Call cg_call_close_send "
                "after the last cg_call_send, before cg_call_recv",
                what);
}

static void test_client_stream_sums_values(void **state)
{
    (void)state;
    fx_watchdog(30, "#sending-a-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    const int32_t values[] = {1, 2, 3, 4, -10};
    char msg[128] = "garbage";
    cg_status st =
        client_stream(ch, "sum", values, 5, SMALL_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    int requests = srv.st.requests;
    fx_server_free(&srv);
    expect_half_closed(st, "client_stream(\"sum\", 5 values)");
    expect_status(st, GRPC_STATUS_OK, "client_stream(\"sum\", 5 values)",
                  "#sending-a-stream");
    expect_str(msg, "Processed 5 requests, total value 0", "#sending-a-stream");
    expect_int(requests, 5, "#sending-a-stream");
}

static void test_client_stream_no_values(void **state)
{
    (void)state;
    fx_watchdog(30, "#sending-a-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    char msg[128] = "garbage";
    cg_status st =
        client_stream(ch, "none", NULL, 0, SMALL_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_half_closed(st, "client_stream(\"none\", no values)");
    expect_status(st, GRPC_STATUS_OK, "client_stream(\"none\", no values)",
                  "#sending-a-stream");
    expect_str(msg, "Processed 0 requests, total value 0", "#sending-a-stream");
}

static void test_client_stream_invalid_id(void **state)
{
    (void)state;
    fx_watchdog(30, "#sending-a-stream");
    fx_server srv;
    fx_server_start(&srv, "server");
    cg_channel *ch = fx_channel(srv.target);
    const int32_t values[] = {1, 2, 3};
    char msg[128] = "garbage";
    cg_status st =
        client_stream(ch, "", values, 3, FX_CALL_MS, msg, sizeof msg);
    fx_channel_free(ch);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_INVALID_ARGUMENT,
                  "client_stream(\"\", 3 values)", "#sending-a-stream");
    expect_str(st.message, "id is required", "#sending-a-stream");
    expect_str(msg, "", "#sending-a-stream");
}

/* ---- FileService.UploadFile -------------------------------------------- */

/* Uploads a fresh file of len bytes with chunk_size and checks what both
 * sides saw. want_chunks: the number of FileChunk messages expected. */
static void check_upload(const char *name, size_t len, size_t chunk_size,
                         size_t want_chunks, int64_t want_max_chunk)
{
    fx_server srv;
    fx_server_start(&srv, "files");
    cg_channel *ch = fx_channel(srv.target);
    char path[512], want_id[17], what[128];
    uint64_t fnv;
    fx_temp_file(path, sizeof path, name, len, (unsigned)len + 7, &fnv);
    svc_fnv_hex(fnv, want_id);
    snprintf(what, sizeof what, "upload_file(a file of %zu bytes, chunk %zu)",
             len, chunk_size);

    upload_result res;
    memset(&res, 0x55, sizeof res);
    cg_status st = upload_file(ch, path, chunk_size, FX_CALL_MS, &res);
    fx_channel_free(ch);
    unlink(path);
    svc_state *s = &srv.st;
    char server_id[17];
    svc_fnv_hex(s->fnv, server_id);
    int uploads = s->uploads, chunks = s->chunks, named = s->named_chunks;
    int64_t bytes = s->bytes, max_chunk = s->max_chunk;
    char filename[256];
    snprintf(filename, sizeof filename, "%s", s->filename);
    fx_server_free(&srv);

    char want_name[128];
    snprintf(want_name, sizeof want_name, "%d-%s", (int)getpid(), name);
    expect_status(st, GRPC_STATUS_OK, what, "#reading-a-file-in-chunks");
    expect_int(uploads, 1, "#reading-a-file-in-chunks");
    expect_str(filename, want_name, "#reading-a-file-in-chunks");
    expect_true(named == 0, "#reading-a-file-in-chunks",
                "%s: %d chunks after the first carried the filename too; only "
                "the first one does",
                what, named);
    expect_true(bytes == (int64_t)len && strcmp(server_id, want_id) == 0,
                "#reading-a-file-in-chunks",
                "%s: the server received %lld bytes with FNV-1a %s; the file "
                "has %zu bytes with FNV-1a %s",
                what, (long long)bytes, server_id, len, want_id);
    expect_int(chunks, want_chunks, "#reading-a-file-in-chunks");
    expect_int(max_chunk, want_max_chunk, "#reading-a-file-in-chunks");
    expect_str(res.file_id, want_id, "#reading-a-file-in-chunks");
    expect_int(res.size, len, "#reading-a-file-in-chunks");
    expect_int(res.chunks, want_chunks, "#reading-a-file-in-chunks");
}

static void test_client_stream_upload_byte_exact(void **state)
{
    (void)state;
    fx_watchdog(60, "#reading-a-file-in-chunks");
    /* 100,013 bytes in chunks of 4096: 24 full ones and 1733 bytes. */
    check_upload("exact.bin", 100013, 4096, 25, 4096);
}

static void test_client_stream_upload_default_chunk(void **state)
{
    (void)state;
    fx_watchdog(60, "#reading-a-file-in-chunks");
    /* chunk_size 0: the outline's 1024 bytes; 10,000 = 9 * 1024 + 784. */
    check_upload("default.bin", 10000, 0, 10, 1024);
}

static void test_client_stream_upload_whole_chunks(void **state)
{
    (void)state;
    fx_watchdog(60, "#reading-a-file-in-chunks");
    /* Exactly 3 chunks: no empty chunk after the last full one. */
    check_upload("three.bin", 3 * 1024, 1024, 3, 1024);
    /* Smaller than one chunk. */
    check_upload("small.bin", 5, 1024, 1, 5);
}

static void test_client_stream_upload_large_file(void **state)
{
    (void)state;
    fx_watchdog(120, "#reading-a-file-in-chunks");
    check_upload("large.bin", 3 * 1024 * 1024 + 11, 64 * 1024, 49, 64 * 1024);
}

static void test_client_stream_upload_empty_file(void **state)
{
    (void)state;
    fx_watchdog(60, "#reading-a-file-in-chunks");
    /* An empty file still has a name: one chunk, no data. */
    check_upload("empty.txt", 0, 1024, 1, 0);
}

static void test_client_stream_upload_base_name(void **state)
{
    (void)state;
    fx_watchdog(60, "#reading-a-file-in-chunks");
    fx_server srv;
    fx_server_start(&srv, "files");
    cg_channel *ch = fx_channel(srv.target);
    /* A path with a directory and "./" in it: only the last part is sent. */
    char path[512];
    fx_temp_file(path, sizeof path, "named.txt", 100, 3, NULL);
    char *slash = strrchr(path, '/');
    char dotted[600];
    snprintf(dotted, sizeof dotted, "%.*s/./%s", (int)(slash - path), path,
             slash + 1);
    upload_result res;
    cg_status st = upload_file(ch, dotted, 10, FX_CALL_MS, &res);
    fx_channel_free(ch);
    unlink(path);
    char filename[256];
    snprintf(filename, sizeof filename, "%s", srv.st.filename);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_OK, "upload_file(\".../dir/./NAME\")",
                  "#reading-a-file-in-chunks");
    expect_str(filename, slash + 1, "#reading-a-file-in-chunks");
}

static void test_client_stream_upload_missing_file(void **state)
{
    (void)state;
    fx_watchdog(30, "#reading-a-file-in-chunks");
    fx_server srv;
    fx_server_start(&srv, "files");
    cg_channel *ch = fx_channel(srv.target);
    upload_result res;
    memset(&res, 0x55, sizeof res);
    cg_status st = upload_file(ch, STEP_BUILD_DIR "/no/such/file.txt", 0,
                               FX_CALL_MS, &res);
    fx_channel_free(ch);
    int calls = srv.st.calls;
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_NOT_FOUND, "upload_file(a missing file)",
                  "#reading-a-file-in-chunks");
    expect_true(strstr(st.message, "cannot open") != NULL &&
                    strstr(st.message, "/no/such/file.txt") != NULL,
                "#reading-a-file-in-chunks",
                "upload_file(a missing file): the message \"%s\" should be "
                "\"cannot open <path>: <reason>\"",
                st.message);
    expect_int(calls, 0, "#reading-a-file-in-chunks");
    expect_int(res.size, 0, "#reading-a-file-in-chunks");
    expect_int(res.chunks, 0, "#reading-a-file-in-chunks");
}

static void test_client_stream_upload_read_error(void **state)
{
    (void)state;
    fx_watchdog(30, "#reading-a-file-in-chunks");
    fx_server srv;
    fx_server_start(&srv, "files");
    cg_channel *ch = fx_channel(srv.target);
    /* A directory opens, but reading it fails (EISDIR). */
    upload_result res;
    cg_status st = upload_file(ch, STEP_BUILD_DIR, 0, FX_CALL_MS, &res);
    fx_channel_free(ch);
    int uploads = srv.st.uploads;
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_CANCELLED, "upload_file(a directory)",
                  "#reading-a-file-in-chunks");
    expect_true(strstr(st.message, "cannot read") != NULL,
                "#reading-a-file-in-chunks",
                "upload_file(a directory): the message \"%s\" should be "
                "\"cannot read <path>: <reason>\"",
                st.message);
    expect_int(uploads, 0, "#reading-a-file-in-chunks");
}

/* A server that refuses uploads over 4096 bytes, and a channel to it. */
static cg_channel *refusing_server(fx_server *srv)
{
    fx_watchdog(60, "#when-the-server-says-no");
    fx_server_start(srv, "small");
    srv->st.upload_limit = 4096;
    return fx_channel(srv->target);
}

static void test_client_stream_upload_refused(void **state)
{
    (void)state;
    fx_server srv;
    cg_channel *ch = refusing_server(&srv);
    char path[512];
    fx_temp_file(path, sizeof path, "toolarge.bin", 200 * 1024, 9, NULL);
    upload_result res;
    memset(&res, 0x55, sizeof res);
    cg_status st = upload_file(ch, path, 1024, FX_CALL_MS, &res);
    fx_channel_free(ch);
    unlink(path);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "upload_file(200 KiB) to a server with a 4096-byte limit",
                  "#when-the-server-says-no");
    expect_str(st.message, "file too large: the limit is 4096 bytes",
               "#when-the-server-says-no");
    expect_str(res.file_id, "", "#when-the-server-says-no");
    expect_int(res.size, 0, "#when-the-server-says-no");
}

/* The other end of a named pipe that upload_file reads as its file: writes
 * up to `total` bytes, and stops when the reader has closed the pipe. */
typedef struct pipe_writer {
    const char *path;
    size_t total;
    size_t written; /* bytes the reader took, or the total */
    bool refused;   /* the reader closed its end before the total */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} pipe_writer;

static void *write_pipe(void *arg)
{
    pipe_writer *w = arg;
    int fd = open(w->path, O_WRONLY);    /* until a reader opens it */
    static unsigned char buf[64 * 1024]; /* zeros: the bytes do not matter */
    while (fd >= 0 && w->written < w->total) {
        size_t n = w->total - w->written;
        ssize_t k = write(fd, buf, n < sizeof buf ? n : sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->refused = true; /* EPIPE: the reader is gone */
            break;
        }
        w->written += (size_t)k;
    }
    if (fd >= 0)
        close(fd);
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits for the writer. A writer still waiting in open (upload_file never
 * opened the pipe) is let through by a reader that closes at once, so its
 * first write fails: a reader that stayed open would keep it waiting. */
static void pipe_writer_join(pipe_writer *w, pthread_t thread)
{
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        pthread_mutex_unlock(&w->mu);
        int fd = open(w->path, O_RDONLY | O_NONBLOCK);
        if (fd >= 0)
            close(fd);
        pthread_mutex_lock(&w->mu);
        struct timespec until = tu_after_ms(20);
        if (!w->done)
            pthread_cond_timedwait(&w->cv, &w->mu, &until);
    }
    pthread_mutex_unlock(&w->mu);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static void test_client_stream_upload_refused_stops_reading(void **state)
{
    (void)state;
    fx_server srv;
    cg_channel *ch = refusing_server(&srv);
    /* A "file" of 64 MiB that the test writes as upload_file reads it: the
     * server refuses the first chunk, so a client that stops sending then
     * (and closes the file) has read a small part of it. */
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/tmp", STEP_BUILD_DIR);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%d-endless.bin", dir, (int)getpid());
    unlink(path);
    if (mkfifo(path, 0600) != 0)
        fail_msg("cannot make the named pipe %s: %s", path, strerror(errno));
    pipe_writer w = {.path = path, .total = 64u << 20};
    pthread_mutex_init(&w.mu, NULL);
    tu_cond_init(&w.cv);
    pthread_t writer;
    if (pthread_create(&writer, NULL, write_pipe, &w) != 0)
        fail_msg("cannot start the pipe's writer");
    upload_result res;
    cg_status st = upload_file(ch, path, 64 * 1024, FX_CALL_MS, &res);
    fx_channel_free(ch);
    pipe_writer_join(&w, writer);
    unlink(path);
    fx_server_free(&srv);
    expect_status(st, GRPC_STATUS_RESOURCE_EXHAUSTED,
                  "upload_file(64 MiB, chunks of 64 KiB) to a server with a "
                  "4096-byte limit",
                  "#when-the-server-says-no");
    expect_true(w.refused, "#when-the-server-says-no",
                "upload_file(64 MiB) to a server that refused its first "
                "chunk: it read the whole file (%zu bytes) and tried to "
                "send every chunk. Once cg_call_send returns false the "
                "call is over: stop reading and ask cg_call_finish why",
                w.written);
}

static void test_client_stream_upload_server_down(void **state)
{
    (void)state;
    fx_watchdog(30, "#when-the-server-says-no");
    char dead[64], path[512];
    fx_dead_target(dead, sizeof dead);
    cg_channel *ch = fx_channel(dead);
    fx_temp_file(path, sizeof path, "nowhere.bin", 5000, 4, NULL);
    upload_result res;
    cg_status st = upload_file(ch, path, 1024, FX_CALL_MS, &res);
    fx_channel_free(ch);
    fx_dead_target_used();
    unlink(path);
    expect_status(st, GRPC_STATUS_UNAVAILABLE,
                  "upload_file to a port where nothing listens",
                  "#when-the-server-says-no");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_stream_sums_values),
        cmocka_unit_test(test_client_stream_no_values),
        cmocka_unit_test(test_client_stream_invalid_id),
        cmocka_unit_test(test_client_stream_upload_byte_exact),
        cmocka_unit_test(test_client_stream_upload_default_chunk),
        cmocka_unit_test(test_client_stream_upload_whole_chunks),
        cmocka_unit_test(test_client_stream_upload_large_file),
        cmocka_unit_test(test_client_stream_upload_empty_file),
        cmocka_unit_test(test_client_stream_upload_base_name),
        cmocka_unit_test(test_client_stream_upload_missing_file),
        cmocka_unit_test(test_client_stream_upload_read_error),
        cmocka_unit_test(test_client_stream_upload_refused),
        cmocka_unit_test(test_client_stream_upload_refused_stops_reading),
        cmocka_unit_test(test_client_stream_upload_server_down),
    };
    return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
