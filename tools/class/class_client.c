/*
 * class_client.c: the learner's and the teacher's side of ClassService.
 *
 *   class_client send  --addr HOST:PORT --queue DIR [--timeout-ms N]
 *       sends the queued reports in DIR (*.rep files, oldest first; see
 *       tools/course/coursekit/classroom.py) and removes each one the server took.
 *       Stops at the first that cannot go now (server down, too many at
 *       once) and leaves it and the rest queued. One sender at a time
 *       (DIR/.lock); the outcome goes to DIR/status. Prints nothing.
 *   class_client report --addr HOST:PORT KEY=VALUE...
 *       one report from the command line (the tests and make class-load);
 *       prints "OK reports=N duplicate=0|1" or "CODE: message".
 *   class_client report --addr HOST:PORT --repeat N KEY=VALUE...
 *       the same report N times on one connection, with report ids
 *       ID-0 ... ID-N-1 (a flood, for the tests); a line per answer.
 *   class_client ping --addr HOST:PORT      is the server there, does it take
 *       the code? Prints "OK learners=N reports=M" or "CODE: message".
 *   class_client board --addr HOST:PORT     the board once, as a table
 *   class_client watch --addr HOST:PORT [--updates N]
 *       the board after every change (a server stream), until Ctrl-C or N
 *       boards.
 *
 * The class code comes from the environment (CLASS_CODE), so it is not on
 * the command line for others to read in `ps`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <cgrpc.h>

#include "class/v1/class_service.cgrpc.h"

#define STORE_ID_BUF 64
#define FIELD_MAX (128 * 1024) /* above the server's 64 KiB message limit */

typedef struct report_buf {
    Tutorial__V1__ClassReport r;
    char text[8][FIELD_MAX]; /* the string fields' storage */
} report_buf;

static cg_call_opts call_opts(int64_t timeout_ms, cg_md *md)
{
    const char *code = getenv("CLASS_CODE");
    md->key = "class-code";
    md->value = code ? code : "";
    md->value_len = 0;
    return (cg_call_opts){.timeout_ms = timeout_ms,
                          .metadata = md,
                          .n_metadata = 1,
                          .ready = CG_READY_FAIL_FAST};
}

/* ---- reports from KEY=VALUE ------------------------------------------- */

/* Undoes the queue file's escapes: \n, \\ (the values are single lines). */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else if (*p == '\\' && p[1] == '\\') {
            *o++ = '\\';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static bool set_field(report_buf *b, const char *kv)
{
    static const char *const keys[8] = {
        "report_id", "learner",     "step",   "first_failing",
        "section",   "build_error", "source", NULL};
    Tutorial__V1__ClassReport *r = &b->r;
    char **slots[7] = {&r->report_id,     &r->learner, &r->step,
                       &r->first_failing, &r->section, &r->build_error,
                       &r->source};
    const char *eq = strchr(kv, '=');
    if (eq == NULL)
        return false;
    size_t klen = (size_t)(eq - kv);
    const char *v = eq + 1;
    for (int i = 0; keys[i]; i++)
        if (strlen(keys[i]) == klen && strncmp(kv, keys[i], klen) == 0) {
            snprintf(b->text[i], FIELD_MAX, "%s", v);
            unescape(b->text[i]);
            *slots[i] = b->text[i];
            return true;
        }
    if (klen == 6 && strncmp(kv, "passed", 6) == 0)
        r->passed = atoi(v);
    else if (klen == 6 && strncmp(kv, "failed", 6) == 0)
        r->failed = atoi(v);
    else if (klen == 12 && strncmp(kv, "build_failed", 12) == 0)
        r->build_failed = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
    else if (klen == 2 && strncmp(kv, "at", 2) == 0)
        r->at = strtoll(v, NULL, 10);
    else
        return false;
    return true;
}

static void report_init(report_buf *b)
{
    memset(b, 0, sizeof *b);
    tutorial__v1__class_report__init(&b->r);
    b->r.at = (int64_t)time(NULL);
}

static cg_status send_report(cg_channel *ch, const report_buf *b,
                             int64_t timeout_ms,
                             Tutorial__V1__ClassReportAck **ack)
{
    cg_md md;
    cg_call_opts opts = call_opts(timeout_ms, &md);
    return tutorial__v1__class_service_client__report(ch, &b->r, ack, &opts);
}

static int cmd_report(cg_channel *ch, int argc, char **argv, long repeat)
{
    report_buf *b = malloc(sizeof *b);
    if (b == NULL)
        return 1;
    report_init(b);
    for (int i = 0; i < argc; i++)
        if (!set_field(b, argv[i])) {
            fprintf(
                stderr,
                "class_client: '%s' is not KEY=VALUE of a ClassReport field\n",
                argv[i]);
            free(b);
            return 2;
        }
    int rc = 0;
    for (long i = 0; i < repeat; i++) {
        char id[STORE_ID_BUF];
        if (repeat >
            1) { /* a burst: the same report under ids ID-0, ID-1, ... */
            snprintf(id, sizeof id, "%.40s-%ld", b->text[0], i);
            b->r.report_id = id;
        }
        Tutorial__V1__ClassReportAck *ack = NULL;
        cg_status st = send_report(ch, b, 5000, &ack);
        if (st.code != GRPC_STATUS_OK) {
            printf("%s: %s\n", cg_status_name(st.code), st.message);
            rc = 1;
            continue;
        }
        printf("OK reports=%d duplicate=%d\n", (int)ack->reports,
               ack->duplicate ? 1 : 0);
        tutorial__v1__class_report_ack__free_unpacked(ack, NULL);
    }
    free(b);
    return rc;
}

/* ---- the queue ---------------------------------------------------------- */

static bool read_queued(const char *path, report_buf *b)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    report_init(b);
    char *line = malloc(FIELD_MAX + 64);
    bool ok = line != NULL;
    while (ok && fgets(line, FIELD_MAX + 64, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            ok = set_field(b, line);
    }
    fclose(f);
    free(line);
    return ok;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The queued files' names, sorted (the Python side names them by time). */
static char **list_queue(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t cap = 0;
    *n = 0;
    if (d == NULL)
        return NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".rep") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            char **p = realloc(names, cap * sizeof *p);
            if (p == NULL)
                break;
            names = p;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, by_name);
    return names;
}

static void write_status(const char *dir, const char *fmt, const char *detail,
                         size_t sent, size_t left)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/status", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return;
    fprintf(f, "time=%lld\nsent=%zu\nqueued=%zu\n", (long long)time(NULL), sent,
            left);
    fprintf(f, fmt, detail);
    fputc('\n', f);
    fclose(f);
    rename(tmp, path);
}

/* Sends what is queued; returns how many went, setting *stop to the status
 * that ended the round early (OK when the queue emptied). */
static size_t send_round(cg_channel *ch, const char *dir, int64_t timeout_ms,
                         cg_status *stop, size_t *left)
{
    size_t n = 0, sent = 0;
    char **names = list_queue(dir, &n);
    report_buf *b = malloc(sizeof *b);
    *stop = cg_ok();
    for (size_t i = 0; b != NULL && i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stop->code == GRPC_STATUS_OK && read_queued(path, b)) {
            cg_status st = send_report(ch, b, timeout_ms, NULL);
            if (st.code == GRPC_STATUS_OK) {
                unlink(path);
                sent++;
            } else if (st.code == GRPC_STATUS_INVALID_ARGUMENT) {
                /* The server will never take it: keep it aside, say why. */
                char bad[4200];
                snprintf(bad, sizeof bad, "%s.rejected", path);
                rename(path, bad);
                *stop = st;
                stop->code = GRPC_STATUS_OK;
                snprintf(stop->message, sizeof stop->message,
                         "a report was refused: %.200s", st.message);
            } else {
                *stop = st;
            }
        }
        free(names[i]);
    }
    free(names);
    free(b);
    char **again = list_queue(dir, left);
    for (size_t i = 0; i < *left; i++)
        free(again[i]);
    free(again);
    return sent;
}

static int cmd_send(cg_channel *ch, const char *dir, int64_t timeout_ms)
{
    char lock_path[4096];
    snprintf(lock_path, sizeof lock_path, "%s/.lock", dir);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
        return 1;
    size_t total = 0, left = 0;
    cg_status st = cg_ok();
    /* Another sender is at work: it looks at the queue again before it
     * ends, so what we were started for goes with it. */
    while (flock(lock, LOCK_EX | LOCK_NB) == 0) {
        total += send_round(ch, dir, timeout_ms, &st, &left);
        const char *fmt = st.code == GRPC_STATUS_OK ? "ok=%s" : "error=%s";
        char detail[CG_STATUS_MESSAGE_MAX + 40];
        snprintf(detail, sizeof detail, "%s%s%s",
                 st.code == GRPC_STATUS_OK ? "" : cg_status_name(st.code),
                 st.code == GRPC_STATUS_OK ? "" : ": ", st.message);
        write_status(dir, fmt, detail, total, left);
        flock(lock, LOCK_UN);
        if (st.code != GRPC_STATUS_OK || left == 0)
            break;
    }
    close(lock);
    return st.code == GRPC_STATUS_OK ? 0 : 1;
}

/* ---- the board as a table ----------------------------------------------- */

static const Tutorial__V1__ClassCell *
cell_of(const Tutorial__V1__ClassLearner *l, const char *step)
{
    for (size_t i = 0; i < l->n_cells; i++)
        if (strcmp(l->cells[i]->step, step) == 0)
            return l->cells[i];
    return NULL;
}

static void print_board(const Tutorial__V1__ClassBoard *b, bool clear)
{
    if (clear)
        printf("\033[H\033[2J");
    printf("%-20s", "learner");
    for (size_t s = 0; s < b->n_steps; s++)
        printf(" %8.2s", b->steps[s]);
    printf("  stuck on (for how long)\n");
    for (size_t i = 0; i < b->n_learners; i++) {
        const Tutorial__V1__ClassLearner *l = b->learners[i];
        printf("%-20.20s", l->name);
        for (size_t s = 0; s < b->n_steps; s++) {
            const Tutorial__V1__ClassCell *c = cell_of(l, b->steps[s]);
            char text[32];
            if (c == NULL)
                snprintf(text, sizeof text, "·");
            else if (c->build_failed)
                snprintf(text, sizeof text, "build");
            else
                snprintf(text, sizeof text, "%d/%d%s", (int)c->passed,
                         (int)(c->passed + c->failed), c->done ? "*" : "");
            printf(" %8s", text);
        }
        if (l->stuck_on[0])
            printf("  %s (%lld min)", l->stuck_on,
                   (long long)(l->stuck_seconds / 60));
        printf("\n");
    }
    printf("\n%lld report(s) from %zu learner(s).  N/M* = step done; build = "
           "does not compile\n",
           (long long)b->reports, b->n_learners);
    for (size_t i = 0; i < b->n_failing_tests; i++)
        printf("%s %d learner(s) failing: %s\n",
               i ? "  " : "Most failed now:\n  ",
               (int)b->failing_tests[i]->learners, b->failing_tests[i]->what);
    fflush(stdout);
}

static int cmd_board(cg_channel *ch)
{
    cg_md md;
    cg_call_opts opts = call_opts(5000, &md);
    Tutorial__V1__ClassBoardRequest req =
        TUTORIAL__V1__CLASS_BOARD_REQUEST__INIT;
    Tutorial__V1__ClassBoard *b = NULL;
    cg_status st =
        tutorial__v1__class_service_client__board(ch, &req, &b, &opts);
    if (st.code != GRPC_STATUS_OK) {
        printf("%s: %s\n", cg_status_name(st.code), st.message);
        return 1;
    }
    print_board(b, false);
    tutorial__v1__class_board__free_unpacked(b, NULL);
    return 0;
}

/* Whether the server is there and takes the code: a Board call. */
static int cmd_ping(cg_channel *ch)
{
    cg_md md;
    cg_call_opts opts = call_opts(3000, &md);
    Tutorial__V1__ClassBoardRequest req =
        TUTORIAL__V1__CLASS_BOARD_REQUEST__INIT;
    Tutorial__V1__ClassBoard *b = NULL;
    cg_status st =
        tutorial__v1__class_service_client__board(ch, &req, &b, &opts);
    if (st.code != GRPC_STATUS_OK) {
        printf("%s: %s\n", cg_status_name(st.code), st.message);
        return 1;
    }
    printf("OK learners=%zu reports=%lld\n", b->n_learners,
           (long long)b->reports);
    tutorial__v1__class_board__free_unpacked(b, NULL);
    return 0;
}

static int cmd_watch(cg_channel *ch, long updates)
{
    cg_md md;
    cg_call_opts opts = call_opts(0, &md);
    opts.ready = CG_READY_WAIT;
    Tutorial__V1__ClassBoardRequest req =
        TUTORIAL__V1__CLASS_BOARD_REQUEST__INIT;
    cg_call *c = tutorial__v1__class_service_client__watch(ch, &req, &opts);
    const Tutorial__V1__ClassBoard *b;
    long seen = 0;
    while ((updates <= 0 || seen < updates) && (b = cg_call_recv(c)) != NULL) {
        print_board(b, updates <= 0 && isatty(1));
        seen++;
    }
    if (updates > 0 && seen >= updates)
        cg_call_cancel(c);
    cg_status st = cg_call_finish(c);
    if (seen < updates || (updates <= 0 && st.code != GRPC_STATUS_OK)) {
        printf("%s: %s\n", cg_status_name(st.code), st.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[2], "--addr") != 0) {
        fprintf(stderr, "usage: class_client send|report|board|watch --addr "
                        "HOST:PORT [...]\n");
        return 2;
    }
    cg_channel *ch = cg_channel_new(argv[3], NULL, NULL);
    if (ch == NULL) {
        fprintf(stderr, "class_client: '%s' is not an address (HOST:PORT)\n",
                argv[3]);
        return 2;
    }
    int rc = 2;
    const char *cmd = argv[1];
    if (strcmp(cmd, "report") == 0) {
        bool burst = argc > 5 && strcmp(argv[4], "--repeat") == 0;
        rc = burst ? cmd_report(ch, argc - 6, argv + 6, atol(argv[5]))
                   : cmd_report(ch, argc - 4, argv + 4, 1);
    } else if (strcmp(cmd, "ping") == 0) {
        rc = cmd_ping(ch);
    } else if (strcmp(cmd, "board") == 0) {
        rc = cmd_board(ch);
    } else if (strcmp(cmd, "watch") == 0) {
        rc = cmd_watch(ch, argc > 5 && strcmp(argv[4], "--updates") == 0
                               ? atol(argv[5])
                               : 0);
    } else if (strcmp(cmd, "send") == 0 && argc > 5 &&
               strcmp(argv[4], "--queue") == 0) {
        int64_t timeout = argc > 7 && strcmp(argv[6], "--timeout-ms") == 0
                              ? atol(argv[7])
                              : 3000;
        rc = cmd_send(ch, argv[5], timeout);
    } else {
        fprintf(stderr,
                "class_client: unknown command or missing arguments: %s\n",
                cmd);
    }
    cg_channel_free(ch);
    return rc;
}
