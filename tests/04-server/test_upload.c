/*
 * test_upload.c: exercise 4, UploadFile called directly: chunks put back
 * together in order, the id and the size, the limit, and bad streams.
 *
 * The settings' save hook hands the assembled file to the test, which
 * compares it byte for byte with what it sent. The ids are checked against
 * the test's own FNV-1a, so they must be the hash of the whole file.
 */
#define LESSON_PAGE "steps/04-server.md"
#define EXERCISE_FILE "file_service.c"
#include "lesson.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

#define UPLOAD TUTORIAL__V1__FILE_SERVICE__UPLOAD_FILE__METHOD

/* What the save hook received. */
typedef struct saved {
    int calls;
    char file_id[32];
    char filename[64];
    uint8_t *data;
    size_t len;
} saved;

static void save(void *store, const char *file_id, const char *filename,
                 const uint8_t *data, size_t len)
{
    saved *s = store;
    s->calls++;
    snprintf(s->file_id, sizeof s->file_id, "%s", file_id ? file_id : "");
    snprintf(s->filename, sizeof s->filename, "%s", filename ? filename : "");
    free(s->data);
    s->data = malloc(len ? len : 1);
    if (len)
        memcpy(s->data, data, len);
    s->len = len;
}

/* The test's own FNV-1a 64, as 16 hex digits. */
static void fnv_hex(const uint8_t *p, size_t n, char out[17])
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211u;
    }
    snprintf(out, 17, "%016" PRIx64, h);
}

typedef struct upload {
    cg_status st;
    bool success;
    char file_id[64];
    int64_t size;
} upload;

/* Uploads data cut into n_chunks chunks of the given sizes, the filename
 * on the first chunk only, with the limit max_bytes (0: the default). The
 * save hook fills *s when s is not NULL. cancel: the client vanishes after
 * its last chunk instead of ending its stream. */
static upload run_upload(const char *filename, const uint8_t *data,
                         const size_t *sizes, size_t n_chunks, size_t max_bytes,
                         saved *s, bool cancel)
{
    upload_settings cfg = {
        .max_bytes = max_bytes, .save = s ? save : NULL, .store = s};
    cg_ctx *ctx = cg_test_ctx_new(UPLOAD, &cfg);
    cg_stream *in = cg_test_stream(ctx);
    size_t off = 0;
    for (size_t i = 0; i < n_chunks; i++) {
        Tutorial__V1__FileChunk c = TUTORIAL__V1__FILE_CHUNK__INIT;
        if (i == 0)
            c.filename = (char *)filename;
        c.data.data = (uint8_t *)data + off;
        c.data.len = sizes[i];
        off += sizes[i];
        cg_test_stream_push(in, &c);
    }
    if (cancel)
        cg_test_ctx_cancel(ctx);
    else
        cg_test_stream_close_input(in);
    Tutorial__V1__UploadResponse resp = TUTORIAL__V1__UPLOAD_RESPONSE__INIT;
    upload u;
    u.st = file_service_server.upload_file(ctx, in, &resp);
    u.success = resp.success;
    snprintf(u.file_id, sizeof u.file_id, "%s",
             resp.file_id ? resp.file_id : "(null)");
    u.size = resp.size;
    cg_test_ctx_free(ctx);
    return u;
}

/* Bytes that differ from chunk to chunk, so that a wrong order shows. */
static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + i / 251);
    return p;
}

static void test_upload_assembles_chunks_in_order(void **state)
{
    (void)state;
    size_t sizes[] = {1000, 1, 0, 4096, 77};
    size_t total = 1000 + 1 + 0 + 4096 + 77;
    uint8_t *data = pattern(total);
    saved s = {0};
    upload u = run_upload("report.pdf", data, sizes, 5, 0, &s, false);
    char want[17];
    fnv_hex(data, total, want);
    expect_status_as(u.st, GRPC_STATUS_OK, "#exercise-4-uploadfile",
                     "UploadFile's status");
    expect_true(u.success, "#exercise-4-uploadfile", "success should be true");
    expect_int_as(u.size, total, "#exercise-4-uploadfile",
                  "UploadResponse.size");
    expect_true(s.calls == 1, "#assembling-the-chunks",
                "the save hook (upload_settings.save) should get the file "
                "once; it was called %d times",
                s.calls);
    expect_str_as(s.filename, "report.pdf", "#assembling-the-chunks",
                  "the filename the save hook got");
    /* The saved bytes, and which chunk the first wrong one came in. */
    size_t diff = 0;
    while (diff < s.len && diff < total && s.data[diff] == data[diff])
        diff++;
    size_t chunk = 0, end = sizes[0];
    while (chunk + 1 < 5 && diff >= end)
        end += sizes[++chunk];
    expect_true(s.len == total && diff == total, "#assembling-the-chunks",
                "the file the save hook got: expected %zu bytes (5 chunks of "
                "1000, 1, 0, 4096 and 77), got %zu; the first wrong byte is "
                "byte %zu, in chunk %zu of 5",
                total, s.len, diff, chunk + 1);
    expect_str_as(u.file_id, want, "#the-file-id", "UploadResponse.file_id");
    expect_str_as(s.file_id, want, "#the-file-id",
                  "the file_id the save hook got");
    free(s.data);
    free(data);
}

static void test_upload_known_ids(void **state)
{
    (void)state;
    /* FNV-1a 64 of "foobar" in one chunk and in three; of one empty chunk. */
    const uint8_t *foobar = (const uint8_t *)"foobar";
    size_t one[] = {6}, three[] = {2, 3, 1}, none[] = {0};
    upload u = run_upload("f.txt", foobar, one, 1, 0, NULL, false);
    expect_status_as(u.st, GRPC_STATUS_OK, "#exercise-4-uploadfile",
                     "UploadFile's status");
    expect_str_as(u.file_id, "85944171f73967e8", "#the-file-id",
                  "UploadResponse.file_id");
    u = run_upload("f.txt", foobar, three, 3, 0, NULL, false);
    expect_str_as(u.file_id, "85944171f73967e8", "#the-file-id",
                  "UploadResponse.file_id");
    expect_int_as(u.size, 6, "#exercise-4-uploadfile", "UploadResponse.size");
    u = run_upload("empty.txt", foobar, none, 1, 0, NULL, false);
    expect_status_as(u.st, GRPC_STATUS_OK, "#exercise-4-uploadfile",
                     "UploadFile's status");
    expect_str_as(u.file_id, "cbf29ce484222325", "#the-file-id",
                  "UploadResponse.file_id");
    expect_int_as(u.size, 0, "#exercise-4-uploadfile", "UploadResponse.size");
}

static void test_upload_no_chunks(void **state)
{
    (void)state;
    saved s = {0};
    upload u = run_upload("x", NULL, NULL, 0, 0, &s, false);
    expect_status_is_as(u.st, GRPC_STATUS_INVALID_ARGUMENT, "no data received",
                        "#exercise-4-uploadfile", "UploadFile's status");
    expect_int_as(s.calls, 0, "#exercise-4-uploadfile",
                  "calls of the save hook (upload_settings.save)");
}

static void test_upload_first_chunk_needs_filename(void **state)
{
    (void)state;
    const uint8_t *abc = (const uint8_t *)"abc";
    size_t sizes[] = {3};
    saved s = {0};
    upload u = run_upload("", abc, sizes, 1, 0, &s, false);
    expect_status_is_as(u.st, GRPC_STATUS_INVALID_ARGUMENT,
                        "the first chunk must carry a filename",
                        "#exercise-4-uploadfile", "UploadFile's status");
    expect_int_as(s.calls, 0, "#exercise-4-uploadfile",
                  "calls of the save hook (upload_settings.save)");
}

static void test_upload_limit(void **state)
{
    (void)state;
    uint8_t *data = pattern(101);
    size_t exact[] = {60, 40}, over[] = {60, 41};
    saved s = {0};
    /* Exactly at the limit is fine. */
    upload u = run_upload("a", data, exact, 2, 100, &s, false);
    expect_status_as(u.st, GRPC_STATUS_OK, "#the-size-limit",
                     "UploadFile's status");
    expect_int_as(u.size, 100, "#the-size-limit", "UploadResponse.size");
    /* One byte more is not. */
    s.calls = 0;
    u = run_upload("a", data, over, 2, 100, &s, false);
    expect_status_is_as(u.st, GRPC_STATUS_RESOURCE_EXHAUSTED,
                        "file too large: the limit is 100 bytes",
                        "#the-size-limit", "UploadFile's status");
    expect_int_as(s.calls, 0, "#the-size-limit",
                  "calls of the save hook (upload_settings.save)");
    free(s.data);
    free(data);
}

static void test_upload_default_limit(void **state)
{
    (void)state;
    /* 16 MiB in 1 MiB chunks passes; one byte more does not. */
    size_t mib = 1024 * 1024, n = 17;
    size_t sizes[17];
    for (size_t i = 0; i < 16; i++)
        sizes[i] = mib;
    sizes[16] = 1;
    uint8_t *data = calloc(16 * mib + 1, 1);
    data[16 * mib - 1] = 0x7f;
    upload u = run_upload("big.bin", data, sizes, 16, 0, NULL, false);
    expect_status_as(u.st, GRPC_STATUS_OK, "#the-size-limit",
                     "UploadFile's status");
    expect_int_as(u.size, 16 * mib, "#the-size-limit", "UploadResponse.size");
    u = run_upload("big.bin", data, sizes, n, 0, NULL, false);
    free(data);
    expect_status_is_as(u.st, GRPC_STATUS_RESOURCE_EXHAUSTED,
                        "file too large: the limit is 16777216 bytes",
                        "#the-size-limit", "UploadFile's status");
}

static void test_upload_broken_stream(void **state)
{
    (void)state;
    /* The client vanished mid-upload: no file, and no success. */
    const uint8_t *abc = (const uint8_t *)"abc";
    size_t sizes[] = {3};
    saved s = {0};
    upload u = run_upload("part.bin", abc, sizes, 1, 0, &s, true);
    expect_true(u.st.code == GRPC_STATUS_CANCELLED, "#assembling-the-chunks",
                "the stream broke (cancelled) before its end: return "
                "cg_stream_error(in), which says CANCELLED; got %s",
                cg_status_name(u.st.code));
    expect_int_as(s.calls, 0, "#assembling-the-chunks",
                  "calls of the save hook (upload_settings.save)");
    free(s.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_assembles_chunks_in_order),
        cmocka_unit_test(test_upload_known_ids),
        cmocka_unit_test(test_upload_no_chunks),
        cmocka_unit_test(test_upload_first_chunk_needs_filename),
        cmocka_unit_test(test_upload_limit),
        cmocka_unit_test(test_upload_default_limit),
        cmocka_unit_test(test_upload_broken_stream),
    };
    return cmocka_run_group_tests_name("upload", tests, NULL, NULL);
}
