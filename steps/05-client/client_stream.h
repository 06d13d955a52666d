/*
 * client_stream.h: exercise 3, client streaming and a file upload (given;
 * you write client_stream.c).
 *
 * Many requests go out, one response comes back: the client sends, says
 * "that was all" (cg_call_close_send), and only then reads the answer. The
 * outline uploads a file this way, in chunks read into a 1024-byte buffer.
 * The lesson: docs/en/steps/05-client.md#exercise-3-uploading-a-file
 */
#ifndef STEP05_CLIENT_STREAM_H
#define STEP05_CLIENT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <cgrpc.h>

#include "tutorial/v1/file_service.cgrpc.h"
#include "tutorial/v1/my_service.cgrpc.h"

/* The chunk size when the caller passes 0: the outline's buffer. */
#define UPLOAD_CHUNK_SIZE 1024

/* The deadline of an upload when the caller passes timeout_ms 0: a whole
 * file takes longer than one small call. */
#define UPLOAD_TIMEOUT_MS 60000

/*
 * Calls MyService.ClientStream: sends one Request{id, values[i]} for each
 * of the n values (none when n is 0), half-closes, and copies the one
 * response's message into msg[0..cap) like unary_call does (msg is ""
 * unless the status is OK). Deadline timeout_ms from now (0:
 * CLIENT_TIMEOUT_MS). Returns the call's status (INVALID_ARGUMENT for an
 * empty id). values may be NULL when n is 0.
 */
cg_status client_stream(cg_channel *ch, const char *id, const int32_t *values,
                        size_t n, int64_t timeout_ms, char *msg, size_t cap);

typedef struct upload_result {
    char file_id[17]; /* the server's id for the file: 16 hex digits */
    int64_t size;     /* the size the server counted, in bytes */
    size_t chunks;    /* FileChunk messages sent */
} upload_result;

/*
 * Uploads the file at `path` with FileService.UploadFile: reads it in
 * pieces of chunk_size bytes (0: UPLOAD_CHUNK_SIZE) and sends each as one
 * FileChunk, in order; only the first chunk carries the filename, the last
 * component of path ("data/report.pdf" -> "report.pdf"). A chunk holds
 * exactly chunk_size bytes except the last, which holds the rest. An empty
 * file is sent as one chunk with the filename and no data. Deadline
 * timeout_ms from now (0: UPLOAD_TIMEOUT_MS).
 * On OK, *out (OUT) holds the server's file id and size and the number of
 * chunks sent. Other results, with *out zeroed:
 *  - NOT_FOUND "cannot open <path>: <reason>" when the file cannot be
 *    opened; no call is made;
 *  - CANCELLED "cannot read <path>: <reason>" when reading fails part way
 *    (e.g. path is a directory); the call is cancelled, so the server
 *    keeps nothing;
 *  - the server's status when it refuses the upload, e.g.
 *    RESOURCE_EXHAUSTED for a file over its limit: sending stops as soon
 *    as the server has ended the call.
 */
cg_status upload_file(cg_channel *ch, const char *path, size_t chunk_size,
                      int64_t timeout_ms, upload_result *out);

#endif
