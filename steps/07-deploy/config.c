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
        /* TODO: "off" (any case) means METRICS_OFF */
        if (!config_parse_number(v, 0, 65535, &n))
            return config_bad(err, err_len, "METRICS_PORT", v,
                              CONFIG_PORT_HINT);
        cfg->metrics_port = (int)n;
    }
    /* TODO: refuse a METRICS_PORT equal to PORT (unless 0); read
     * GRACE_PERIOD_SECONDS (0 to CONFIG_MAX_GRACE_SECONDS) and LOG_LEVEL
     * (log_level_parse), each with its error */
    return 0;
}

bool config_parse_number(const char *s, long lo, long hi, long *out)
{
    (void)lo;
    (void)hi;
    *out = atol(s); /* TODO: atol reads "abc" as 0 and "80x" as 80: accept
                     * only digits, and only from lo to hi */
    return true;
}
