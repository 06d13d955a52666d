/*
 * descset.h: reading a compiled schema back, for the tests of step 02.
 *
 * The build runs `protoc --include_imports --descriptor_set_out=...` on the
 * learner's .proto files. A descriptor set is itself a protobuf message
 * (google.protobuf.FileDescriptorSet); these helpers load one with
 * protobuf-c's generated bindings of descriptor.proto, find things in it by
 * name, and print them back in .proto syntax so a failing test can show
 * "expected ... got ..." in the language the learner wrote.
 */
#ifndef STEP02_DESCSET_H
#define STEP02_DESCSET_H

#include <stddef.h>

#include "google/protobuf/descriptor.pb-c.h"

typedef Google__Protobuf__FileDescriptorSet ds_set;
typedef Google__Protobuf__FileDescriptorProto ds_file;
typedef Google__Protobuf__DescriptorProto ds_message;
typedef Google__Protobuf__FieldDescriptorProto ds_field;
typedef Google__Protobuf__ServiceDescriptorProto ds_service;
typedef Google__Protobuf__MethodDescriptorProto ds_method;
typedef Google__Protobuf__EnumDescriptorProto ds_enum;

/* Size of the text buffers the tests pass to the *_text functions. */
#define DS_TEXT 1024

/* Loads STEP_BUILD_DIR/name. Returns NULL (and says why on stderr) if the
 * file is missing or is not a descriptor set. Free with ds_free. */
ds_set *ds_load(const char *name);
void ds_free(ds_set *set); /* NULL is fine */

/* Lookups by exact name; each returns NULL if there is no such thing. */
const ds_file *ds_find_file(const ds_set *set, const char *name);
const ds_message *ds_find_message(const ds_file *f, const char *name);
const ds_enum *ds_find_enum(const ds_file *f, const char *name);
const ds_service *ds_find_service(const ds_file *f, const char *name);
const ds_method *ds_find_method(const ds_service *s, const char *name);
const ds_field *ds_find_field(const ds_message *m, const char *name);
const ds_field *ds_find_field_number(const ds_message *m, int number);

/* The file's package, "" if it has none. */
const char *ds_package(const ds_file *f);

/*
 * Text in .proto syntax, written to buf (cap bytes, truncated if need be)
 * and returned:
 *   ds_fields_text    "string id = 1; int32 value = 2" (by number), or
 *                     "(no fields)"
 *   ds_method_text    "rpc ServerStream(Request) returns (stream Response)";
 *                     full_names prints types as tutorial.v1.Request
 *   ds_enum_text      "ROLE_UNSPECIFIED = 0; ROLE_MEMBER = 1"
 *   ds_reserved_text  "reserved 2; reserved \"value\"", or "(nothing reserved)"
 *   ds_names_text     the names of a file's services ('s'), messages ('m')
 *                     or enums ('e'), or of a service's methods, as
 *                     "A, B, C" or "(none)"
 */
const char *ds_fields_text(const ds_message *m, char *buf, size_t cap);
const char *ds_method_text(const ds_method *m, int full_names, char *buf,
                           size_t cap);
const char *ds_enum_text(const ds_enum *e, char *buf, size_t cap);
const char *ds_reserved_text(const ds_message *m, char *buf, size_t cap);
const char *ds_names_text(const ds_file *f, char what, char *buf, size_t cap);
const char *ds_method_names(const ds_service *s, char *buf, size_t cap);

/* printf onto the end of the text already in buf (cap bytes in all). */
void ds_appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
