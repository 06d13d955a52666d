/*
 * config.c: exercise 3, the configuration from the environment: parse each
 * variable strictly and say clearly what is wrong (contracts in config.h).
 * Test: `make test` here; suite config. Lesson:
 * docs/en/steps/07-deploy.md#exercise-3-configuration-from-the-environment
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- given: lookups, defaults, HOST and REPLICA_NAME ------------------ */

const char *config_getenv(const char *name, void *user)
{
    (void)user;
    return getenv(name);
}

/* The value of name, or NULL when unset or empty. */
static const char *get(config_lookup_fn lookup, void *user, const char *name)
{
    const char *v = lookup(name, user);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* [config-error] */
/* The one error format: the variable, its value, what would do. */
static int bad(char *err, size_t err_len, const char *name, const char *value,
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
              (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
              *s == '-'))
            return false;
    return true;
}

static int load_strings(server_config *cfg, config_lookup_fn lookup,
                        void *user, char *err, size_t err_len)
{
    const char *v;
    if ((v = get(lookup, user, "HOST")) != NULL) {
        if (strlen(v) >= sizeof cfg->host || strpbrk(v, " \t\r\n/") != NULL)
            return bad(err, err_len, "HOST", v, "use an address such as "
                       "0.0.0.0, 127.0.0.1 or ::, or a host name");
        snprintf(cfg->host, sizeof cfg->host, "%s", v);
    }
    if ((v = get(lookup, user, "REPLICA_NAME")) != NULL) {
        if (!plain_name(v, sizeof cfg->replica - 1))
            return bad(err, err_len, "REPLICA_NAME", v, "use 1 to 253 letters, "
                       "digits, '.', '_' or '-'");
        snprintf(cfg->replica, sizeof cfg->replica, "%s", v);
    }
    if ((v = get(lookup, user, "AUTH_TOKENS")) != NULL) {
        if (strlen(v) >= sizeof cfg->auth_tokens)
            return bad(err, err_len, "AUTH_TOKENS", "(not shown)",
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

/* ---- exercise 3 ------------------------------------------------------ */

/* True when s is a whole decimal number from lo to hi (digits only, at
 * least one), stored in *out. */
static bool parse_number(const char *s, long lo, long hi, long *out)
{
    if (*s == '\0')
        return false;
    long n = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        n = n * 10 + (*p - '0');
        if (n > hi) /* stop before n can overflow */
            return false;
    }
    if (n < lo)
        return false;
    *out = n;
    return true;
}

#define PORT_HINT "use a port number from 0 to 65535 (0 picks a free port)"

int config_load(server_config *cfg, config_lookup_fn lookup, void *user,
                char *err, size_t err_len)
{
    defaults(cfg);
    if (load_strings(cfg, lookup, user, err, err_len) != 0)
        return -1;

    const char *v;
    long n;
    if ((v = get(lookup, user, "PORT")) != NULL) {
        if (!parse_number(v, 0, 65535, &n))
            return bad(err, err_len, "PORT", v, PORT_HINT);
        cfg->port = (int)n;
    }
    if ((v = get(lookup, user, "METRICS_PORT")) != NULL) {
        if (strcasecmp(v, "off") == 0)
            cfg->metrics_port = METRICS_OFF;
        else if (parse_number(v, 0, 65535, &n))
            cfg->metrics_port = (int)n;
        else
            return bad(err, err_len, "METRICS_PORT", v,
                       PORT_HINT ", or off to turn the endpoint off");
    }
    if (cfg->metrics_port > 0 && cfg->metrics_port == cfg->port) {
        char same[16];
        snprintf(same, sizeof same, "%d", cfg->metrics_port);
        return bad(err, err_len, "METRICS_PORT", same, "PORT is that port "
                   "too: give METRICS_PORT another port, 0 or off");
    }
    if ((v = get(lookup, user, "GRACE_PERIOD_SECONDS")) != NULL) {
        if (!parse_number(v, 0, CONFIG_MAX_GRACE_SECONDS, &n))
            return bad(err, err_len, "GRACE_PERIOD_SECONDS", v,
                       "use whole seconds from 0 to 3600");
        cfg->grace_seconds = (int)n;
    }
    if ((v = get(lookup, user, "LOG_LEVEL")) != NULL) {
        if (!log_level_parse(v, &cfg->log_level))
            return bad(err, err_len, "LOG_LEVEL", v,
                       "use debug, info, warn or error");
    }
    return 0;
}
