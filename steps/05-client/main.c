/*
 * main.c: the step's program, a command-line client for the course's
 * services (given: read it, no need to edit it). It parses the command
 * line and calls the functions you write in the exercises, so it works
 * command by command as you finish them.
 *
 *   make run ARGS="--target 127.0.0.1:50051 unary test-123"
 *
 * Prints results on stdout, one line each; errors on stderr as status
 * codes for people (exercise 5). Exit status: 0 when the call succeeded,
 * 1 when it failed, 2 for a usage error.
 * Lesson: docs/en/steps/05-client.md#the-command-line-client
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cgrpc.h>

#include "bidi.h"
#include "client_stream.h"
#include "connection.h"
#include "errors.h"
#include "server_stream.h"
#include "unary.h"

#define DEFAULT_TARGET "127.0.0.1:50051"

static const char USAGE[] =
    "usage: client [--target HOST:PORT] [--timeout MS] COMMAND [ARGS...]\n"
    "\n"
    "Calls the course's services on a server (default target " DEFAULT_TARGET
    ").\n"
    "\n"
    "  hello                 the outline's main: UnaryCall with id test-123\n"
    "  unary ID [VALUE]      MyService.UnaryCall\n"
    "  stream ID COUNT       MyService.ServerStream: COUNT responses\n"
    "  sum ID VALUE...       MyService.ClientStream: one request per VALUE\n"
    "  echo ID...            MyService.BidirectionalStream, one ID at a time\n"
    "  user ID               UserService.GetUser\n"
    "  notify USER [COUNT]   NotificationService.StreamNotifications\n"
    "  upload PATH [CHUNK]   FileService.UploadFile, CHUNK bytes per message\n"
    "  chat NAME             ChatService.Chat: lines from stdin, the room on "
    "stdout\n"
    "\n"
    "--timeout MS is each call's deadline and the longest wait for a\n"
    "connection (default: the exercises' own, 5 s for most calls).\n";

static int usage(const char *problem)
{
    if (problem != NULL)
        fprintf(stderr, "client: %s\n\n", problem);
    fputs(USAGE, stderr);
    return 2;
}

/* A whole decimal number in [lo, hi], or false. */
static bool parse_num(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Prints a failed call's status for people; the exit status. */
static int report(cg_status st)
{
    if (st.code == GRPC_STATUS_OK)
        return 0;
    char line[512];
    status_describe(&st, line, sizeof line);
    fprintf(stderr, "error: %s\n", line);
    return 1;
}

static bool print_response(const Tutorial__V1__Response *resp, void *user)
{
    (void)user;
    printf("%s\n", resp->message);
    return true;
}

static bool print_note(const Tutorial__V1__Notification *note, void *user)
{
    (void)user;
    printf("#%lld [%s] %s\n", (long long)note->sequence, note->id,
           note->message);
    return true;
}

static int cmd_user(cg_channel *ch, const char *id, int64_t timeout)
{
    Tutorial__V1__User *user = NULL;
    cg_status st = get_user(ch, id, timeout, &user);
    if (st.code != GRPC_STATUS_OK)
        return report(st);
    const ProtobufCEnumValue *role = protobuf_c_enum_descriptor_get_value(
        &tutorial__v1__role__descriptor, user->role);
    printf("user %s: %s <%s>, %s\n", user->id, user->name, user->email,
           role != NULL ? role->name : "ROLE_UNKNOWN");
    tutorial__v1__user__free_unpacked(user, NULL);
    return 0;
}

static int cmd_upload(cg_channel *ch, const char *path, size_t chunk,
                      int64_t timeout)
{
    upload_result res;
    cg_status st = upload_file(ch, path, chunk, timeout, &res);
    if (st.code != GRPC_STATUS_OK)
        return report(st);
    const char *name = strrchr(path, '/');
    printf("uploaded %s: %lld bytes in %zu chunk%s, file id %s\n",
           name != NULL ? name + 1 : path, (long long)res.size, res.chunks,
           res.chunks == 1 ? "" : "s", res.file_id);
    return 0;
}

/* Runs one command (its arguments counted already) on a connected
 * channel; returns the exit status. */
static int run(cg_channel *ch, int argc, char **argv, int64_t timeout)
{
    const char *cmd = argv[0];
    long long n = 0;
    char msg[512];

    if (strcmp(cmd, "unary") == 0) {
        if (argc == 3 && !parse_num(argv[2], INT32_MIN, INT32_MAX, &n))
            return usage("VALUE must be a 32-bit number");
        cg_status st =
            unary_call(ch, argv[1], (int32_t)n, timeout, msg, sizeof msg);
        if (st.code == GRPC_STATUS_OK)
            printf("%s\n", msg);
        return report(st);
    }
    if (strcmp(cmd, "stream") == 0) {
        if (!parse_num(argv[2], INT32_MIN, INT32_MAX, &n))
            return usage("COUNT must be a number");
        return report(server_stream(ch, argv[1], (int32_t)n, timeout,
                                    print_response, NULL, NULL));
    }
    if (strcmp(cmd, "sum") == 0) {
        int32_t values[64];
        size_t count = (size_t)argc - 2;
        for (size_t i = 0; i < count; i++) {
            if (!parse_num(argv[i + 2], INT32_MIN, INT32_MAX, &n))
                return usage("each VALUE must be a 32-bit number");
            values[i] = (int32_t)n;
        }
        cg_status st =
            client_stream(ch, argv[1], values, count, timeout, msg, sizeof msg);
        if (st.code == GRPC_STATUS_OK)
            printf("%s\n", msg);
        return report(st);
    }
    if (strcmp(cmd, "echo") == 0) {
        return report(bidi_echo(ch, (const char *const *)argv + 1,
                                (size_t)argc - 1, timeout, print_response, NULL,
                                NULL));
    }
    if (strcmp(cmd, "user") == 0)
        return cmd_user(ch, argv[1], timeout);
    if (strcmp(cmd, "notify") == 0) {
        if (argc == 3 && !parse_num(argv[2], INT32_MIN, INT32_MAX, &n))
            return usage("COUNT must be a number");
        return report(stream_notifications(ch, argv[1], (int32_t)n, timeout,
                                           print_note, NULL, NULL));
    }
    if (strcmp(cmd, "upload") == 0) {
        if (argc == 3 && !parse_num(argv[2], 1, 4 * 1024 * 1024, &n))
            return usage("CHUNK must be between 1 and 4194304 bytes");
        return cmd_upload(ch, argv[1], (size_t)n, timeout);
    }
    /* chat: line by line, so a person (or a program) on the other end of a
     * pipe sees each message as it comes. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    return report(chat_run(ch, argv[1], stdin, stdout));
}

/* The commands and how many arguments each takes, checked before dialing. */
static const struct command {
    const char *name;
    int min_args, max_args;
} COMMANDS[] = {
    {"hello", 0, 0},  {"unary", 1, 2},  {"stream", 2, 2},
    {"sum", 1, 65},   {"echo", 1, 64},  {"user", 1, 1},
    {"notify", 1, 2}, {"upload", 1, 2}, {"chat", 1, 1},
};

static const char *check_command(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        if (strcmp(argv[0], COMMANDS[i].name) != 0)
            continue;
        if (argc - 1 < COMMANDS[i].min_args || argc - 1 > COMMANDS[i].max_args)
            return "wrong number of arguments";
        return NULL;
    }
    return "unknown command";
}

int main(int argc, char **argv)
{
    const char *target = DEFAULT_TARGET;
    long long timeout = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (i + 1 >= argc)
            return usage("an option without its value");
        if (strcmp(argv[i], "--target") == 0)
            target = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0) {
            if (!parse_num(argv[++i], 1, 24LL * 3600 * 1000, &timeout))
                return usage("--timeout takes a number of milliseconds");
        } else
            return usage("unknown option");
    }
    if (i >= argc)
        return usage(NULL);
    const char *problem = check_command(argc - i, argv + i);
    if (problem != NULL)
        return usage(problem);
    if (strcmp(argv[i], "hello") == 0)
        return outline_main(target, stdout);

    /* [dial] */
    cg_status st;
    cg_channel *ch = cg_channel_new(target, NULL, &st);
    if (ch == NULL)
        return report(st);
    /* Connect first: a server that is not there is reported once, clearly,
     * before any command starts. */
    st = ensure_connection(ch, timeout);
    int rc = st.code == GRPC_STATUS_OK ? run(ch, argc - i, argv + i, timeout)
                                       : report(st);
    cg_channel_free(ch);
    return rc;
    /* [/dial] */
}
