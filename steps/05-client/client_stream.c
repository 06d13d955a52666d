/*
 * client_stream.c: exercise 3, client streaming and uploading a file in
 * chunks (contracts in client_stream.h). Write both functions; `make test`
 * here runs suite client_stream.
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
    (void)ch;
    (void)id;
    (void)values;
    (void)n;
    (void)timeout_ms;
    if (cap > 0)
        msg[0] = '\0';
    /* TODO: start the call, send one Request per value, close the sending
     * side, then read the one response and finish */
    return cg_error(NULL, GRPC_STATUS_UNIMPLEMENTED,
                    "step 5: write client_stream() in client_stream.c "
                    "(lesson: docs/en/steps/05-client.md#sending-a-stream)");
}

cg_status upload_file(cg_channel *ch, const char *path, size_t chunk_size,
                      int64_t timeout_ms, upload_result *out)
{
    (void)ch;
    (void)path;
    (void)chunk_size;
    (void)timeout_ms;
    memset(out, 0, sizeof *out);
    /* TODO: open the file; start the call; fread a chunk at a time and send
     * each as a FileChunk (the filename in the first); close_send, recv,
     * finish */
    return cg_error(
        NULL, GRPC_STATUS_UNIMPLEMENTED,
        "step 5: write upload_file() in client_stream.c "
        "(lesson: docs/en/steps/05-client.md#reading-a-file-in-chunks)");
}
