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
    (void)req;
    (void)id;
    (void)value; /* TODO: start from TUTORIAL__V1__REQUEST__INIT, then set id
                    and value */
}

uint8_t *request_pack(const Tutorial__V1__Request *req, size_t *len)
{
    (void)req;
    *len = 0; /* TODO: get_packed_size, malloc (at least 1 byte), pack */
    return NULL;
}

Tutorial__V1__Request *request_unpack(const uint8_t *data, size_t len)
{
    (void)data;
    (void)len;
    return NULL; /* TODO: the generated unpack function (allocator NULL =
                    malloc) */
}

void request_free(Tutorial__V1__Request *req)
{
    (void)
        req; /* TODO: the generated free_unpacked function (NULL: do nothing) */
}

int response_answer(const Tutorial__V1__Request *req,
                    Tutorial__V1__Response *resp, char *buf, size_t cap)
{
    (void)req;
    (void)resp;
    (void)buf;
    (void)cap;
    return -1; /* TODO: INIT, then success and "Processed: <id>" written into
                  buf */
}

bool message_is(const void *msg, const ProtobufCMessageDescriptor *desc)
{
    (void)msg;
    (void)desc;
    return false; /* TODO: compare the message's base.descriptor with desc */
}
