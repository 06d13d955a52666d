/*
 * class_server.c: the live classroom's server (`make class`), on the
 * course's own runtime.
 *
 * One process serves tutorial.v1.ClassService over gRPC (learners' reports,
 * the terminal view) and the web board over HTTP (http.c). An interceptor
 * lets only holders of the class code call; the store (store.c) validates,
 * counts each report id once and keeps everything in an append-only log, so
 * a restarted server shows the same board.
 *
 *   class_server --steps 01-design,02-schema,... [--listen HOST:PORT]
 *                [--http HOST:PORT] [--data DIR] [--code CODE] [--web DIR]
 *
 * Prints "grpc listening on HOST:PORT", "http listening on HOST:PORT" and
 * "class code CODE" (for scripts), then what to write on the board. Ends
 * cleanly on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cgrpc.h>

#include "board_pb.h"
#include "class/v1/class_service.cgrpc.h"
#include "http.h"
#include "store.h"

#define CODE_LEN 6
#define CODE_MAX 32

typedef struct class_server {
    store *st;
    char code[CODE_MAX + 1];
} class_server;

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ---- the class code, checked on every call --------------------------- */

static cg_status check_code(cg_ctx *ctx, cg_next *next, void *user)
{
    const class_server *cs = user;
    const char *code = cg_ctx_metadata(ctx, "class-code", NULL);
    if (code == NULL || code[0] == '\0')
        return cg_error(ctx, GRPC_STATUS_UNAUTHENTICATED,
                        "no class code was sent: join the class first with "
                        "make join CLASS=HOST:PORT CODE=<the code on the "
                        "board> NAME=<your name>");
    if (strcmp(code, cs->code) != 0)
        return cg_error(
            ctx, GRPC_STATUS_UNAUTHENTICATED,
            "wrong class code: check the code on the board, then run "
            "make join CLASS=HOST:PORT CODE=<that code> NAME=<your name> "
            "again");
    return cg_proceed(ctx, next);
}

/* ---- the service ------------------------------------------------------ */

static cg_status report(cg_ctx *ctx, const Tutorial__V1__ClassReport *req,
                        Tutorial__V1__ClassReportAck *resp)
{
    class_server *cs = cg_ctx_user(ctx);
    char why[CG_STATUS_MESSAGE_MAX];
    int32_t n = 0;
    switch (store_add(cs->st, req, now_s(), &n, why, sizeof why)) {
    case STORE_ADDED:
        break;
    case STORE_DUPLICATE:
        resp->duplicate = true;
        break;
    case STORE_INVALID:
        return cg_error(ctx, GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
    case STORE_FLOOD:
    case STORE_FULL:
        return cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED, "%s", why);
    case STORE_IO:
        return cg_error(ctx, GRPC_STATUS_UNAVAILABLE, "%s", why);
    }
    resp->reports = n;
    return cg_ok();
}

static cg_status board(cg_ctx *ctx, const Tutorial__V1__ClassBoardRequest *req,
                       Tutorial__V1__ClassBoard *resp)
{
    (void)req;
    class_server *cs = cg_ctx_user(ctx);
    store_view v;
    if (!store_snapshot(cs->st, now_s(), &v))
        return cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    board_pb_mem m = {.ctx = ctx};
    board_pb_fill(resp, &v, &m);
    store_view_free(&v);
    return cg_ok();
}

/* Sends the board now and after every change, until the client goes or
 * the server stops. */
static cg_status watch(cg_ctx *ctx, const Tutorial__V1__ClassBoardRequest *req,
                       cg_stream *out)
{
    (void)req;
    class_server *cs = cg_ctx_user(ctx);
    uint64_t seen = store_version(cs->st);
    while (seen != 0 && !cg_ctx_cancelled(ctx)) {
        store_view v;
        if (!store_snapshot(cs->st, now_s(), &v))
            return cg_error(ctx, GRPC_STATUS_RESOURCE_EXHAUSTED,
                            "out of memory");
        Tutorial__V1__ClassBoard msg = TUTORIAL__V1__CLASS_BOARD__INIT;
        board_pb_mem m = {0};
        board_pb_fill(&msg, &v, &m);
        bool sent = cg_send(out, &msg);
        board_pb_free(&m);
        store_view_free(&v);
        if (!sent)
            return cg_error(ctx, GRPC_STATUS_CANCELLED,
                            "the watcher went away");
        uint64_t now;
        while ((now = store_wait(cs->st, seen, 1000)) == seen &&
               !cg_ctx_cancelled(ctx))
            ;
        seen = now;
    }
    return cg_ok();
}

static const Tutorial__V1__ClassService_Server service = {
    .report = report,
    .watch = watch,
    .board = board,
};

/* ---- set-up ------------------------------------------------------------ */

typedef struct options {
    const char *listen, *http, *data, *code, *web;
    const char *steps[STORE_STEPS_MAX];
    size_t n_steps;
    char steps_buf[1024];
} options;

static int usage(const char *why)
{
    fprintf(
        stderr,
        "class_server: %s\n"
        "usage: class_server --steps 01-design,02-schema,... [--listen "
        "HOST:PORT]\n"
        "       [--http HOST:PORT] [--data DIR] [--code CODE] [--web DIR]\n",
        why);
    return 2;
}

static bool split_steps(options *o, const char *list)
{
    snprintf(o->steps_buf, sizeof o->steps_buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(o->steps_buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (o->n_steps == STORE_STEPS_MAX || strlen(t) > STORE_STEP_MAX)
            return false;
        o->steps[o->n_steps++] = t;
    }
    return o->n_steps > 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){.listen = "0.0.0.0:50070",
                   .http = "0.0.0.0:8070",
                   .data = ".progress/class-server",
                   .web = "tools/class/web"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = strcmp(a, "--listen") == 0 ? &o->listen
                            : strcmp(a, "--http") == 0 ? &o->http
                            : strcmp(a, "--data") == 0 ? &o->data
                            : strcmp(a, "--code") == 0 ? &o->code
                            : strcmp(a, "--web") == 0  ? &o->web
                                                       : NULL;
        if (val == NULL)
            return usage("every option takes a value");
        if (strcmp(a, "--steps") == 0) {
            if (!split_steps(o, val))
                return usage(
                    "--steps: a comma-separated list of up to 16 step names");
        } else if (slot != NULL) {
            *slot = val;
        } else {
            return usage("unknown option");
        }
        i++;
    }
    return o->n_steps ? 0
                      : usage("--steps is required (make class passes the "
                              "folders of steps/)");
}

/* The class code: --code, else the one saved in DIR/code (so a restarted
 * server keeps it and the learners' settings stay right), else a new one. */
static bool class_code(const options *o, char *code)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/code", o->data);
    if (o->code == NULL) {
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            bool ok = fscanf(f, "%32s", code) == 1;
            fclose(f);
            if (ok)
                return true;
        }
        /* No 0/O or 1/I/L: the code is read off a whiteboard. */
        const char *alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
        unsigned char rnd[CODE_LEN];
        FILE *u = fopen("/dev/urandom", "rb");
        bool got = u != NULL && fread(rnd, 1, sizeof rnd, u) == sizeof rnd;
        if (u != NULL)
            fclose(u);
        unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
        for (int i = 0; i < CODE_LEN; i++)
            code[i] = alphabet[(got ? rnd[i] : (unsigned)rand_r(&seed)) % 31];
        code[CODE_LEN] = '\0';
    } else {
        if (strlen(o->code) < 4 || strlen(o->code) > CODE_MAX ||
            strspn(o->code, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
                            "yz0123456789-") != strlen(o->code)) {
            fprintf(stderr,
                    "class_server: CODE must be 4-32 letters, digits or '-'\n");
            return false;
        }
        snprintf(code, CODE_MAX + 1, "%s", o->code);
    }
    FILE *f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%s\n", code) < 0 || fclose(f) != 0) {
        fprintf(stderr, "class_server: cannot write %s: %s\n", path,
                strerror(errno));
        return false;
    }
    return true;
}

static bool split_hostport(const char *addr, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= cap)
        return false;
    snprintf(host, cap, "%.*s", (int)(colon - addr), addr);
    char *end;
    long p = strtol(colon + 1, &end, 10);
    *port = (int)p;
    return *end == '\0' && p >= 0 && p <= 65535 && colon[1] != '\0';
}

/* What the teacher writes on the board: this machine's addresses. */
static void print_welcome(const char *code, int port, int http_port)
{
    printf("\nThe class server is running. Write this on the board:\n\n");
    struct ifaddrs *ifs = NULL, *i;
    int shown = 0;
    if (getifaddrs(&ifs) == 0) {
        for (i = ifs; i != NULL; i = i->ifa_next) {
            if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
                continue;
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
                      ip, sizeof ip);
            if (strncmp(ip, "127.", 4) == 0)
                continue;
            printf("    make join CLASS=%s:%d CODE=%s NAME=your-name     "
                   "(network %s)\n",
                   ip, port, code, i->ifa_name);
            shown++;
        }
        freeifaddrs(ifs);
    }
    if (shown == 0)
        printf(
            "    make join CLASS=<this machine's address>:%d CODE=%s "
            "NAME=your-name\n"
            "    (no network address found: connect to the room's network)\n",
            port, code);
    printf("\nThe board: http://127.0.0.1:%d/  (open it here, or project it)\n"
           "Terminal view: make class-watch.  Ctrl-C stops the server; results "
           "are kept.\n\n",
           http_port);
    fflush(stdout);
}

static int serve(const options *o, class_server *cs, cg_server *srv, char *host,
                 int port)
{
    char err[512];
    int http_port = 0;
    char http_host[256];
    if (!split_hostport(o->http, http_host, sizeof http_host, &http_port))
        return usage("--http takes HOST:PORT, e.g. 0.0.0.0:8070");
    http_server *h = http_start(http_host, http_port, o->web, cs->st,
                                &http_port, err, sizeof err);
    if (h == NULL) {
        fprintf(stderr, "class_server: the web board: %s\n", err);
        return 1;
    }
    printf("reports on the board: %zu%s\n", store_replayed(cs->st),
           store_torn(cs->st)
               ? " (a torn last record, from a crash, was cut off)"
               : "");
    printf("grpc listening on %s:%d\nhttp listening on %s:%d\nclass code %s\n",
           host, port, http_host, http_port, cs->code);
    print_welcome(cs->code, port, http_port);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    int sig = 0;
    sigwait(&sigs, &sig);
    printf(
        "class server: stopping (signal %d); the board's results stay in %s\n",
        sig, o->data);
    store_close(cs->st); /* event streams and Watch calls end now */
    cg_server_shutdown(srv, 2000);
    http_stop(h);
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    /* Every thread started from here on inherits the mask: the signals
     * reach only sigwait in serve(). */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    char err[512], host[256], path[4096];
    int port = 0;
    if (!split_hostport(o.listen, host, sizeof host, &port))
        return usage("--listen takes HOST:PORT, e.g. 0.0.0.0:50070");
    if (mkdir(o.data, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "class_server: cannot make %s: %s\n", o.data,
                strerror(errno));
        return 1;
    }
    class_server cs = {0};
    if (!class_code(&o, cs.code))
        return 1;
    snprintf(path, sizeof path, "%s/reports.log", o.data);
    cs.st = store_open(path, o.steps, o.n_steps, err, sizeof err);
    if (cs.st == NULL) {
        fprintf(stderr, "class_server: %s\n", err);
        return 1;
    }
    /* Reports are small: a request over 64 KiB is refused by the runtime. */
    cg_server *srv =
        cg_server_new(&(cg_server_opts){.max_recv_bytes = 64 * 1024});
    cg_status st;
    port = srv ? cg_server_listen(srv, o.listen, NULL, &st) : -1;
    if (port < 0) {
        fprintf(stderr, "class_server: cannot listen on %s: %s\n", o.listen,
                srv ? st.message : "no server");
        rc = 1;
    } else {
        cg_server_add_interceptor(srv, check_code, &cs);
        if (tutorial__v1__class_service__register_server(srv, &service, &cs) !=
                0 ||
            cg_server_start(srv) != 0) {
            fprintf(stderr, "class_server: cannot start the gRPC server\n");
            rc = 1;
        } else {
            rc = serve(&o, &cs, srv, host, port);
        }
    }
    cg_server_free(srv);
    store_free(cs.st);
    return rc;
}
