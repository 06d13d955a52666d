/*
 * config.h: the server's configuration, read from environment variables
 * (given in given/config_given.c; exercise 3, the numbers and the level,
 * in config.c).
 *
 * The same program runs on a laptop, in a test and in three pods; what
 * differs between them comes from the environment, which every container
 * platform knows how to set (a Deployment's `env:`, `docker run -e`, a
 * shell's `PORT=0 ./server`):
 *
 *   variable              accepted values                    default
 *   HOST                  an address or name to listen on    0.0.0.0
 *   PORT                  0..65535 (0: any free port)        50051
 *   METRICS_PORT          0..65535, or "off"                 9464
 *   GRACE_PERIOD_SECONDS  0..3600, whole seconds             20
 *   LOG_LEVEL             debug, info, warn, error (any case) info
 *   REPLICA_NAME          letters, digits, . _ - (1..253)    the host name
 *   AUTH_TOKENS           token=role,token=role,...          unset: no auth
 *                         (checked by auth_parse, auth.h)
 *
 * An empty value counts as unset. Numbers are plain decimal digits: "80x",
 * " 80", "+80", "0x50" and "" are not numbers. METRICS_PORT may not equal
 * PORT unless both are 0. A bad value is an error that names the
 * variable, the value and what would be accepted:
 *
 *   PORT=abc is not valid: use a port number from 0 to 65535 (0 picks a free port)
 *
 * and the program prints it and exits with status 2, before listening.
 */
#ifndef STEP07_CONFIG_H
#define STEP07_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

#define CONFIG_DEFAULT_HOST "0.0.0.0"
#define CONFIG_DEFAULT_PORT 50051
#define CONFIG_DEFAULT_METRICS_PORT 9464
#define CONFIG_DEFAULT_GRACE_SECONDS 20
#define CONFIG_MAX_GRACE_SECONDS 3600
#define METRICS_OFF (-1) /* metrics_port when METRICS_PORT=off */

/* [config-struct] */
typedef struct server_config {
    char host[256];
    int port;          /* 0..65535 */
    int metrics_port;  /* 0..65535, or METRICS_OFF */
    int grace_seconds; /* 0..CONFIG_MAX_GRACE_SECONDS */
    log_level log_level;
    char replica[254]; /* REPLICA_NAME (a pod name fits), or the host name */
    char auth_tokens[2048]; /* AUTH_TOKENS as given; "" = auth off */
} server_config;
/* [/config-struct] */

/* Where config_load reads variables from: the value of `name`, or NULL
 * when it is not set. The program passes config_getenv; tests pass a
 * table of their own. */
typedef const char *(*config_lookup_fn)(const char *name, void *user);

/* ---- given, in given/config_given.c --------------------------------- */

/* Given. getenv(name); user is ignored. */
const char *config_getenv(const char *name, void *user);

/* Given. The value of `name` from lookup, or NULL when unset or empty. */
const char *config_get(config_lookup_fn lookup, void *user, const char *name);

/* Given. The one error format, in err[err_len]: the variable, its value
 * (cut at 64 characters) and what would be accepted. Returns -1. */
int config_bad(char *err, size_t err_len, const char *name, const char *value,
               const char *accepted);

/* What config_bad says a port may be, for PORT and METRICS_PORT. */
#define CONFIG_PORT_HINT                                                       \
    "use a port number from 0 to 65535 (0 picks a free port)"

/* Given. Fills *cfg from the variables above (defaults for those unset or
 * empty): the defaults, HOST, REPLICA_NAME and AUTH_TOKENS, PORT (with
 * config_parse_number), then config_load_rest for the others. Returns 0,
 * or -1 at the first bad value with a one-line message in err[err_len]
 * (see above); *cfg is then incomplete. */
int config_load(server_config *cfg, config_lookup_fn lookup, void *user,
                char *err, size_t err_len);

/* Given. "HOST:PORT" for cg_server_listen, in buf[cap]; an IPv6 HOST such
 * as "::" gets brackets: "[::]:50051". */
void config_listen_address(const server_config *cfg, char *buf, size_t cap);

/* ---- exercise 3 (config.c) ------------------------------------------ */

/* True when s is a whole decimal number from lo to hi: digits only, at
 * least one ("80x", " 80", "+80", "" are not), stored in *out. False
 * otherwise, without overflowing on a long string of digits. */
bool config_parse_number(const char *s, long lo, long hi, long *out);

/* The rest of config_load, once the defaults, HOST, REPLICA_NAME,
 * AUTH_TOKENS and PORT are in *cfg: METRICS_PORT (a port, or "off" in any
 * case: METRICS_OFF; not equal to PORT unless both are 0),
 * GRACE_PERIOD_SECONDS (0 to CONFIG_MAX_GRACE_SECONDS) and LOG_LEVEL
 * (log_level_parse). Returns 0, or -1 with config_bad's message for the
 * first bad value. */
int config_load_rest(server_config *cfg, config_lookup_fn lookup, void *user,
                     char *err, size_t err_len);

#endif
