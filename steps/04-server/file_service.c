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

static cg_status upload_file(cg_ctx *ctx, cg_stream *in,
                             Tutorial__V1__UploadResponse *resp)
{
    const upload_settings *cfg = cg_ctx_user(ctx);
    (void)cfg;
    (void)in;
    (void)resp;
    /* TODO: cg_recv the chunks, append their data (check the limit first),
     * then answer with the size and the fnv1a64 id; free what you malloc */
    return cg_error(
        ctx, GRPC_STATUS_UNIMPLEMENTED,
        "step 4: implement "
        "UploadFile — see docs/en/steps/04-server.md#exercise-4-uploadfile");
}

const Tutorial__V1__FileService_Server file_service_server = {
    .upload_file = upload_file,
};
