/*
 * test_config.c: exercise 3, the configuration from the environment
 * (config.c): config_load with a table standing in for the environment,
 * then the program itself, which must refuse a bad value with exit status
 * 2 before it listens.
 */
#define LESSON_PAGE "steps/07-deploy.md"
#define EXERCISE_FILE "config.c"
#include "lesson.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

/* The "environment" of one test: NAME=value strings, NULL-terminated. */
static const char *lookup(const char *name, void *user)
{
    const char *const *env = user;
    size_t n = strlen(name);
    for (; *env != NULL; env++)
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
            return *env + n + 1;
    return NULL;
}

typedef struct loaded {
    int rc;
    server_config cfg;
    char err[256];
    char with[256]; /* the settings, for messages: "PORT=0 GRACE_...=7" */
} loaded;

static loaded load(const char *const env[])
{
    loaded l;
    memset(&l, 0, sizeof l);
    for (size_t i = 0; env[i] != NULL; i++)
        snprintf(l.with + strlen(l.with), sizeof l.with - strlen(l.with),
                 "%s%s", i ? " " : "", env[i]);
    if (env[0] == NULL)
        snprintf(l.with, sizeof l.with, "no variable set");
    l.rc = config_load(&l.cfg, lookup, (void *)env, l.err, sizeof l.err);
    return l;
}

/* One variable alone. */
static loaded load1(const char *setting)
{
    const char *const env[] = {setting, NULL};
    return load(env);
}

/* `setting` ("NAME=value") must be accepted. */
#define expect_good(setting, section)                                          \
    do {                                                                       \
        loaded l_ = load1(setting);                                            \
        expect_true(l_.rc == 0, section,                                       \
                    "%s should be accepted; "                                  \
                    "config_load said: %s",                                    \
                    setting, l_.err);                                          \
    } while (0)

/* `setting` must be refused with a message that names the variable, shows
 * the value, and says what is accepted (contains `hint`). */
static void expect_bad(const char *setting, const char *hint)
{
    loaded l = load1(setting);
    const char *eq = strchr(setting, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - setting), setting);
    expect_true(l.rc == -1, "#parsing-strictly",
                "%s should be refused (-1), "
                "got %d",
                setting, l.rc);
    expect_true(strstr(l.err, name) != NULL && strstr(l.err, eq + 1) != NULL,
                "#parsing-strictly",
                "the error for %s should name %s and "
                "show the value; got \"%s\"",
                setting, name, l.err);
    expect_true(strstr(l.err, hint) != NULL, "#parsing-strictly",
                "the error for %s should say what is accepted (\"%s\"); "
                "got \"%s\"",
                setting, hint, l.err);
    expect_true(strchr(l.err, '\n') == NULL, "#parsing-strictly",
                "the error should be one line; got \"%s\"", l.err);
}

/* ---- given: defaults, HOST, REPLICA_NAME --------------------------------- */

static void test_config_defaults(void **state)
{
    (void)state;
    const char *const none[] = {NULL};
    loaded l = load(none);
    char host[64] = "";
    gethostname(host, sizeof host);
    expect_int_as(l.rc, 0, "#exercise-3-configuration-from-the-environment",
                  "config_load with %s (its error: \"%s\")", l.with, l.err);
    expect_str_as(l.cfg.host, "0.0.0.0",
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.host after config_load with %s", l.with);
    expect_int_as(l.cfg.port, 50051,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.port after config_load with %s", l.with);
    expect_int_as(l.cfg.metrics_port, 9464,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.metrics_port after config_load with %s", l.with);
    expect_int_as(l.cfg.grace_seconds, 20,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.grace_seconds after config_load with %s", l.with);
    expect_int_as(l.cfg.log_level, LOG_LEVEL_INFO,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.log_level after config_load with %s", l.with);
    expect_str_as(l.cfg.auth_tokens, "",
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.auth_tokens after config_load with %s", l.with);
    expect_true(l.cfg.replica[0] != '\0',
                "#exercise-3-configuration-from-the-environment",
                "REPLICA_NAME should default to the host name");
}

static void test_config_host_and_replica(void **state)
{
    (void)state;
    const char *const env[] = {"HOST=127.0.0.1", "REPLICA_NAME=grpc-server-0",
                               "AUTH_TOKENS=abc=reader", NULL};
    loaded l = load(env);
    expect_int_as(l.rc, 0, "#exercise-3-configuration-from-the-environment",
                  "config_load with %s (its error: \"%s\")", l.with, l.err);
    expect_str_as(l.cfg.host, "127.0.0.1",
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.host after config_load with %s", l.with);
    expect_str_as(l.cfg.replica, "grpc-server-0",
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.replica after config_load with %s", l.with);
    expect_str_as(l.cfg.auth_tokens, "abc=reader",
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.auth_tokens after config_load with %s", l.with);
    char addr[300];
    config_listen_address(&l.cfg, addr, sizeof addr);
    expect_str(addr, "127.0.0.1:50051",
               "#exercise-3-configuration-from-the-environment");
    const char *const v6[] = {"HOST=::", NULL};
    l = load(v6);
    config_listen_address(&l.cfg, addr, sizeof addr);
    expect_str(addr, "[::]:50051",
               "#exercise-3-configuration-from-the-environment");
    expect_bad("REPLICA_NAME=two words", "letters");
}

/* ---- exercise 3 ----------------------------------------------------------- */

static void test_config_port(void **state)
{
    (void)state;
    loaded l = load1("PORT=0");
    expect_int_as(l.cfg.port, 0,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.port after config_load with %s", l.with);
    l = load1("PORT=65535");
    expect_int_as(l.cfg.port, 65535,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.port after config_load with %s", l.with);
    expect_good("PORT=8080", "#parsing-strictly");
    expect_bad("PORT=abc", "65535");
    expect_bad("PORT=80x", "65535");
    expect_bad("PORT=-1", "65535");
    expect_bad("PORT=65536", "65535");
    expect_bad("PORT=+80", "65535");
    expect_bad("PORT= 80", "65535");
    expect_bad("PORT=0x50", "65535");
    expect_bad("PORT=99999999999999999999999", "65535");
}

static void test_config_metrics_port(void **state)
{
    (void)state;
    loaded l = load1("METRICS_PORT=9090");
    expect_int_as(l.cfg.metrics_port, 9090,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.metrics_port after config_load with %s", l.with);
    l = load1("METRICS_PORT=0");
    expect_int_as(l.cfg.metrics_port, 0,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.metrics_port after config_load with %s", l.with);
    l = load1("METRICS_PORT=off");
    expect_int_as(l.rc, 0, "#exercise-3-configuration-from-the-environment",
                  "config_load with %s (its error: \"%s\")", l.with, l.err);
    expect_int_as(l.cfg.metrics_port, METRICS_OFF,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.metrics_port after config_load with %s", l.with);
    l = load1("METRICS_PORT=OFF");
    expect_int_as(l.cfg.metrics_port, METRICS_OFF,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.metrics_port after config_load with %s", l.with);
    expect_bad("METRICS_PORT=on", "off");
    expect_bad("METRICS_PORT=70000", "65535");
    /* Two servers cannot share one port. 0 is not a port but a request
     * for any free one, so PORT=0 METRICS_PORT=0 is fine. */
    const char *const same[] = {"PORT=9000", "METRICS_PORT=9000", NULL};
    l = load(same);
    expect_true(l.rc == -1 && strstr(l.err, "METRICS_PORT") != NULL,
                "#parsing-strictly",
                "PORT=9000 with METRICS_PORT=9000 "
                "should be refused, naming METRICS_PORT; got %d \"%s\"",
                l.rc, l.err);
    const char *const def[] = {"PORT=9464", NULL}; /* METRICS_PORT's default */
    l = load(def);
    expect_true(l.rc == -1 && strstr(l.err, "METRICS_PORT") != NULL,
                "#parsing-strictly",
                "PORT=9464 clashes with METRICS_PORT's "
                "default and should be refused; got %d \"%s\"",
                l.rc, l.err);
    const char *const zeros[] = {"PORT=0", "METRICS_PORT=0", NULL};
    l = load(zeros);
    expect_int_as(l.rc, 0, "#parsing-strictly",
                  "config_load with %s (its error: \"%s\")", l.with, l.err);
}

static void test_config_grace_period(void **state)
{
    (void)state;
    loaded l = load1("GRACE_PERIOD_SECONDS=0");
    expect_int_as(l.rc, 0, "#the-grace-period",
                  "config_load with %s (its error: \"%s\")", l.with, l.err);
    expect_int_as(l.cfg.grace_seconds, 0, "#the-grace-period",
                  "cfg.grace_seconds after config_load with %s", l.with);
    l = load1("GRACE_PERIOD_SECONDS=25");
    expect_int_as(l.cfg.grace_seconds, 25, "#the-grace-period",
                  "cfg.grace_seconds after config_load with %s", l.with);
    l = load1("GRACE_PERIOD_SECONDS=3600");
    expect_int_as(l.cfg.grace_seconds, 3600, "#the-grace-period",
                  "cfg.grace_seconds after config_load with %s", l.with);
    expect_bad("GRACE_PERIOD_SECONDS=-1", "3600");
    expect_bad("GRACE_PERIOD_SECONDS=1.5", "3600");
    expect_bad("GRACE_PERIOD_SECONDS=3601", "3600");
    expect_bad("GRACE_PERIOD_SECONDS=30s", "3600");
}

static void test_config_log_level(void **state)
{
    (void)state;
    static const struct {
        const char *setting;
        log_level want;
    } good[] = {{"LOG_LEVEL=debug", LOG_LEVEL_DEBUG},
                {"LOG_LEVEL=info", LOG_LEVEL_INFO},
                {"LOG_LEVEL=warn", LOG_LEVEL_WARN},
                {"LOG_LEVEL=error", LOG_LEVEL_ERROR},
                {"LOG_LEVEL=WARN", LOG_LEVEL_WARN}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        loaded l = load1(good[i].setting);
        expect_true(l.rc == 0 && l.cfg.log_level == good[i].want,
                    "#exercise-3-configuration-from-the-environment",
                    "%s: expected level %s, got %s (rc %d, \"%s\")",
                    good[i].setting, log_level_name(good[i].want),
                    log_level_name(l.cfg.log_level), l.rc, l.err);
    }
    expect_bad("LOG_LEVEL=loud", "debug");
    expect_bad("LOG_LEVEL=verbose", "error");
}

static void test_config_empty_means_unset(void **state)
{
    (void)state;
    const char *const env[] = {"PORT=",      "METRICS_PORT=",
                               "LOG_LEVEL=", "GRACE_PERIOD_SECONDS=",
                               "HOST=",      NULL};
    loaded l = load(env);
    expect_int_as(l.rc, 0, "#exercise-3-configuration-from-the-environment",
                  "config_load with %s (its error: \"%s\")", l.with, l.err);
    expect_int_as(l.cfg.port, 50051,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.port after config_load with %s", l.with);
    expect_int_as(l.cfg.grace_seconds, 20,
                  "#exercise-3-configuration-from-the-environment",
                  "cfg.grace_seconds after config_load with %s", l.with);
    /* Not read at all yet is not the same as read well: one set value. */
    const char *const set[] = {"PORT=", "GRACE_PERIOD_SECONDS=7", NULL};
    l = load(set);
    expect_int_as(l.cfg.grace_seconds, 7, "#the-grace-period",
                  "cfg.grace_seconds after config_load with %s", l.with);
}

/* ---- the program --------------------------------------------------------------- */

static void test_config_program_exits_2(void **state)
{
    (void)state;
    static const char *const bad[][5] = {
        {"HOST=127.0.0.1", "PORT=abc", "METRICS_PORT=0", NULL},
        {"HOST=127.0.0.1", "PORT=0", "METRICS_PORT=0", "LOG_LEVEL=loud", NULL},
        {"HOST=127.0.0.1", "PORT=0", "METRICS_PORT=0",
         "GRACE_PERIOD_SECONDS=-1", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        program pg;
        bool started = false;
        bool exited = program_run_to_exit(&pg, bad[i], NULL, WAIT_MS, &started);
        int code = exited ? proc_exit_code(&pg.p) : -1;
        const char *setting = bad[i][1] != NULL && strstr(bad[i][1], "abc")
                                  ? bad[i][1]
                                  : bad[i][3];
        const char *eq = strchr(setting, '=');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(eq - setting), setting);
        expect_true(!started, "#parsing-strictly",
                    "with %s the program "
                    "started serving; it should refuse the value and exit 2",
                    setting);
        expect_true(exited, "#parsing-strictly",
                    "with %s the program did "
                    "not exit",
                    setting);
        expect_int_as(code, 2, "#parsing-strictly", "the exit status with %s",
                      setting);
        expect_true(strstr(pg.p.err, name) != NULL &&
                        strstr(pg.p.err, eq + 1) != NULL,
                    "#parsing-strictly",
                    "with %s, stderr should name the "
                    "variable and its value; it says: %s",
                    setting, pg.p.err);
    }
}

/* A listening socket on a port of 127.0.0.1 the kernel picked: that port
 * is busy while *fd is open. Returns the port, or 0. */
static int occupy_port(int *fd)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*fd < 0 || bind(*fd, (const struct sockaddr *)&sa, sl) != 0 ||
        listen(*fd, 4) != 0 ||
        getsockname(*fd, (struct sockaddr *)&sa, &sl) != 0)
        return 0;
    return ntohs(sa.sin_port);
}

static void test_config_program_listen_flag_wins(void **state)
{
    (void)state;
    /* PORT names a port this test holds: the program must not try it,
     * because --listen says where to listen instead. */
    int fd;
    int busy = occupy_port(&fd);
    char port_env[32];
    snprintf(port_env, sizeof port_env, "PORT=%d", busy);
    const char *const env[] = {"HOST=127.0.0.1", port_env, "METRICS_PORT=off",
                               NULL};
    const char *const args[] = {"--listen", "127.0.0.1:0", NULL};
    program pg;
    char why[20000] = "";
    bool up = busy > 0 && program_start(&pg, env, args, false, why, sizeof why);
    int port = up ? pg.port : 0;
    if (up)
        program_end(&pg);
    if (fd >= 0)
        close(fd);
    expect_true(busy > 0, "#exercise-3-configuration-from-the-environment",
                "could not take a port for the test");
    expect_true(up, "#exercise-3-configuration-from-the-environment", "%s",
                why);
    expect_true(port != busy, "#exercise-3-configuration-from-the-environment",
                "--listen should win over PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_host_and_replica),
        cmocka_unit_test(test_config_port),
        cmocka_unit_test(test_config_metrics_port),
        cmocka_unit_test(test_config_grace_period),
        cmocka_unit_test(test_config_log_level),
        cmocka_unit_test(test_config_empty_means_unset),
        cmocka_unit_test(test_config_program_exits_2),
        cmocka_unit_test(test_config_program_listen_flag_wins),
    };
    return cmocka_run_group_tests(tests, grpc_suite_setup, grpc_suite_teardown);
}
