/*
 * model.c: builds the model of model.h from a CodeGeneratorRequest.
 *
 * Three passes: every file's protobuf-c options (c_package and friends, which
 * change C names), then an index of every message of every file by its fully
 * qualified name, then the services of the files to generate with all their
 * names. Checks that only make sense on the .proto level (proto3 `optional`,
 * no_generate) happen here too; name clashes are clash.c's job.
 */
#include "model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* ---- protobuf-c's file options ---- */

/* Field numbers in descriptor.proto and protobuf-c.proto. */
enum {
    PBC_FILE_OPTIONS_EXTENSION = 1019, /* FileOptions.(pb_c_file) */
    PBC_NO_GENERATE = 1,
    PBC_GEN_PACK_HELPERS = 2,
    PBC_C_PACKAGE = 6,
};

/* Reads a varint at *p (before end); false when it is cut short. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Reads the fields of a ProtobufCFileOptions message in [p, end) into f.
 * protoc passes the (pb_c_file) option on as an extension field of
 * FileOptions, which our descriptor.proto bindings keep as an unknown field:
 * small enough to decode by hand. False on malformed input. */
static bool parse_pbc_file_options(arena *a, const uint8_t *p,
                                   const uint8_t *end, model_proto *f)
{
    while (p < end) {
        uint64_t key, v;
        if (!read_varint(&p, end, &key))
            return false;
        switch (key & 7) {
        case 0: /* varint */
            if (!read_varint(&p, end, &v))
                return false;
            if (key >> 3 == PBC_NO_GENERATE)
                f->no_generate = v != 0;
            else if (key >> 3 == PBC_GEN_PACK_HELPERS)
                f->pack_helpers = v != 0;
            break;
        case 1: /* 64-bit */
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 2: /* length-delimited */
            if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            if (key >> 3 == PBC_C_PACKAGE)
                f->c_package = arena_strndup(a, (const char *)p, (size_t)v);
            p += v;
            break;
        case 5: /* 32-bit */
            if (end - p < 4)
                return false;
            p += 4;
            break;
        default:
            return false;
        }
    }
    return true;
}

static void read_file_options(arena *a, model_proto *f, diags *d)
{
    const Google__Protobuf__FileOptions *opt = f->proto->options;

    f->pack_helpers = true;
    if (opt == NULL)
        return;
    for (unsigned i = 0; i < opt->base.n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &opt->base.unknown_fields[i];
        const uint8_t *p = u->data, *end = u->data + u->len;
        uint64_t len;

        if (u->tag != PBC_FILE_OPTIONS_EXTENSION)
            continue;
        /* The stored bytes still start with the length prefix. */
        if (u->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED ||
            !read_varint(&p, end, &len) || len != (uint64_t)(end - p) ||
            !parse_pbc_file_options(a, p, end, f)) {
            diag(d, "%s: cannot read the file option (pb_c_file)", f->name);
        }
    }
}

/* ---- the index of message types ---- */

typedef struct type_list {
    model_type *items;
    size_t n, cap;
} type_list;

static void add_messages(arena *a, type_list *list, const model_proto *f,
                         const char *scope, pb_message *const *msgs, size_t n,
                         bool nested)
{
    for (size_t i = 0; i < n; i++) {
        const pb_message *msg = msgs[i];
        const char *full = scope[0] ? arena_printf(a, "%s.%s", scope, msg->name)
                                    : arena_strdup(a, msg->name);
        model_type *t;

        if (list->n == list->cap) {
            list->cap = list->cap ? 2 * list->cap : 64;
            list->items =
                xrealloc(list->items, list->cap * sizeof list->items[0]);
        }
        t = &list->items[list->n++];
        memset(t, 0, sizeof *t);
        t->full_name = full;
        t->file = f;
        t->proto = msg;
        t->nested = nested;
        t->c_type = pbc_full_name(a, full, f->package, f->c_package, PBC_TYPE);
        t->lower = pbc_full_name(a, full, f->package, f->c_package, PBC_LOWER);
        t->descriptor = arena_printf(a, "%s__descriptor", t->lower);
        /* protobuf-c writes *__free_unpacked only for top-level messages
         * unless told otherwise; for the rest the comment names the generic
         * protobuf_c_message_free_unpacked. */
        if (!nested && f->pack_helpers)
            t->free_fn = arena_printf(a, "%s__free_unpacked", t->lower);
        add_messages(a, list, f, full, msg->nested_type, msg->n_nested_type,
                     true);
    }
}

static int compare_types(const void *x, const void *y)
{
    const model_type *a = x, *b = y;
    return strcmp(a->full_name, b->full_name);
}

const model_type *model_find_type(const model *m, const char *full_name)
{
    model_type key;

    if (full_name[0] == '.')
        full_name++;
    key.full_name = full_name;
    return bsearch(&key, m->types, m->n_types, sizeof m->types[0],
                   compare_types);
}

/* ---- comments from the .proto ---- */

/* Field numbers on the path of a SourceCodeInfo location. */
enum { PATH_FILE_SERVICE = 6, PATH_SERVICE_METHOD = 2 };

static const Google__Protobuf__SourceCodeInfo__Location *
find_location(const pb_file *f, const int32_t *path, size_t n)
{
    if (f->source_code_info == NULL)
        return NULL;
    for (size_t i = 0; i < f->source_code_info->n_location; i++) {
        const Google__Protobuf__SourceCodeInfo__Location *loc =
            f->source_code_info->location[i];
        if (loc->n_path == n &&
            memcmp(loc->path, path, n * sizeof path[0]) == 0)
            return loc;
    }
    return NULL;
}

/* The comment text made safe and tidy for a C block comment: one leading
 * space per line dropped (protoc keeps the one after "//"), trailing blanks
 * and empty first/last lines removed, and character pairs that would end the
 * comment or start a nested one or a trigraph broken up. NULL when empty. */
static const char *clean_comment(arena *a, const char *raw)
{
    text out = TEXT_INIT;
    const char *result;
    const char *line = raw;

    if (raw == NULL)
        return NULL;
    while (*line) {
        size_t n = strcspn(line, "\n");
        size_t start = (n > 0 && line[0] == ' ') ? 1 : 0;
        size_t stop = n;

        while (stop > start &&
               (line[stop - 1] == ' ' || line[stop - 1] == '\t' ||
                line[stop - 1] == '\r'))
            stop--;
        if (stop > start || out.len > 0) {
            for (size_t i = start; i < stop; i++) {
                char c = line[i];
                char prev = out.len ? out.data[out.len - 1] : '\n';
                if ((prev == '*' && c == '/') || (prev == '/' && c == '*') ||
                    (prev == '?' && c == '?'))
                    text_putc(&out, ' ');
                text_putc(&out, c == '\t' ? ' ' : c);
            }
            text_putc(&out, '\n');
        }
        line += n;
        if (*line == '\n')
            line++;
    }
    while (out.len > 0 && out.data[out.len - 1] == '\n')
        out.data[--out.len] = '\0';
    result = out.len ? arena_strdup(a, text_str(&out)) : NULL;
    text_free(&out);
    return result;
}

static const char *comment_at(arena *a, const pb_file *f, const int32_t *path,
                              size_t n)
{
    const Google__Protobuf__SourceCodeInfo__Location *loc =
        find_location(f, path, n);

    if (loc == NULL)
        return NULL;
    if (loc->leading_comments != NULL && loc->leading_comments[0])
        return clean_comment(a, loc->leading_comments);
    return clean_comment(a, loc->trailing_comments);
}

/* ---- checks on the .proto level ---- */

static void check_proto3_optional(const model_proto *f, const char *scope,
                                  pb_message *const *msgs, size_t n, arena *a,
                                  diags *d)
{
    for (size_t i = 0; i < n; i++) {
        const pb_message *msg = msgs[i];
        const char *full =
            scope[0] ? arena_printf(a, "%s.%s", scope, msg->name) : msg->name;

        for (size_t j = 0; j < msg->n_field; j++) {
            if (!msg->field[j]->proto3_optional)
                continue;
            diag(d,
                 "%s: message %s, field %s: proto3 `optional` is not "
                 "supported. protoc-gen-c 1.4.1, which generates the message "
                 "code these gRPC stubs are built on, cannot generate it. "
                 "Remove `optional` (an unset proto3 field reads as 0, \"\" "
                 "or false), or wrap the value in a message or a oneof if "
                 "you must tell \"unset\" from a zero value.",
                 f->name, full, msg->field[j]->name);
        }
        check_proto3_optional(f, full, msg->nested_type, msg->n_nested_type, a,
                              d);
    }
}

/* ---- the services ---- */

static const model_proto *find_proto(const model *m, const char *name)
{
    for (size_t i = 0; i < m->n_protos; i++) {
        if (strcmp(m->protos[i].name, name) == 0)
            return &m->protos[i];
    }
    return NULL;
}

static void build_method(const model *m, arena *a, const model_file *file,
                         const model_service *svc, int si, int mi,
                         model_method *out, diags *d)
{
    const Google__Protobuf__MethodDescriptorProto *pm =
        file->proto->proto->service[si]->method[mi];
    const int32_t path[] = {PATH_FILE_SERVICE, si, PATH_SERVICE_METHOD, mi};

    out->index = mi;
    out->name = pm->name;
    out->lower = pbc_lower(a, pm->name);
    out->upper = pbc_upper(a, pm->name);
    out->path = arena_printf(a, "/%s/%s", svc->full_name, pm->name);
    if (pm->client_streaming && pm->server_streaming)
        out->kind = KIND_BIDI_STREAMING;
    else if (pm->client_streaming)
        out->kind = KIND_CLIENT_STREAMING;
    else if (pm->server_streaming)
        out->kind = KIND_SERVER_STREAMING;
    else
        out->kind = KIND_UNARY;
    out->input = model_find_type(m, pm->input_type ? pm->input_type : "");
    out->output = model_find_type(m, pm->output_type ? pm->output_type : "");
    if (out->input == NULL || out->output == NULL) {
        diag(d,
             "%s: service %s, method %s: message type %s not found in the "
             "request",
             file->proto->name, svc->full_name, pm->name,
             out->input == NULL ? pm->input_type : pm->output_type);
    } else if ((out->input->file->no_generate &&
                out->input->file != file->proto) ||
               (out->output->file->no_generate &&
                out->output->file != file->proto)) {
        /* (A file that sets no_generate itself is reported once, by
         * model_build.) */
        const model_type *t =
            out->input->file->no_generate ? out->input : out->output;
        diag(d,
             "%s: service %s, method %s: message %s comes from %s, which "
             "sets (pb_c_file).no_generate, so protoc-gen-c writes no C "
             "code for it",
             file->proto->name, svc->full_name, pm->name, t->full_name,
             t->file->name);
    }
    out->comment = comment_at(a, file->proto->proto, path, 4);
    out->deprecated = pm->options != NULL && pm->options->deprecated;
    out->macro = arena_printf(a, "%s__%s__METHOD", svc->upper, out->upper);
    out->invoke =
        arena_printf(a, "%s__%s__invoke", svc->short_lower, out->lower);
    out->client = arena_printf(a, "%s__%s", svc->client_prefix, out->lower);
}

static void build_service(const model *m, arena *a, const model_file *file,
                          int si, model_service *out, diags *d)
{
    const model_proto *f = file->proto;
    const Google__Protobuf__ServiceDescriptorProto *ps = f->proto->service[si];
    const int32_t path[] = {PATH_FILE_SERVICE, si};

    out->index = si;
    out->name = ps->name;
    out->full_name = f->package[0]
                         ? arena_printf(a, "%s.%s", f->package, ps->name)
                         : ps->name;
    out->lower =
        pbc_full_name(a, out->full_name, f->package, f->c_package, PBC_LOWER);
    out->upper =
        pbc_full_name(a, out->full_name, f->package, f->c_package, PBC_UPPER);
    out->c_type =
        pbc_full_name(a, out->full_name, f->package, f->c_package, PBC_TYPE);
    out->short_lower = pbc_lower(a, ps->name);
    out->comment = comment_at(a, f->proto, path, 2);
    out->deprecated = ps->options != NULL && ps->options->deprecated;
    out->table = arena_printf(a, "%s__grpc_service", out->lower);
    out->methods = arena_printf(a, "%s_methods", out->short_lower);
    out->server_type = arena_printf(a, "%s_Server", out->c_type);
    out->register_fn = arena_printf(a, "%s__register_server", out->lower);
    out->client_prefix = arena_printf(a, "%s_client", out->lower);
    out->n_methods = ps->n_method;
    out->method = arena_alloc(a, ps->n_method * sizeof out->method[0]);
    for (size_t mi = 0; mi < ps->n_method; mi++)
        build_method(m, a, file, out, si, (int)mi, &out->method[mi], d);
}

/* ---- a request protoc would never send ---- */

/* protoc gives every descriptor a non-empty name; a request that leaves a
 * name out, or sends "", did not come from protoc (or is damaged). Say so
 * once, instead of reading NULL or making C names such as "x__" out of
 * nothing. Each check returns what lacks a name (NULL when all are named)
 * and sets *empty when the name is "" rather than missing. */

static bool unnamed(const char *name, bool *empty)
{
    *empty = name != NULL && name[0] == '\0';
    return name == NULL || *empty;
}

static const char *
unnamed_in_enum(const Google__Protobuf__EnumDescriptorProto *e, bool *empty)
{
    if (unnamed(e->name, empty))
        return "an enum";
    for (size_t i = 0; i < e->n_value; i++) {
        if (unnamed(e->value[i]->name, empty))
            return "an enum value";
    }
    return NULL;
}

static const char *unnamed_in_message(const pb_message *msg, bool *empty)
{
    if (unnamed(msg->name, empty))
        return "a message";
    for (size_t i = 0; i < msg->n_field; i++) {
        if (unnamed(msg->field[i]->name, empty))
            return "a field";
    }
    for (size_t i = 0; i < msg->n_oneof_decl; i++) {
        if (unnamed(msg->oneof_decl[i]->name, empty))
            return "a oneof";
    }
    for (size_t i = 0; i < msg->n_enum_type; i++) {
        const char *what = unnamed_in_enum(msg->enum_type[i], empty);
        if (what != NULL)
            return what;
    }
    for (size_t i = 0; i < msg->n_nested_type; i++) {
        const char *what = unnamed_in_message(msg->nested_type[i], empty);
        if (what != NULL)
            return what;
    }
    return NULL;
}

static const char *
unnamed_in_service(const Google__Protobuf__ServiceDescriptorProto *s,
                   bool *empty)
{
    if (unnamed(s->name, empty))
        return "a service";
    for (size_t i = 0; i < s->n_method; i++) {
        const Google__Protobuf__MethodDescriptorProto *pm = s->method[i];
        if (unnamed(pm->name, empty))
            return "a method";
        if (unnamed(pm->input_type, empty))
            return "the input type of a method";
        if (unnamed(pm->output_type, empty))
            return "the output type of a method";
    }
    return NULL;
}

static bool
request_is_named(const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                 diags *d)
{
    bool empty = false;
    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        if (unnamed(req->file_to_generate[i], &empty)) {
            diag(d,
                 "the request lists a file to generate %s. protoc always "
                 "sends names, so this request did not come from protoc: "
                 "run the plugin through protoc (protoc --cgrpc_out=...)",
                 empty ? "with an empty name" : "without a name");
            return false;
        }
    }
    for (size_t i = 0; i < req->n_proto_file; i++) {
        const pb_file *f = req->proto_file[i];
        const char *what = NULL;
        if (unnamed(f->name, &empty))
            what = "a file";
        for (size_t j = 0; what == NULL && j < f->n_message_type; j++)
            what = unnamed_in_message(f->message_type[j], &empty);
        for (size_t j = 0; what == NULL && j < f->n_enum_type; j++)
            what = unnamed_in_enum(f->enum_type[j], &empty);
        for (size_t j = 0; what == NULL && j < f->n_service; j++)
            what = unnamed_in_service(f->service[j], &empty);
        if (what != NULL) {
            diag(d,
                 "%s: %s has %s. protoc always sends names, so this "
                 "request did not come from protoc: run the plugin through "
                 "protoc (protoc --cgrpc_out=...)",
                 f->name && f->name[0] ? f->name : "(a file)", what,
                 empty ? "an empty name" : "no name");
            return false;
        }
    }
    return true;
}

/* Every file of the request (files[n]): names and options. */
static void read_protos(model *m, arena *a, pb_file *const *files, size_t n,
                        diags *d)
{
    m->n_protos = n;
    m->protos = arena_alloc(a, m->n_protos * sizeof m->protos[0]);
    for (size_t i = 0; i < n; i++) {
        model_proto *f = &m->protos[i];
        f->proto = files[i];
        f->name = arena_strdup(a, f->proto->name);
        f->package = arena_strdup(a, f->proto->package);
        read_file_options(a, f, d);
    }
}

/* Every message of every file, sorted for lookup. */
static void collect_types(model *m, arena *a)
{
    type_list types = {NULL, 0, 0};

    for (size_t i = 0; i < m->n_protos; i++) {
        const model_proto *f = &m->protos[i];
        add_messages(a, &types, f, f->package, f->proto->message_type,
                     f->proto->n_message_type, false);
    }
    m->n_types = types.n;
    m->types = arena_alloc(a, types.n * sizeof m->types[0]);
    if (types.n > 0)
        memcpy(m->types, types.items, types.n * sizeof m->types[0]);
    free(types.items);
    qsort(m->types, m->n_types, sizeof m->types[0], compare_types);
}

/* Marks in `seen` (one flag per file of the request) the file `f` and
 * everything it imports, directly or not. */
static void mark_imports(const model *m, const model_proto *f, bool *seen)
{
    size_t i = (size_t)(f - m->protos);

    if (seen[i])
        return;
    seen[i] = true;
    for (size_t k = 0; k < f->proto->n_dependency; k++) {
        const model_proto *dep = find_proto(m, f->proto->dependency[k]);
        if (dep != NULL)
            mark_imports(m, dep, seen);
    }
}

/* file->deps: the file, then the files it imports in the request's order
 * (protoc lists a file after everything it imports). */
static void collect_deps(const model *m, arena *a, model_file *file)
{
    bool *seen = arena_alloc(a, m->n_protos * sizeof *seen);

    mark_imports(m, file->proto, seen);
    file->deps = arena_alloc(a, m->n_protos * sizeof file->deps[0]);
    file->deps[file->n_deps++] = file->proto;
    for (size_t i = 0; i < m->n_protos; i++) {
        if (seen[i] && &m->protos[i] != file->proto)
            file->deps[file->n_deps++] = &m->protos[i];
    }
}

/* One file to generate, whose proto is file->proto: the names of the
 * files written for it, its imports, and its services. */
static void build_file(model *m, arena *a, model_file *file, diags *d)
{
    const char *base;

    check_proto3_optional(file->proto, file->proto->package,
                          file->proto->proto->message_type,
                          file->proto->proto->n_message_type, a, d);
    base = strip_proto(a, file->proto->name);
    file->pbc_header = arena_printf(a, "%s.pb-c.h", base);
    file->header = arena_printf(a, "%s.cgrpc.h", base);
    file->source = arena_printf(a, "%s.cgrpc.c", base);
    file->guard = arena_printf(a, "CGRPC_%s__INCLUDED",
                               file_identifier(a, file->proto->name));
    collect_deps(m, a, file);
    file->n_services = file->proto->proto->n_service;
    if (file->n_services > 0 && file->proto->no_generate) {
        diag(d,
             "%s: the file sets (pb_c_file).no_generate, so "
             "protoc-gen-c writes no %s for the gRPC stubs of its "
             "services to build on",
             file->proto->name, file->pbc_header);
    }
    file->service = arena_alloc(a, file->n_services * sizeof file->service[0]);
    for (size_t si = 0; si < file->n_services; si++)
        build_service(m, a, file, (int)si, &file->service[si], d);
}

void model_build(model *m, arena *a,
                 const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                 diags *d)
{
    memset(m, 0, sizeof *m);
    if (!request_is_named(req, d))
        return;
    read_protos(m, a, req->proto_file, req->n_proto_file, d);
    collect_types(m, a);

    /* The files to generate. */
    m->n_files = req->n_file_to_generate;
    m->files = arena_alloc(a, m->n_files * sizeof m->files[0]);
    for (size_t i = 0; i < req->n_file_to_generate; i++) {
        model_file *file = &m->files[i];

        file->proto = find_proto(m, req->file_to_generate[i]);
        if (file->proto == NULL) {
            diag(d, "%s: listed to generate but not in the request",
                 req->file_to_generate[i]);
            m->n_files = i;
            break;
        }
        build_file(m, a, file, d);
    }
}

const char *model_kind_text(model_kind k)
{
    switch (k) {
    case KIND_UNARY:
        return "unary";
    case KIND_SERVER_STREAMING:
        return "server streaming";
    case KIND_CLIENT_STREAMING:
        return "client streaming";
    case KIND_BIDI_STREAMING:
        return "bidirectional streaming";
    }
    return "?";
}

const char *model_kind_enum(model_kind k)
{
    switch (k) {
    case KIND_UNARY:
        return "CG_UNARY";
    case KIND_SERVER_STREAMING:
        return "CG_SERVER_STREAMING";
    case KIND_CLIENT_STREAMING:
        return "CG_CLIENT_STREAMING";
    case KIND_BIDI_STREAMING:
        return "CG_BIDI_STREAMING";
    }
    return "CG_UNARY";
}
