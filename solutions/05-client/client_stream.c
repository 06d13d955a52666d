/*
 * client_stream.c: exercise 3, client streaming and uploading a file in
 * chunks (contracts in client_stream.h). Test: `make test` here; suite
 * client_stream.
 * Lesson: docs/en/steps/05-client.md#exercise-3-uploading-a-file
 */
#include "client_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unary.h"

cg_status client_stream(cg_channel *ch, const char *id, const int32_t *values,
                        size_t n, int64_t timeout_ms, char *msg, size_t cap)
{
    if (cap > 0)
        msg[0] = '\0';
    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : CLIENT_TIMEOUT_MS;
    cg_call *call = tutorial__v1__my_service_client__client_stream(ch, &opts);
    for (size_t i = 0; i < n; i++) {
        Tutorial__V1__Request req = TUTORIAL__V1__REQUEST__INIT;
        req.id = (char *)id;
        req.value = values[i];
        if (!cg_call_send(call, &req))
            break; /* the call has ended: finish says why */
    }
    cg_call_close_send(call);
    const Tutorial__V1__Response *resp = cg_call_recv(call);
    if (resp != NULL && cap > 0)
        snprintf(msg, cap, "%s", resp->message); /* before finish frees it */
    cg_status st = cg_call_finish(call);
    if (st.code != GRPC_STATUS_OK && cap > 0)
        msg[0] = '\0';
    return st;
}

/* The last component of a path: what the server gets as the filename. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

cg_status upload_file(cg_channel *ch, const char *path, size_t chunk_size,
                      int64_t timeout_ms, upload_result *out)
{
    memset(out, 0, sizeof *out);
    if (chunk_size == 0)
        chunk_size = UPLOAD_CHUNK_SIZE;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return cg_error(NULL, GRPC_STATUS_NOT_FOUND, "cannot open %s: %s", path,
                        strerror(errno));
    unsigned char *buf = malloc(chunk_size);
    if (buf == NULL) {
        fclose(f);
        return cg_error(NULL, GRPC_STATUS_RESOURCE_EXHAUSTED,
                        "no memory for a chunk of %zu bytes", chunk_size);
    }

    cg_call_opts opts = {0};
    opts.timeout_ms = timeout_ms > 0 ? timeout_ms : UPLOAD_TIMEOUT_MS;
    cg_call *call = tutorial__v1__file_service_client__upload_file(ch, &opts);

    size_t chunks = 0;
    cg_status failed = cg_ok();
    for (;;) {
        size_t n = fread(buf, 1, chunk_size, f);
        if (n < chunk_size && ferror(f)) {
            failed = cg_error(NULL, GRPC_STATUS_CANCELLED, "cannot read %s: %s",
                              path, strerror(errno));
            cg_call_cancel(call); /* the server must not keep half a file */
            break;
        }
        if (n == 0 && chunks > 0)
            break; /* the end, right after a full chunk */
        Tutorial__V1__FileChunk chunk = TUTORIAL__V1__FILE_CHUNK__INIT;
        chunk.filename = chunks == 0 ? (char *)base_name(path) : "";
        chunk.data.data = buf;
        chunk.data.len = n;
        if (!cg_call_send(call, &chunk))
            break; /* the server ended the call: finish says why */
        chunks++;
        if (n < chunk_size)
            break; /* a short read without an error: the end of the file */
    }
    fclose(f);
    free(buf);

    cg_call_close_send(call);
    const Tutorial__V1__UploadResponse *resp = cg_call_recv(call);
    if (resp != NULL) {
        snprintf(out->file_id, sizeof out->file_id, "%s", resp->file_id);
        out->size = resp->size;
        out->chunks = chunks;
    }
    cg_status st = cg_call_finish(call);
    if (failed.code != GRPC_STATUS_OK)
        st = failed;
    if (st.code != GRPC_STATUS_OK)
        memset(out, 0, sizeof *out);
    return st;
}
