/*
 * fuzz_plugin.c: protoc-gen-cgrpc fed arbitrary CodeGeneratorRequest
 * bytes, exactly as protoc would pipe them in.
 *
 * The plugin's sources are compiled unchanged except for one flag:
 * tools/protoc-gen-cgrpc/main.c is built with -Dmain=cgrpc_plugin_main, so
 * this file can call the real main once per input. stdin, stdout and
 * stderr are pointed at memory for the call (glibc's standard streams are
 * plain variables), which is all main ever reads and writes.
 *
 * The whole input is the request. What must hold for every input, besides
 * no crash, no sanitizer report and no leak:
 *  - main returns 0 or 1, and 1 only for bytes that are not a
 *    CodeGeneratorRequest at all (then it writes nothing to stdout and
 *    says why on stderr);
 *  - with 0, stdout holds exactly one valid CodeGeneratorResponse: either
 *    an error (a non-empty message, no files) or files in .cgrpc.h /
 *    .cgrpc.c pairs, each with a name and content, two for every file to
 *    generate that has services.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/compiler/plugin.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tools/protoc-gen-cgrpc/main.c, renamed by the build. */
int cgrpc_plugin_main(int argc, char **argv);

typedef Google__Protobuf__Compiler__CodeGeneratorRequest request;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse response;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_plugin: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* How many files of the request the plugin should write stubs for. */
static size_t files_with_services(const request *req)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_file_to_generate; i++)
        for (size_t k = 0; k < req->n_proto_file; k++) {
            /* The plugin reads a missing name as "". */
            const char *name = req->proto_file[k]->name;
            if (strcmp(name ? name : "", req->file_to_generate[i]) == 0) {
                if (req->proto_file[k]->n_service > 0)
                    n++;
                break;
            }
        }
    return n;
}

static void check_response(const uint8_t *out, size_t out_len,
                           const request *req)
{
    response *resp =
        google__protobuf__compiler__code_generator_response__unpack(
            NULL, out_len, out);
    if (resp == NULL)
        fail("stdout is not a CodeGeneratorResponse", NULL);
    if (resp->error != NULL) {
        if (resp->error[0] == '\0')
            fail("an error response with an empty message", NULL);
        if (resp->n_file != 0)
            fail("an error response that also carries files", resp->error);
    } else {
        if (resp->n_file % 2 != 0)
            fail("files do not come in .h/.c pairs", NULL);
        for (size_t i = 0; i < resp->n_file; i++) {
            const char *name = resp->file[i]->name;
            if (name == NULL || resp->file[i]->content == NULL)
                fail("a file without a name or content", name);
            if (!ends_with(name, i % 2 == 0 ? ".cgrpc.h" : ".cgrpc.c"))
                fail("an unexpected file name", name);
        }
        /* Duplicate names in file_to_generate would count twice here and
         * there alike, so the totals compare exactly. */
        if (resp->n_file != 2 * files_with_services(req))
            fail("not one .h/.c pair per file with services", NULL);
    }
    google__protobuf__compiler__code_generator_response__free_unpacked(resp,
                                                                       NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char arg0[] = "protoc-gen-cgrpc";
    char *argv[] = {arg0, NULL};
    char *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;

    /* fmemopen refuses a zero-size buffer on some libcs: read /dev/null. */
    FILE *in = size > 0 ? fmemopen((void *)(uintptr_t)data, size, "r")
                        : fopen("/dev/null", "r");
    FILE *o = open_memstream(&out, &out_len);
    FILE *e = open_memstream(&err, &err_len);
    if (in == NULL || o == NULL || e == NULL)
        fail("cannot open memory streams", NULL);
    FILE *saved_in = stdin, *saved_out = stdout, *saved_err = stderr;
    stdin = in;
    stdout = o;
    stderr = e;
    int rc = cgrpc_plugin_main(1, argv);
    stdin = saved_in;
    stdout = saved_out;
    stderr = saved_err;
    fclose(in);
    fclose(o);
    fclose(e);

    request *req = google__protobuf__compiler__code_generator_request__unpack(
        NULL, size, data);
    if (rc == 0) {
        if (req == NULL)
            fail("main returned 0 for bytes that are not a request", NULL);
        check_response((const uint8_t *)out, out_len, req);
    } else if (rc == 1) {
        if (req != NULL)
            fail("main failed on a valid request", err);
        if (out_len != 0)
            fail("main failed but wrote to stdout", NULL);
        if (err_len == 0)
            fail("main failed without saying why", NULL);
    } else {
        fail("main returned a status other than 0 and 1", err);
    }
    if (req != NULL)
        google__protobuf__compiler__code_generator_request__free_unpacked(req,
                                                                          NULL);
    free(out);
    free(err);
    return 0;
}
