/*
 * config_given.c: given, don't edit; no need to read it (config.h has the
 * contracts). The configuration's given part: the lookups, the error
 * format, the defaults, HOST, REPLICA_NAME, AUTH_TOKENS and PORT; then
 * exercise 3 (config.c) for the rest.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *config_getenv(const char *name, void *user)
{
    (void)user;
    return getenv(name);
}

const char *config_get(config_lookup_fn lookup, void *user, const char *name)
{
    const char *v = lookup(name, user);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* [config-error] */
/* The one error format: the variable, its value, what would do. */
int config_bad(char *err, size_t err_len, const char *name, const char *value,
               const char *accepted)
{
    snprintf(err, err_len, "%s=%.64s%s is not valid: %s", name, value,
             strlen(value) > 64 ? "..." : "", accepted);
    return -1;
}
/* [/config-error] */

/* Letters, digits and . _ - : safe in a header, a log line, a label. */
static bool plain_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

static int load_strings(server_config *cfg, config_lookup_fn lookup, void *user,
                        char *err, size_t err_len)
{
    const char *v;
    if ((v = config_get(lookup, user, "HOST")) != NULL) {
        if (strlen(v) >= sizeof cfg->host || strpbrk(v, " \t\r\n/") != NULL)
            return config_bad(err, err_len, "HOST", v,
                              "use an address such as 0.0.0.0, 127.0.0.1 or "
                              "::, or a host name");
        snprintf(cfg->host, sizeof cfg->host, "%s", v);
    }
    if ((v = config_get(lookup, user, "REPLICA_NAME")) != NULL) {
        if (!plain_name(v, sizeof cfg->replica - 1))
            return config_bad(err, err_len, "REPLICA_NAME", v,
                              "use 1 to 253 "
                              "letters, digits, '.', '_' or '-'");
        snprintf(cfg->replica, sizeof cfg->replica, "%s", v);
    }
    if ((v = config_get(lookup, user, "AUTH_TOKENS")) != NULL) {
        if (strlen(v) >= sizeof cfg->auth_tokens)
            return config_bad(err, err_len, "AUTH_TOKENS", "(not shown)",
                              "the list is too long");
        snprintf(cfg->auth_tokens, sizeof cfg->auth_tokens, "%s", v);
    }
    return 0;
}

static void defaults(server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "%s", CONFIG_DEFAULT_HOST);
    cfg->port = CONFIG_DEFAULT_PORT;
    cfg->metrics_port = CONFIG_DEFAULT_METRICS_PORT;
    cfg->grace_seconds = CONFIG_DEFAULT_GRACE_SECONDS;
    cfg->log_level = LOG_LEVEL_INFO;
    /* In a Kubernetes pod the host name is the pod's name. */
    if (gethostname(cfg->replica, sizeof cfg->replica) != 0 ||
        !plain_name(cfg->replica, sizeof cfg->replica - 1))
        snprintf(cfg->replica, sizeof cfg->replica, "server");
}

void config_listen_address(const server_config *cfg, char *buf, size_t cap)
{
    bool v6 = strchr(cfg->host, ':') != NULL && cfg->host[0] != '[';
    snprintf(buf, cap, "%s%s%s:%d", v6 ? "[" : "", cfg->host, v6 ? "]" : "",
             cfg->port);
}

int config_load(server_config *cfg, config_lookup_fn lookup, void *user,
                char *err, size_t err_len)
{
    defaults(cfg);
    if (load_strings(cfg, lookup, user, err, err_len) != 0)
        return -1;

    /* [port] */
    const char *v;
    long n;
    if ((v = config_get(lookup, user, "PORT")) != NULL) {
        if (!config_parse_number(v, 0, 65535, &n))
            return config_bad(err, err_len, "PORT", v, CONFIG_PORT_HINT);
        cfg->port = (int)n;
    }
    /* [/port] */
    return config_load_rest(cfg, lookup, user, err, err_len);
}
