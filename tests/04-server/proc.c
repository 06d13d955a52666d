/*
 * proc.c: running a program from a test (see proc.h).
 *
 * Everything waits in poll() with a deadline: on the pipes for output, and
 * on a pidfd (Linux 5.3+) for the exit. Where pidfds are missing, the exit
 * is checked between short polls instead.
 */
#define _GNU_SOURCE
#include "proc.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool proc_start(proc *p, char *const argv[])
{
    memset(p, 0, sizeof *p);
    p->out_fd = p->err_fd = p->pidfd = -1;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return false;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return false;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The child of a threaded process: only async-signal-safe calls
         * until exec. dup2 clears O_CLOEXEC on 0, 1 and 2. If the test
         * dies (a crash, a timeout's SIGKILL), the kernel kills the child
         * too: no server is ever left behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
#ifdef SYS_close_range
        syscall(SYS_close_range, 3u, ~0u, 0u);
#endif
        execv(argv[0], argv);
        static const char msg[] = "exec failed\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
            /* nothing more to do */
        }
        _exit(127);
    }
    int saved = errno;
    close(out[1]);
    close(err[1]);
    if (devnull >= 0)
        close(devnull);
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        errno = saved;
        return false;
    }
    p->started = true;
    p->pid = p->first_pid = pid;
    /* Its name: argv[0], or the program that /usr/bin/env runs. */
    const char *prog = argv[0];
    if (strcmp(prog, "/usr/bin/env") == 0)
        for (int i = 1; argv[i] != NULL; i++)
            if (strchr(argv[i], '=') == NULL && argv[i][0] != '-') {
                prog = argv[i];
                break;
            }
    const char *base = strrchr(prog, '/');
    snprintf(p->name, sizeof p->name, "%s", base ? base + 1 : prog);
    p->out_fd = out[0];
    p->err_fd = err[0];
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    return true;
}

/* Reads what fd has into buf (dropping what does not fit); closes it and
 * sets *fd = -1 at EOF. */
static void drain(int *fd, char *buf, size_t cap, size_t *len)
{
    for (;;) {
        char tmp[4096];
        ssize_t n = read(*fd, tmp, sizeof tmp);
        if (n > 0) {
            size_t room = cap - 1 - *len;
            size_t k = (size_t)n < room ? (size_t)n : room;
            memcpy(buf + *len, tmp, k);
            *len += k;
            buf[*len] = '\0';
            continue;
        }
        if (n < 0 && (errno == EINTR))
            continue;
        if (n == 0 || errno != EAGAIN) {
            close(*fd);
            *fd = -1;
        }
        return;
    }
}

/* Reaps the child if it has exited. */
static void try_reap(proc *p)
{
    if (p->pid > 0 && waitpid(p->pid, &p->status, WNOHANG) == p->pid) {
        p->pid = 0;
        if (p->pidfd >= 0) {
            close(p->pidfd);
            p->pidfd = -1;
        }
    }
}

/* One round of waiting, at most until `until`: reads output, notices the
 * exit. watch_exit: also wake up when the child exits. */
static void pump(proc *p, int64_t until, bool watch_exit)
{
    struct pollfd fds[3];
    int n = 0;
    if (p->out_fd >= 0)
        fds[n++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
    if (p->err_fd >= 0)
        fds[n++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
    bool by_pidfd = watch_exit && p->pid > 0 && p->pidfd >= 0;
    if (by_pidfd)
        fds[n++] = (struct pollfd){.fd = p->pidfd, .events = POLLIN};
    int64_t left = until - mono_ms();
    if (left < 0)
        left = 0;
    /* Without a pidfd, look at the child every 10 ms. */
    if (watch_exit && p->pid > 0 && !by_pidfd && left > 10)
        left = 10;
    if (n > 0) {
        if (poll(fds, (nfds_t)n, (int)left) < 0 && errno != EINTR)
            return;
    } else if (left > 0) {
        struct timespec t = {0, (long)left * 1000000L};
        nanosleep(&t, NULL);
    }
    if (p->out_fd >= 0)
        drain(&p->out_fd, p->out, sizeof p->out, &p->out_len);
    if (p->err_fd >= 0)
        drain(&p->err_fd, p->err, sizeof p->err, &p->err_len);
    if (watch_exit)
        try_reap(p);
}

bool proc_read_line(proc *p, char *line, size_t cap, int timeout_ms)
{
    int64_t until = mono_ms() + timeout_ms;
    for (;;) {
        char *start = p->out + p->out_seen;
        char *nl = memchr(start, '\n', p->out_len - p->out_seen);
        if (nl != NULL) {
            size_t n = (size_t)(nl - start);
            size_t k = n < cap - 1 ? n : cap - 1;
            memcpy(line, start, k);
            line[k] = '\0';
            p->out_seen += n + 1;
            return true;
        }
        if (p->out_fd < 0 || mono_ms() >= until)
            return false;
        pump(p, until, false);
    }
}

bool proc_wait(proc *p, int timeout_ms)
{
    int64_t until = mono_ms() + timeout_ms;
    for (;;) {
        try_reap(p);
        if (p->pid == 0 && p->out_fd < 0 && p->err_fd < 0)
            return true;
        if (mono_ms() >= until)
            return false;
        pump(p, until, true);
    }
}

int proc_exit_code(const proc *p)
{
    if (WIFEXITED(p->status))
        return WEXITSTATUS(p->status);
    if (WIFSIGNALED(p->status))
        return 128 + WTERMSIG(p->status);
    return -1;
}

void proc_signal(proc *p, int sig)
{
    if (p->pid > 0)
        kill(p->pid, sig);
}

void proc_end(proc *p)
{
    if (!p->started)
        return;
    if (p->pid > 0) {
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
            continue;
        p->pid = 0;
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->out_fd = p->err_fd = p->pidfd = -1;
    if (!p->err_saved) {
        p->err_saved = true;
        tu_save_program_stderr(STEP_BUILD_DIR, p->name, (int)p->first_pid,
                               p->err, p->err_len);
    }
}

bool proc_start_server(proc *p, const char *listen, int *port, char *why,
                       size_t why_len, int timeout_ms)
{
    char *argv[] = {SERVER_PROGRAM, "--listen", (char *)listen, NULL};
    *port = 0;
    if (access(SERVER_PROGRAM, X_OK) != 0) {
        snprintf(why, why_len,
                 "%s is missing: build it with `make` in "
                 "steps/04-server",
                 SERVER_PROGRAM);
        memset(p, 0, sizeof *p);
        return false;
    }
    if (!proc_start(p, argv)) {
        snprintf(why, why_len, "could not start %s: %s", SERVER_PROGRAM,
                 strerror(errno));
        return false;
    }
    char line[256];
    while (proc_read_line(p, line, sizeof line, timeout_ms)) {
        const char *colon = strrchr(line, ':');
        if (strncmp(line, "listening on ", 13) == 0 && colon != NULL) {
            *port = atoi(colon + 1);
            if (*port > 0)
                return true;
        }
    }
    proc_signal(p, SIGKILL);
    proc_wait(p, 2000);
    snprintf(why, why_len,
             "no \"listening on HOST:PORT\" line from `%s "
             "--listen %s` within %d ms. It printed:\n%s\nand on stderr:\n%s",
             SERVER_PROGRAM, listen, timeout_ms, p->out, p->err);
    proc_end(p);
    return false;
}
