/*
 * messages.c: exercise 2, build, pack, unpack and free generated messages
 * (contracts in messages.h). Test: `make test` here; suite messages.
 * Lesson: docs/en/steps/03-codegen.md#exercise-2-reading-generated-code
 */
#include "messages.h"

#include <stdio.h>
#include <stdlib.h>

void request_build(Tutorial__V1__Request *req, const char *id, int32_t value)
{
    /* The macro is an initialiser, not an expression: it needs a
     * declaration, and assigning that whole struct resets every member. */
    Tutorial__V1__Request init = TUTORIAL__V1__REQUEST__INIT;
    *req = init;
    if (id != NULL)
        req->id = (char *)id; /* protobuf-c's members are not const */
    req->value = value;
}

uint8_t *request_pack(const Tutorial__V1__Request *req, size_t *len)
{
    *len = 0;
    if (req == NULL)
        return NULL;
    size_t size = tutorial__v1__request__get_packed_size(req);
    /* malloc(0) may return NULL, which would read as a failure. */
    uint8_t *out = malloc(size > 0 ? size : 1);
    if (out == NULL)
        return NULL;
    *len = tutorial__v1__request__pack(req, out);
    return out;
}

Tutorial__V1__Request *request_unpack(const uint8_t *data, size_t len)
{
    static const uint8_t nothing[1];
    /* NULL allocator: protobuf-c uses malloc and free. */
    return tutorial__v1__request__unpack(NULL, len, data ? data : nothing);
}

void request_free(Tutorial__V1__Request *req)
{
    if (req != NULL)
        tutorial__v1__request__free_unpacked(req, NULL);
}

int response_answer(const Tutorial__V1__Request *req,
                    Tutorial__V1__Response *resp, char *buf, size_t cap)
{
    Tutorial__V1__Response init = TUTORIAL__V1__RESPONSE__INIT;
    if (resp != NULL)
        *resp = init;
    if (req == NULL || resp == NULL || buf == NULL)
        return -1;
    int n = snprintf(buf, cap, "Processed: %s", req->id ? req->id : "");
    if (n < 0 || (size_t)n >= cap)
        return -1;
    resp->success = true;
    resp->message = buf;
    return 0;
}

bool message_is(const void *msg, const ProtobufCMessageDescriptor *desc)
{
    if (msg == NULL || desc == NULL)
        return false;
    const ProtobufCMessage *base =
        msg; /* every message struct starts with it */
    return base->descriptor == desc;
}
