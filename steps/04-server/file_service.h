/*
 * file_service.h: FileService.UploadFile, client streaming (exercise 4, in
 * file_service.c).
 *
 * Registered with its settings as the user pointer (NULL: all defaults):
 *
 *     upload_settings uploads = {0};
 *     tutorial__v1__file_service__register_server(srv, &file_service_server,
 *                                                 &uploads);
 *
 * What it does:
 *   no chunk at all                  INVALID_ARGUMENT "no data received"
 *   first chunk without a filename   INVALID_ARGUMENT "the first chunk must
 *                                    carry a filename" (later chunks may
 *                                    leave it empty; it is ignored there)
 *   total size over the limit        RESOURCE_EXHAUSTED "file too large: the
 *                                    limit is <N> bytes", answered as soon
 *                                    as the total passes N, without reading
 *                                    the rest
 *   the stream breaks                the stream's error status
 *   otherwise                        success = true, size = total bytes,
 *                                    file_id = 16 lowercase hex digits of
 *                                    fnv1a64(all the bytes, in order); the
 *                                    bytes go to save() when it is set
 */
#ifndef STEP04_FILE_SERVICE_H
#define STEP04_FILE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "tutorial/v1/file_service.cgrpc.h"

/* The limit when upload_settings.max_bytes is 0: 16 MiB. */
#define UPLOAD_DEFAULT_MAX_BYTES ((size_t)16 * 1024 * 1024)

/* Receives a finished upload (the outline's s.saveFile). Everything it is
 * given belongs to the call: copy what you keep. Called on a handler thread;
 * several uploads may finish at once. */
typedef void (*upload_save_fn)(void *store, const char *file_id,
                               const char *filename, const uint8_t *data,
                               size_t len);

typedef struct upload_settings {
    size_t max_bytes; /* largest file accepted; 0 = UPLOAD_DEFAULT_MAX_BYTES */
    upload_save_fn save; /* NULL: the bytes are dropped after hashing */
    void *store;         /* passed to save */
} upload_settings;

extern const Tutorial__V1__FileService_Server file_service_server;

#endif
