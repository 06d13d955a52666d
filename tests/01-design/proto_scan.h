/*
 * proto_scan.h: the methods of a directory of .proto files, for tests.
 *
 * Just enough of a reader for the course's protos (package, service and rpc
 * lines; // and block comments; quoted strings), so the design-record tests
 * check the learner's table against the real schema, not a copy of it.
 */
#ifndef DESIGN_PROTO_SCAN_H
#define DESIGN_PROTO_SCAN_H

#include <stdbool.h>

#include "rpc_kind.h"

/* The course's schema, shared by every step. */
#define PROTO_DIR ROOT_DIR "/proto/tutorial/v1"

struct proto_method {
    char path[160];    /* "/tutorial.v1.UserService/GetUser" */
    char request[64];  /* "GetUserRequest" */
    char response[64]; /* "User" */
    bool client_streams;
    bool server_streams;
};

/*
 * Reads every *.proto file in `dir`, in name order, and stores up to `max`
 * methods in `out`. Returns how many it stored, or -1 if the directory or a
 * file cannot be read, an rpc line is not understood, or there are more
 * than `max` methods.
 */
int proto_scan_dir(const char *dir, struct proto_method *out, int max);

/* The methods of PROTO_DIR, scanned on the first call: sets *out and returns
 * how many there are, or -1 as proto_scan_dir(). Not thread-safe. */
int proto_course_methods(const struct proto_method **out);

/* The kind of call m's rpc line declares. */
rpc_kind proto_kind(const struct proto_method *m);

#endif
