/*
 * fixture.c: test servers, channels, files, a watchdog and child processes
 * for step 05's suites (see fixture.h).
 */
#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <grpc/grpc.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

extern char **environ;

/* ===================================================================== */
/* Servers                                                                */
/* ===================================================================== */

static void setup_service(cg_server *srv, void *user)
{
    svc_register(srv, user);
}

bool fx_server_try_start(fx_server *s, const char *name)
{
    svc_init(&s->st, name);
    s->srv = cg_test_server_start(setup_service, &s->st, &s->port);
    snprintf(s->target, sizeof s->target, "127.0.0.1:%d", s->port);
    return s->srv != NULL;
}

void fx_server_start(fx_server *s, const char *name)
{
    if (!fx_server_try_start(s, name))
        fail_msg("the test server could not start on 127.0.0.1:0");
}

bool fx_server_start_on(fx_server *s, const char *name, int port)
{
    svc_init(&s->st, name);
    s->port = port;
    snprintf(s->target, sizeof s->target, "127.0.0.1:%d", port);
    /* The stopped server's listening socket is closed by gRPC core's own
     * threads, a moment after cg_server_free returns: until then the port
     * is in use. Try again for a while rather than fail at once. */
    int64_t until = fx_now_ms() + (int64_t)FX_WAIT_MS * fx_slow();
    for (;;) {
        s->srv = cg_server_new(NULL);
        if (s->srv == NULL)
            return false;
        if (cg_server_listen(s->srv, s->target, NULL, NULL) == port)
            break;
        cg_server_free(s->srv);
        s->srv = NULL;
        if (fx_now_ms() > until)
            return false;
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
    svc_register(s->srv, &s->st);
    if (cg_server_start(s->srv) != 0) {
        cg_server_free(s->srv);
        s->srv = NULL;
        return false;
    }
    return true;
}

void fx_server_stop(fx_server *s)
{
    if (s->srv != NULL)
        cg_server_free(s->srv);
    s->srv = NULL;
}

void fx_server_free(fx_server *s)
{
    fx_server_stop(s);
    svc_destroy(&s->st);
}

void fx_dead_target(char *buf, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        fail_msg("could not find a free port: %s", strerror(errno));
    /* Bound but never listening, then closed: nothing accepts there. */
    close(fd);
    snprintf(buf, cap, "127.0.0.1:%d", ntohs(a.sin_port));
}

static int64_t last_dead_use; /* fx_now_ms(), 0: never */

void fx_dead_target_used(void)
{
    last_dead_use = fx_now_ms();
}

/* fx_channel's channels not yet given to fx_channel_free (tests may make
 * them on threads of their own). */
#define FX_MAX_OPEN 64
static cg_channel *open_channels[FX_MAX_OPEN];
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;

cg_channel *fx_channel(const char *target)
{
    cg_status err;
    cg_channel_opts o = {.reconnect_backoff_ms = FX_RECONNECT_MS,
                         .reconnect_backoff_max_ms = FX_RECONNECT_MS};
    cg_channel *ch = cg_channel_new(target, &o, &err);
    if (ch == NULL)
        fail_msg("cg_channel_new(%s): %s", target, err.message);
    pthread_mutex_lock(&open_mu);
    for (int i = 0; i < FX_MAX_OPEN; i++) {
        if (open_channels[i] == NULL) {
            open_channels[i] = ch;
            break;
        }
    }
    pthread_mutex_unlock(&open_mu);
    return ch;
}

void fx_channel_free(cg_channel *ch)
{
    pthread_mutex_lock(&open_mu);
    for (int i = 0; ch != NULL && i < FX_MAX_OPEN; i++)
        if (open_channels[i] == ch)
            open_channels[i] = NULL;
    pthread_mutex_unlock(&open_mu);
    cg_channel_free(ch);
}

/* The channels of tests that failed before they freed them. */
static void free_open_channels(void)
{
    for (int i = 0; i < FX_MAX_OPEN; i++) {
        pthread_mutex_lock(&open_mu);
        cg_channel *ch = open_channels[i];
        pthread_mutex_unlock(&open_mu);
        if (ch != NULL)
            fx_channel_free(ch);
    }
}

int fx_group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    /* While no thread waits on a completion queue (a test between calls:
     * in a retry's pause, or reading cg_channel_state), gRPC core learns
     * how a connection attempt ended only from its backup poller, every
     * 5 s by default: a refused connection stayed CONNECTING for 5 s. Every
     * 50 ms here (read by grpc_init; a value set outside wins), so the
     * suites' server restarts take a second or two, not seven. */
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "50", 0);
    /* The core's threads start with every signal blocked (as the runtime
     * does), so the watchdog's alarm reaches a test thread. */
    return tu_grpc_group_setup(state);
}

int fx_group_teardown(void **state)
{
    (void)state;
    fx_watchdog(0, "");
    free_open_channels();
    if (last_dead_use != 0 && fx_slow() > 1) {
        /* The core's first reconnect backoff is 1 s (+-20%); see
         * fx_dead_target_used. Not a wait for readiness: nothing here
         * depends on it but valgrind's count of leftover threads. */
        int64_t wait = last_dead_use + 2500 - fx_now_ms();
        if (wait > 0) {
            struct timespec t = {(time_t)(wait / 1000),
                                 (long)(wait % 1000) * 1000000L};
            nanosleep(&t, NULL);
        }
    }
    /* Under valgrind, the core's last threads are let finish after
     * grpc_shutdown: one still closing a connection at exit leaves its
     * thread-local blocks "possibly lost", and when glibc gave it the
     * cached stack of a runtime thread, the report names the runtime's
     * frames. (The sanitizers count no leak there: no wait.) */
    if (fx_slow() > 1)
        return tu_grpc_group_teardown(state);
    grpc_shutdown();
    return 0;
}

const char *fx_quote(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    if (s == NULL) {
        snprintf(buf, cap, "(nothing)");
        return buf;
    }
    buf[n++] = '"';
    for (; *s != '\0' && n + 6 < cap; s++) {
        if (*s == '\n' || *s == '\t') {
            buf[n++] = '\\';
            buf[n++] = *s == '\n' ? 'n' : 't';
        } else {
            buf[n++] = *s;
        }
    }
    if (*s != '\0') {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

int fx_slow(void)
{
#ifdef RUNNING_ON_VALGRIND
    if (RUNNING_ON_VALGRIND)
        return 10;
#endif
    return 1;
}

/* ===================================================================== */
/* Watchdog                                                               */
/* ===================================================================== */

static char watchdog_msg[512];
static size_t watchdog_len;

static void on_alarm(int sig)
{
    (void)sig;
    /* Only async-signal-safe calls here: the message was formatted when
     * the watchdog was armed. */
    ssize_t w = write(STDOUT_FILENO, watchdog_msg, watchdog_len);
    (void)w;
    _exit(1);
}

void fx_watchdog(int seconds, const char *anchor)
{
    if (seconds <= 0) {
        alarm(0);
        return;
    }
    seconds *= fx_slow();
    int n = snprintf(watchdog_msg, sizeof watchdog_msg,
                     "\nThis test did not finish within %d s, so the suite "
                     "was stopped. Something in the client waits for an "
                     "event that never comes: a missing cg_call_close_send, "
                     "a thread that is never joined, a call without a "
                     "deadline?\n    see docs/en/steps/05-client.md%s\n",
                     seconds, anchor);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof watchdog_msg)
        n = (int)sizeof watchdog_msg - 1;
    watchdog_len = (size_t)n;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)seconds);
}

/* ===================================================================== */
/* Files                                                                  */
/* ===================================================================== */

void fx_temp_file(char *path, size_t cap, const char *name, size_t len,
                  unsigned seed, uint64_t *fnv)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/tmp", STEP_BUILD_DIR);
    mkdir(dir, 0755);
    snprintf(path, cap, "%s/%d-%s", dir, (int)getpid(), name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    uint64_t h = SVC_FNV_OFFSET;
    uint32_t x = seed ? seed : 1;
    unsigned char buf[4096];
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof buf ? len - done : sizeof buf;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13; /* xorshift32: bytes of every value */
            x ^= x >> 17;
            x ^= x << 5;
            buf[i] = (unsigned char)(x >> 11);
        }
        if (fwrite(buf, 1, n, f) != n)
            fail_msg("cannot write %s: %s", path, strerror(errno));
        h = svc_fnv1a(h, buf, n);
        done += n;
    }
    if (fclose(f) != 0)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    if (fnv != NULL)
        *fnv = h;
}

/* ===================================================================== */
/* Child processes                                                        */
/* ===================================================================== */

const char *fx_program(void)
{
    return STEP_BUILD_DIR "/client";
}

bool fx_proc_start(fx_proc *p, const char *const *argv)
{
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = -1;
    p->status = -1;
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err))
        fail_msg("pipe: %s", strerror(errno));
    /* Only the child's copies (made by dup2 below) survive the exec. */
    int *ends[] = {in, out, err};
    for (int i = 0; i < 3; i++) {
        fcntl(ends[i][0], F_SETFD, FD_CLOEXEC);
        fcntl(ends[i][1], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);

    size_t n = 0;
    while (argv[n] != NULL)
        n++;
    char **args = calloc(n + 1, sizeof *args);
    args[0] = (char *)fx_program();
    for (size_t i = 1; i < n; i++)
        args[i] = (char *)argv[i];
    /* The child starts with no signal blocked, whatever this thread has. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t deflt;
    sigemptyset(&deflt);
    sigaddset(&deflt, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &deflt);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(&p->pid, args[0], &fa, &attr, args, environ);
    p->first_pid = p->pid;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    free(args);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    if (rc != 0) {
        fx_proc_free(p);
        fail_msg("cannot run %s: %s (is it built? `make` in steps/05-client "
                 "builds it)",
                 fx_program(), strerror(rc));
    }
    return true;
}

void fx_proc_write(fx_proc *p, const char *text)
{
    size_t len = strlen(text), off = 0;
    while (p->in >= 0 && off < len) {
        ssize_t w = write(p->in, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void fx_proc_close_stdin(fx_proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

/* Reads whatever is ready on the child's pipes within wait_ms. Returns
 * false once both are at their end. */
static bool pump(fx_proc *p, int wait_ms)
{
    struct pollfd fds[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
    if (p->out < 0 && p->err < 0)
        return false;
    int r = poll(fds, 2, wait_ms);
    if (r <= 0)
        return true;
    char buf[4096];
    for (int i = 0; i < 2; i++) {
        int *fd = i == 0 ? &p->out : &p->err;
        if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            if (i == 0)
                append(&p->out_text, &p->out_len, buf, (size_t)n);
            else
                append(&p->err_text, &p->err_len, buf, (size_t)n);
        } else if (n == 0 || errno != EINTR) {
            close(*fd);
            *fd = -1;
        }
    }
    return p->out >= 0 || p->err >= 0;
}

bool fx_proc_wait_output(fx_proc *p, const char *text, int timeout_ms)
{
    int64_t until = fx_now_ms() + (int64_t)timeout_ms * fx_slow();
    while (p->out_text == NULL || strstr(p->out_text, text) == NULL) {
        int64_t left = until - fx_now_ms();
        if (left <= 0 || p->out < 0)
            return p->out_text != NULL && strstr(p->out_text, text) != NULL;
        pump(p, (int)(left < 50 ? left : 50));
    }
    return true;
}

int fx_proc_wait(fx_proc *p, int timeout_ms)
{
    int64_t until = fx_now_ms() + (int64_t)timeout_ms * fx_slow();
    bool killed = false;
    fx_proc_close_stdin(p);
    for (;;) {
        int64_t left = until - fx_now_ms();
        if (left <= 0 && !killed) {
            kill(p->pid, SIGKILL);
            killed = true;
        }
        if (!pump(p, left > 0 ? (int)(left < 50 ? left : 50) : 50))
            break;
    }
    int ws = 0;
    while (waitpid(p->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    p->pid = 0;
    if (p->out_text == NULL)
        append(&p->out_text, &p->out_len, "", 0);
    if (p->err_text == NULL)
        append(&p->err_text, &p->err_len, "", 0);
    p->status = !killed && WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    return p->status;
}

void fx_proc_free(fx_proc *p)
{
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    /* What it said on stderr, for the verdict when the test fails. */
    if (p->err_text != NULL)
        tu_save_program_stderr(STEP_BUILD_DIR, fx_program(), (int)p->first_pid,
                               p->err_text, p->err_len);
    fx_proc_close_stdin(p);
    if (p->out >= 0)
        close(p->out);
    if (p->err >= 0)
        close(p->err);
    free(p->out_text);
    free(p->err_text);
    memset(p, 0, sizeof *p);
    p->in = p->out = p->err = -1;
}

int fx_run(fx_proc *p, const char *const *argv, const char *input,
           int timeout_ms)
{
    fx_proc_start(p, argv);
    if (input != NULL)
        fx_proc_write(p, input);
    return fx_proc_wait(p, timeout_ms);
}
