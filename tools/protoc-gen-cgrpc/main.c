/*
 * main.c: protoc-gen-cgrpc, a protoc plugin that writes typed C gRPC stubs.
 *
 * protoc runs it for --cgrpc_out, next to protobuf-c's --c_out:
 *
 *   protoc -I proto --cgrpc_out=gen --c_out=gen tutorial/v1/my_service.proto
 *
 * and talks to it over pipes: a serialized CodeGeneratorRequest on stdin (the
 * descriptors of the files to generate and of everything they import), a
 * serialized CodeGeneratorResponse on stdout (the files to write, or an
 * error). For each file with services the response holds <name>.cgrpc.h and
 * <name>.cgrpc.c beside protoc-gen-c's <name>.pb-c.h; files without services
 * get nothing.
 *
 * The work is done in three steps: build the model (model.h), check that no
 * generated name clashes with another (clash.h), write the files
 * (generate.h). A problem in the .proto files is reported the plugin way:
 * the response's `error` is set (protoc prints it and fails) and the plugin
 * exits 0. Only a broken request or a failed write exits non-zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clash.h"
#include "generate.h"
#include "model.h"
#include "util.h"

typedef Google__Protobuf__Compiler__CodeGeneratorRequest request;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse response;
typedef Google__Protobuf__Compiler__CodeGeneratorResponse__File response_file;

static unsigned char *read_all(FILE *in, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = xmalloc(cap);

    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (n < cap) {
            if (ferror(in)) {
                free(buf);
                return NULL;
            }
            if (feof(in))
                break;
            continue;
        }
        cap *= 2;
        buf = xrealloc(buf, cap);
    }
    *len = n;
    return buf;
}

static bool write_all(FILE *out, const unsigned char *buf, size_t len)
{
    return fwrite(buf, 1, len, out) == len && fflush(out) == 0;
}

/* Adds one output file to the response; name and content live in `a`. */
static void add_file(response *resp, arena *a, const char *name,
                     const char *content)
{
    response_file *f = arena_alloc(a, sizeof *f);
    response_file **files =
        arena_alloc(a, (resp->n_file + 1) * sizeof resp->file[0]);

    google__protobuf__compiler__code_generator_response__file__init(f);
    f->name = arena_strdup(a, name);
    f->content = arena_strdup(a, content);
    if (resp->n_file > 0)
        memcpy(files, resp->file, resp->n_file * sizeof resp->file[0]);
    files[resp->n_file++] = f;
    resp->file = files;
}

/* Fills resp from req; problems in the .proto files go to d. */
static void run(const request *req, arena *a, response *resp, diags *d)
{
    model m;

    if (req->parameter != NULL && req->parameter[0] != '\0') {
        diag(d,
             "protoc-gen-cgrpc takes no options, but got \"%s\" (from "
             "--cgrpc_out=OPTIONS:DIR or --cgrpc_opt)",
             req->parameter);
        return;
    }
    model_build(&m, a, req, d);
    if (d->count > 0)
        return;
    clash_check(&m, a, d);
    if (d->count > 0)
        return;
    for (size_t i = 0; i < m.n_files; i++) {
        const model_file *file = &m.files[i];
        text h = TEXT_INIT, c = TEXT_INIT;

        if (file->n_services == 0)
            continue;
        generate_file(file, a, &h, &c);
        add_file(resp, a, file->header, text_str(&h));
        add_file(resp, a, file->source, text_str(&c));
        text_free(&h);
        text_free(&c);
    }
}

int main(int argc, char **argv)
{
    response resp = GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__INIT;
    arena a = ARENA_INIT;
    diags d = DIAGS_INIT;
    request *req;
    unsigned char *in, *out;
    size_t in_len, out_len;
    bool ok;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "protoc-gen-cgrpc: a protoc plugin; run it through "
                        "protoc --cgrpc_out=DIR (it reads a "
                        "CodeGeneratorRequest on stdin)\n");
        return 2;
    }
    in = read_all(stdin, &in_len);
    if (in == NULL) {
        fprintf(stderr, "protoc-gen-cgrpc: cannot read stdin\n");
        return 1;
    }
    req = google__protobuf__compiler__code_generator_request__unpack(
        NULL, in_len, in);
    free(in);
    if (req == NULL) {
        fprintf(stderr, "protoc-gen-cgrpc: stdin is not a "
                        "CodeGeneratorRequest; run it through protoc\n");
        return 1;
    }

    run(req, &a, &resp, &d);
    /* The stubs never look at fields, so proto3 `optional` is no problem
     * for them; model.c refuses it with a clear message on protoc-gen-c's
     * behalf, and declaring the feature lets that message through. */
    resp.has_supported_features = true;
    resp.supported_features =
        GOOGLE__PROTOBUF__COMPILER__CODE_GENERATOR_RESPONSE__FEATURE__FEATURE_PROTO3_OPTIONAL;
    if (d.count > 0) {
        resp.error = d.all.data;
        resp.n_file = 0;
    }

    out_len =
        google__protobuf__compiler__code_generator_response__get_packed_size(
            &resp);
    out = xmalloc(out_len);
    google__protobuf__compiler__code_generator_response__pack(&resp, out);
    ok = write_all(stdout, out, out_len);

    free(out);
    text_free(&d.all);
    arena_free(&a);
    google__protobuf__compiler__code_generator_request__free_unpacked(req,
                                                                      NULL);
    if (!ok) {
        fprintf(stderr, "protoc-gen-cgrpc: cannot write stdout\n");
        return 1;
    }
    return 0;
}
