/*
 * file_service.c: exercise 4, UploadFile: a client stream of chunks put
 * back together, with a size limit (contracts in file_service.h).
 * Test: `make test` here; suite upload.
 * Lesson: docs/en/steps/04-server.md#exercise-4-uploadfile
 */
#include "file_service.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Appends n bytes to the growing buffer *buf of *len bytes (capacity *cap).
 * false when memory runs out. */
static bool append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *data,
                   size_t n)
{
    if (n > *cap - *len) {
        size_t want = *cap ? *cap : 64 * 1024;
        while (want - *len < n)
            want *= 2;
        uint8_t *p = realloc(*buf, want);
        if (p == NULL)
            return false;
        *buf = p;
        *cap = want;
    }
    if (n > 0)
        memcpy(*buf + *len, data, n);
    *len += n;
    return true;
}

static cg_status upload_file(cg_ctx *ctx, cg_stream *in,
                             Tutorial__V1__UploadResponse *resp)
{
    const upload_settings *cfg = cg_ctx_user(ctx);
    size_t limit = cfg != NULL && cfg->max_bytes ? cfg->max_bytes
                                                 : UPLOAD_DEFAULT_MAX_BYTES;
    uint8_t *data = NULL; /* the file so far: ours to free on every path */
    size_t len = 0, cap = 0, chunks = 0;
    const char *filename = NULL;
    cg_status st = cg_ok();

    const Tutorial__V1__FileChunk *chunk;
    while ((chunk = cg_recv(in)) != NULL) {
        if (chunks++ == 0) {
            if (chunk->filename[0] == '\0') {
                st = cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT,
                              "the first chunk must carry a filename");
                goto done;
            }
            /* The chunk is gone at the next cg_recv: keep a copy. */
            filename = cg_strdup(ctx, chunk->filename);
        }
        /* Refuse before growing: a client must not make us hold more. */
        if (chunk->data.len > limit - len) {
            st = cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED,
                          "file too large: the limit is %zu bytes", limit);
            goto done;
        }
        if (!append(&data, &len, &cap, chunk->data.data, chunk->data.len)) {
            st = cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
            goto done;
        }
    }
    st = cg_stream_error(in);
    if (st.code != GRPC_STATUS_OK)
        goto done;
    if (chunks == 0) {
        st = cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "no data received");
        goto done;
    }

    resp->success = true;
    resp->file_id = cg_printf(ctx, "%016" PRIx64, fnv1a64(data, len));
    resp->size = (int64_t)len;
    if (cfg != NULL && cfg->save != NULL)
        cfg->save(cfg->store, resp->file_id, filename, data, len);
done:
    free(data);
    return st;
}

const Tutorial__V1__FileService_Server file_service_server = {
    .upload_file = upload_file,
};
