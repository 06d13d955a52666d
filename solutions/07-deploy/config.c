/*
 * config.c: exercise 3, the configuration from the environment: parse the
 * numbers strictly and say clearly what is wrong (contracts in config.h;
 * config_load, given in given/config_given.c, calls these two).
 * Test: `make test` here; suite config. Lesson:
 * docs/en/steps/07-deploy.md#exercise-3-configuration-from-the-environment
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

int config_load_rest(server_config *cfg, config_lookup_fn lookup, void *user,
                     char *err, size_t err_len)
{
    const char *v;
    long n;
    if ((v = config_get(lookup, user, "METRICS_PORT")) != NULL) {
        if (strcasecmp(v, "off") == 0)
            cfg->metrics_port = METRICS_OFF;
        else if (config_parse_number(v, 0, 65535, &n))
            cfg->metrics_port = (int)n;
        else
            return config_bad(err, err_len, "METRICS_PORT", v,
                              CONFIG_PORT_HINT
                              ", or off to turn the endpoint off");
    }
    if (cfg->metrics_port > 0 && cfg->metrics_port == cfg->port) {
        char same[16];
        snprintf(same, sizeof same, "%d", cfg->metrics_port);
        return config_bad(err, err_len, "METRICS_PORT", same,
                          "PORT is that "
                          "port too: give METRICS_PORT another port, 0 or off");
    }
    if ((v = config_get(lookup, user, "GRACE_PERIOD_SECONDS")) != NULL) {
        if (!config_parse_number(v, 0, CONFIG_MAX_GRACE_SECONDS, &n))
            return config_bad(err, err_len, "GRACE_PERIOD_SECONDS", v,
                              "use whole seconds from 0 to 3600");
        cfg->grace_seconds = (int)n;
    }
    if ((v = config_get(lookup, user, "LOG_LEVEL")) != NULL) {
        if (!log_level_parse(v, &cfg->log_level))
            return config_bad(err, err_len, "LOG_LEVEL", v,
                              "use debug, info, warn or error");
    }
    return 0;
}

bool config_parse_number(const char *s, long lo, long hi, long *out)
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
