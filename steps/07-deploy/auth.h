/*
 * auth.h: who may call what. Bearer tokens checked by a server interceptor
 * (exercise 6, in auth.c).
 *
 * A client proves who it is with request metadata, the gRPC form of an
 * HTTP header:
 *
 *     authorization: Bearer s3cret-admin-token
 *
 * The server knows each token's role from AUTH_TOKENS
 * ("s3cret-admin-token=admin,another-token=reader"), and each method's
 * required role from a fixed policy (auth_role_needed):
 *
 *     grpc.health.v1.Health (both methods)          nobody: probes carry no token
 *     FileService/UploadFile, ChatService/Chat      admin: they change state
 *     every other method                            reader (admin may too)
 *
 * Two different failures, two different codes:
 *   UNAUTHENTICATED     "who are you?": no authorization header, not of the
 *                       form "Bearer <token>", or a token nobody issued.
 *                       The client should get (new) credentials.
 *   PERMISSION_DENIED   "I know you, and no": a valid token whose role is
 *                       below what the method needs. New credentials of the
 *                       same role will not help.
 * Neither message ever repeats the token: it is a secret, and error
 * messages end up in logs.
 */
#ifndef STEP07_AUTH_H
#define STEP07_AUTH_H

#include <stddef.h>

#include <cgrpc.h>

/* Roles, in increasing order of rights: a role may call every method that
 * needs it or any role below it. */
typedef enum auth_role {
    AUTH_ROLE_NONE = 0, /* no token needed / an unknown token */
    AUTH_ROLE_READER = 1,
    AUTH_ROLE_ADMIN = 2,
} auth_role;

#define AUTH_MAX_TOKENS 16
#define AUTH_TOKEN_MAX 128 /* longest token + 1 */

typedef struct auth_table {
    size_t n;
    struct {
        char token[AUTH_TOKEN_MAX];
        auth_role role;
    } entries[AUTH_MAX_TOKENS];
} auth_table;

/* ---- given, in given/auth_given.c ------------------------------------ */

/* Given. Reads AUTH_TOKENS: up to AUTH_MAX_TOKENS "token=role" entries
 * separated by commas (spaces around an entry are ignored); a token is 1 to
 * 127 visible ASCII characters other than ',' and '=', each token appears
 * once, and a role is "reader" or "admin". Returns 0, or -1 with a
 * one-line message in err[err_len] that says which entry is wrong without
 * showing any token. */
int auth_parse(auth_table *t, const char *spec, char *err, size_t err_len);

/* Given. The role a method needs (path "/pkg.Service/Method"), by the
 * policy above. */
auth_role auth_role_needed(const char *path);

/* Given. The role of token (NUL-terminated), or AUTH_ROLE_NONE when no
 * entry has it. Compares in constant time: how long it takes does not tell
 * how much of a guess was right. */
auth_role auth_lookup(const auth_table *t, const char *token);

/* Given. "none", "reader", "admin". */
const char *auth_role_name(auth_role role);

/* ---- exercise 6 ------------------------------------------------------ */

/* [auth-check] */
/* The decision for one call: `authorization` is the value of the request's
 * "authorization" metadata (NULL when absent), `path` the method's path.
 *   the method needs no role                        OK, whatever was sent
 *   NULL, or not "Bearer <token>" (the scheme in    UNAUTHENTICATED
 *   any case, one or more spaces, then a token
 *   with no spaces), or a token not in the table
 *   the token's role is below the method's          PERMISSION_DENIED
 *   otherwise                                       OK
 * The messages say what to do and never contain the token. */
cg_status auth_check(const auth_table *t, const char *path,
                     const char *authorization);
/* [/auth-check] */

/* A server interceptor (user: the auth_table): auth_check on the call's
 * metadata; an error ends the call with that status before the handler
 * runs; otherwise the call proceeds. */
cg_status auth_interceptor(cg_ctx *ctx, cg_next *next, void *user);

#endif
