/*
 * child.c: runs a program with a time limit (see child.h).
 *
 * The suites that run children start no gRPC threads of their own, so a
 * plain fork is safe here, and the child does nothing but exec. The exit is
 * noticed on a pidfd (Linux 5.3+) with poll, or by a look every few
 * milliseconds where pidfds are missing.
 */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long clock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The suite's environment with CMOCKA_MESSAGE_OUTPUT=stdout, so that the
 * child's failure messages land in the output file in order. Made before
 * the fork: between fork and exec the child must not allocate. */
static char **environment_for_child(void)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc(n + 2, sizeof *env);
    if (env == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "CMOCKA_MESSAGE_OUTPUT=", 22) != 0)
            env[k++] = environ[i];
    env[k++] = "CMOCKA_MESSAGE_OUTPUT=stdout";
    env[k] = NULL;
    return env;
}

/* The child's side of the fork: only async-signal-safe calls, then exec.
 * Exit status 127 when the exec fails. */
static void exec_in_child(char *const argv[], char **env, int in, int out,
                          pid_t suite)
{
    /* Whatever ends the suite (a crash, a timeout, Ctrl-C), the kernel
     * then ends this child too: no test program is ever left running. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != suite)
        _exit(127); /* the suite is already gone */
    sigset_t nothing;
    sigemptyset(&nothing);
    sigprocmask(SIG_SETMASK, &nothing, NULL);
    if (in >= 0)
        dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    execve(argv[0], argv, env != NULL ? env : environ);
    _exit(127);
}

/* Waits for the child to exit, up to `until` (clock_ms). True if it did.
 * WNOWAIT leaves it a zombie, reaped by the caller. */
static bool exited_before(pid_t pid, long until)
{
    int pidfd = -1;
#ifdef SYS_pidfd_open
    pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    bool exited = false;
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        int w = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT);
        if ((w == 0 && info.si_pid == pid) || (w < 0 && errno != EINTR)) {
            exited = true;
            break;
        }
        long left = until - clock_ms();
        if (left <= 0)
            break;
        if (pidfd >= 0) {
            struct pollfd p = {.fd = pidfd, .events = POLLIN};
            poll(&p, 1, (int)(left < 1000 ? left : 1000));
        } else {
            struct timespec pause = {0, 5 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return exited;
}

/* Reads the start of the output file into r->output. */
static void keep_output(const char *path, child_result *r)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    size_t n = fread(r->output, 1, sizeof r->output - 1, f);
    r->output[n] = '\0';
    fclose(f);
}

bool child_start(char *const argv[], const char *out_path, int timeout_ms,
                 child *c, child_result *r)
{
    memset(r, 0, sizeof *r);
    memset(c, 0, sizeof *c);
    snprintf(c->out_path, sizeof c->out_path, "%s", out_path);
    c->timeout_ms = timeout_ms;
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        snprintf(r->output, sizeof r->output, "%s: %s", out_path,
                 strerror(errno));
        return false;
    }
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    char **env = environment_for_child();
    c->start = clock_ms();

    pid_t suite = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_in_child(argv, env, in, out, suite);
    int fork_errno = errno;
    close(out);
    if (in >= 0)
        close(in);
    free(env);
    if (pid < 0) {
        snprintf(r->output, sizeof r->output, "fork: %s", strerror(fork_errno));
        return false;
    }
    c->pid = pid;
    return true;
}

void child_finish(child *c, child_result *r)
{
    memset(r, 0, sizeof *r);
    r->started = true;
    if (!exited_before(c->pid, c->start + c->timeout_ms)) {
        r->timed_out = true;
        kill(c->pid, SIGKILL);
    }
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
    c->pid = 0;
    r->ms = clock_ms() - c->start;
    if (!r->timed_out && WIFEXITED(status))
        r->exit_code = WEXITSTATUS(status);
    else if (!r->timed_out && WIFSIGNALED(status))
        r->signal = WTERMSIG(status);
    keep_output(c->out_path, r);
}

void child_cancel(child *c)
{
    if (c->pid <= 0)
        return;
    kill(c->pid, SIGKILL);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    c->pid = 0;
}

void child_run(char *const argv[], const char *out_path, int timeout_ms,
               child_result *r)
{
    child c;
    if (child_start(argv, out_path, timeout_ms, &c, r))
        child_finish(&c, r);
}

bool child_passed(const child_result *r)
{
    return r->started && !r->timed_out && r->signal == 0 && r->exit_code == 0;
}
