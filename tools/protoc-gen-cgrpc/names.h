/*
 * names.h: protobuf-c's rules for turning .proto names into C names.
 *
 * The stubs refer to types and descriptors that protoc-gen-c (protobuf-c
 * 1.4.1) generated, so they must spell those names exactly as it does, and
 * the stubs' own names follow the same rules so that they read alike:
 *
 *   .proto name          rule            example
 *   a piece, as a type   pbc_to_camel    "my_service"    -> "MyService"
 *   a piece, lower case  pbc_lower       "GetHTTPStatus" -> "get_httpstatus"
 *   a piece, upper case  pbc_upper       "GetHTTPStatus" -> "GET_HTTPSTATUS"
 *
 * A full name ("tutorial.v1.Outer.Inner") is converted piece by piece and
 * joined with "__": Tutorial__V1__Outer__Inner, tutorial__v1__outer__inner,
 * TUTORIAL__V1__OUTER__INNER. A file option (pb_c_file).c_package replaces
 * the package part of every full name declared in that file.
 *
 * Note the quirks kept on purpose (they are protobuf-c's): an upper-case run
 * is one word ("HTTPStatus" -> "httpstatus"), a digit does not start a word
 * ("X1Y" -> "x1_y"), and existing underscores stay ("A_B" -> "a__b").
 */
#ifndef CGRPC_PLUGIN_NAMES_H
#define CGRPC_PLUGIN_NAMES_H

#include <stdbool.h>

#include "util.h"

/* protobuf-c's CamelToLower, CamelToUpper and ToCamel, for one piece. */
char *pbc_lower(arena *a, const char *name);
char *pbc_upper(arena *a, const char *name);
char *pbc_to_camel(arena *a, const char *name);

typedef enum pbc_style {
    PBC_LOWER, /* tutorial__v1__my_service */
    PBC_UPPER, /* TUTORIAL__V1__MY_SERVICE */
    PBC_TYPE,  /* Tutorial__V1__MyService */
} pbc_style;

/* The C form of `full_name` (no leading dot), declared in a file whose
 * package is `package` ("" for none) and whose (pb_c_file).c_package is
 * `c_package` (NULL when not set). */
char *pbc_full_name(arena *a, const char *full_name, const char *package,
                    const char *c_package, pbc_style style);

/* True when `word` is a C11 keyword (a name that cannot be a struct member). */
bool c_is_keyword(const char *word);

/* protobuf-c's FilenameIdentifier: letters and digits kept, anything else as
 * "_" and two hex digits ("a/b_c.proto" -> "a_2fb_5fc_2eproto"). */
char *file_identifier(arena *a, const char *file_name);

/* The file name without ".proto" (or ".protodevel"), as protobuf-c strips it
 * to name its .pb-c.h. */
char *strip_proto(arena *a, const char *file_name);

#endif /* CGRPC_PLUGIN_NAMES_H */
