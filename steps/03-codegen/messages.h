/*
 * messages.h: tutorial.v1.Request and Response through the C code that
 * protoc-gen-c generated for them (given; you write messages.c).
 *
 * protoc-gen-c turned proto/tutorial/v1/my_service.proto into
 * tutorial/v1/my_service.pb-c.h, which declares for each message:
 *
 *     Tutorial__V1__Request                     the struct: a ProtobufCMessage
 *                                               `base`, then one member per field
 *     TUTORIAL__V1__REQUEST__INIT               its initialiser: base set up,
 *                                               every field at its default
 *     tutorial__v1__request__get_packed_size()  bytes it takes on the wire
 *     tutorial__v1__request__pack()             writes those bytes
 *     tutorial__v1__request__unpack()           parses bytes into a new message
 *     tutorial__v1__request__free_unpacked()    frees what unpack returned
 *
 * The build generates that header as build/gen/tutorial/v1/my_service.pb-c.h;
 * open it and read along.
 * The lesson: docs/en/steps/03-codegen.md#exercise-2-reading-generated-code
 */
#ifndef STEP03_MESSAGES_H
#define STEP03_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tutorial/v1/my_service.pb-c.h"

/*
 * Makes *req the message Request{id, value}: first every member as
 * TUTORIAL__V1__REQUEST__INIT sets it (whatever *req held before), then
 * the two fields. `id` is not copied: req->id points at the caller's
 * string, which must outlive *req. id NULL leaves the default, the empty
 * string "" (never a NULL member). Nothing is allocated.
 */
void request_build(Tutorial__V1__Request *req, const char *id, int32_t value);

/*
 * Packs *req into a new malloc'd block of exactly its packed size and
 * stores that size in *len (OUT). A Request whose fields all hold their
 * defaults packs to 0 bytes; the function still returns a valid pointer
 * then (to a block of 1 byte), so that NULL only ever means failure.
 * Returns NULL (with *len 0) when req is NULL or memory runs out.
 * The caller frees the block with free().
 */
uint8_t *request_pack(const Tutorial__V1__Request *req, size_t *len);

/*
 * Parses data[0..len) as a Request. Returns a new message owned by the
 * caller (free it with request_free), or NULL when the bytes are not a
 * valid Request. 0 bytes are a valid Request: the one with every field at
 * its default (data may be NULL then). The result copies what it needs:
 * data may be freed as soon as this returns.
 */
Tutorial__V1__Request *request_unpack(const uint8_t *data, size_t len);

/*
 * Frees a Request returned by request_unpack, with everything it owns.
 * NULL is a harmless no-op. Never pass a message built with request_build:
 * its members were not allocated by protobuf-c.
 */
void request_free(Tutorial__V1__Request *req);

/*
 * Answers `req` the way the outline's UnaryCall does: *resp becomes
 * Response{success: true, message: "Processed: <id>"}. *resp need not be
 * initialised: it is set up with TUTORIAL__V1__RESPONSE__INIT first. The
 * message text is written into buf[0..cap) and resp->message points there,
 * so nothing is allocated. Returns 0; or -1 when req, resp or buf is NULL
 * or the text with its '\0' does not fit in cap: then *resp (if not NULL)
 * is left as Response{} with every field at its default.
 */
int response_answer(const Tutorial__V1__Request *req,
                    Tutorial__V1__Response *resp, char *buf, size_t cap);

/*
 * True when `msg` points at a protobuf-c message of the type `desc`
 * describes (e.g. &tutorial__v1__request__descriptor). Every generated
 * message struct starts with a ProtobufCMessage whose `descriptor` says
 * what it is; this is how generic code (like the runtime) tells messages
 * apart. False when msg or desc is NULL.
 */
bool message_is(const void *msg, const ProtobufCMessageDescriptor *desc);

#endif
