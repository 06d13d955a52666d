/*
 * reflect.c: gRPC server reflection, from the descriptors in the method
 * tables.
 *
 * A tool with no .proto files (grpcurl, buf curl, Postman) opens one
 * ServerReflectionInfo stream and asks, request after request: which
 * services are there, which file declares this symbol, which file has this
 * name. Each answer is one response. The runtime knows the registered
 * services (server.h), and the code generator puts in every service's table
 * the serialized FileDescriptorProto of its .proto file and of every file
 * that one imports. So answering is a search through those bytes: this file
 * reads just enough of the protobuf wire format to find the names declared
 * in a FileDescriptorProto (package, messages and what they nest, enums and
 * their values, services and methods, extensions) and the files it imports.
 * Nothing is kept between requests: each one walks the tables again (a few
 * kilobytes), so there is no state to build, lock or free.
 *
 * v1alpha is the same protocol in another package: its requests are
 * re-encoded as v1 messages (the wire format is the same), answered, and
 * the answer re-encoded as v1alpha.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/reflection/v1/reflection.cgrpc.h"
#include "grpc/reflection/v1alpha/reflection.cgrpc.h"

#include "common.h"
#include "server.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest refl_req;
typedef Grpc__Reflection__V1__ServerReflectionResponse refl_resp;
typedef Grpc__Reflection__V1__ServiceResponse refl_svc;

/* Nesting deeper than this is not followed (protoc allows about 100; a
 * message nested 32 deep is not a real schema). */
#define MAX_DEPTH 32

/* ===================================================================== */
/* The wire format, just enough                                           */
/* ===================================================================== */

typedef struct wire {
    const uint8_t *p, *end;
} wire;

/* One field: number, wire type, and the value (a varint in v, or the
 * bytes of a length-delimited field in data/len). */
typedef struct wfield {
    uint32_t num;
    int type;
    uint64_t v;
    const uint8_t *data;
    size_t len;
} wfield;

static bool read_varint(wire *w, uint64_t *out)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64 && w->p < w->end; shift += 7) {
        uint8_t b = *w->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Reads the next field; false at the end or on bytes that are not
 * protobuf (then the walk just stops). */
static bool next_field(wire *w, wfield *f)
{
    uint64_t key;
    size_t left;

    if (w->p >= w->end || !read_varint(w, &key))
        return false;
    f->num = (uint32_t)(key >> 3);
    f->type = (int)(key & 7);
    switch (f->type) {
    case 0:
        return read_varint(w, &f->v);
    case 2:
        if (!read_varint(w, &f->v))
            return false;
        left = (size_t)(w->end - w->p);
        if (f->v > left)
            return false;
        f->data = w->p;
        f->len = (size_t)f->v;
        w->p += f->len;
        return true;
    case 1:
    case 5:
        left = (size_t)(w->end - w->p);
        if (left < (f->type == 1 ? 8u : 4u))
            return false;
        w->p += f->type == 1 ? 8 : 4;
        return true;
    }
    return false;
}

/* The first length-delimited field `num` of a message: a name, a package.
 * False when it has none. */
static bool string_field(const uint8_t *msg, size_t len, uint32_t num,
                         const uint8_t **s, size_t *n)
{
    wire w = {msg, msg + len};
    wfield f;

    while (next_field(&w, &f)) {
        if (f.num == num && f.type == 2) {
            *s = f.data;
            *n = f.len;
            return true;
        }
    }
    return false;
}

/* ===================================================================== */
/* Finding a symbol in a FileDescriptorProto                              */
/* ===================================================================== */

/* What a symbol names: nothing found, a message, or anything else. */
enum { SYM_NONE, SYM_MESSAGE, SYM_OTHER };
/* How a symbol relates to a declaration's full name. */
enum { REL_NO, REL_INSIDE, REL_SAME };

/* How `sym` relates to "scope.name", where the scope is the first scope_len
 * characters of sym itself (the search only goes down a path that matches):
 * REL_SAME when sym is that name, REL_INSIDE when it names something in it. */
static int relate(const char *sym, size_t scope_len, const uint8_t *name,
                  size_t n)
{
    size_t off = scope_len;

    if (scope_len > 0) {
        if (sym[off] != '.')
            return REL_NO;
        off++;
    }
    if (n == 0 || strlen(sym + off) < n || memcmp(sym + off, name, n) != 0)
        return REL_NO;
    if (sym[off + n] == '\0')
        return REL_SAME;
    return sym[off + n] == '.' ? REL_INSIDE : REL_NO;
}

/* The length of "scope.name" (the scope of what `name` declares). */
static size_t inner_scope(size_t scope_len, size_t n)
{
    return scope_len + (scope_len > 0 ? 1 : 0) + n;
}

/* A declaration that declares nothing inside it (a field, a method, an
 * enum value, a oneof): its name is field 1. */
static int in_leaf(const uint8_t *d, size_t len, const char *sym,
                   size_t scope_len)
{
    const uint8_t *name;
    size_t n;

    if (!string_field(d, len, 1, &name, &n))
        return SYM_NONE;
    return relate(sym, scope_len, name, n) == REL_SAME ? SYM_OTHER : SYM_NONE;
}

/* An EnumDescriptorProto: the enum, and its values, which protobuf scopes
 * beside the enum (pkg.RED for enum pkg.Color's RED), not inside it. */
static int in_enum(const uint8_t *d, size_t len, const char *sym,
                   size_t scope_len)
{
    if (in_leaf(d, len, sym, scope_len) != SYM_NONE)
        return SYM_OTHER;
    wire w = {d, d + len};
    wfield f;
    while (next_field(&w, &f)) {
        if (f.num == 2 && f.type == 2 &&
            in_leaf(f.data, f.len, sym, scope_len) != SYM_NONE)
            return SYM_OTHER;
    }
    return SYM_NONE;
}

/* A DescriptorProto: the message, its fields, oneofs and extensions, and
 * the messages and enums nested in it. */
static int in_message(const uint8_t *d, size_t len, const char *sym,
                      size_t scope_len, int depth)
{
    const uint8_t *name;
    size_t n;

    if (depth > MAX_DEPTH || !string_field(d, len, 1, &name, &n))
        return SYM_NONE;
    int rel = relate(sym, scope_len, name, n);
    if (rel != REL_INSIDE)
        return rel == REL_SAME ? SYM_MESSAGE : SYM_NONE;
    size_t inner = inner_scope(scope_len, n);
    wire w = {d, d + len};
    wfield f;
    int kind = SYM_NONE;
    while (kind == SYM_NONE && next_field(&w, &f)) {
        if (f.type != 2)
            continue;
        if (f.num == 3) /* nested_type */
            kind = in_message(f.data, f.len, sym, inner, depth + 1);
        else if (f.num == 4) /* enum_type */
            kind = in_enum(f.data, f.len, sym, inner);
        else if (f.num == 2 || f.num == 6 || f.num == 8) /* field, ext, oneof */
            kind = in_leaf(f.data, f.len, sym, inner);
    }
    return kind;
}

/* A ServiceDescriptorProto: the service and its methods. */
static int in_service(const uint8_t *d, size_t len, const char *sym,
                      size_t scope_len)
{
    const uint8_t *name;
    size_t n;

    if (!string_field(d, len, 1, &name, &n))
        return SYM_NONE;
    int rel = relate(sym, scope_len, name, n);
    if (rel != REL_INSIDE)
        return rel == REL_SAME ? SYM_OTHER : SYM_NONE;
    wire w = {d, d + len};
    wfield f;
    while (next_field(&w, &f)) {
        if (f.num == 2 && f.type == 2 &&
            in_leaf(f.data, f.len, sym, inner_scope(scope_len, n)) != SYM_NONE)
            return SYM_OTHER;
    }
    return SYM_NONE;
}

/* What `sym` (fully qualified, no leading dot) names in file `fd`. */
static int in_file(const cg_file_descriptor *fd, const char *sym)
{
    const uint8_t *pkg;
    size_t plen = 0;

    if (string_field(fd->data, fd->len, 2, &pkg, &plen) && plen > 0 &&
        (strlen(sym) <= plen || memcmp(sym, pkg, plen) != 0 ||
         sym[plen] != '.'))
        return SYM_NONE;
    wire w = {fd->data, fd->data + fd->len};
    wfield f;
    int kind = SYM_NONE;
    while (kind == SYM_NONE && next_field(&w, &f)) {
        if (f.type != 2)
            continue;
        if (f.num == 4) /* message_type */
            kind = in_message(f.data, f.len, sym, plen, 0);
        else if (f.num == 5) /* enum_type */
            kind = in_enum(f.data, f.len, sym, plen);
        else if (f.num == 6) /* service */
            kind = in_service(f.data, f.len, sym, plen);
        else if (f.num == 7) /* extension */
            kind = in_leaf(f.data, f.len, sym, plen);
    }
    return kind;
}

/* ===================================================================== */
/* Extensions                                                             */
/* ===================================================================== */

/* A search for extensions of one message type: `number` < 0 collects all
 * their numbers into nums; otherwise `found` says whether that one is
 * declared. */
typedef struct ext_search {
    const char *type; /* "pkg.Msg", no leading dot */
    int64_t number;
    bool found;
    int32_t *nums;
    size_t n_nums, cap;
} ext_search;

/* A FieldDescriptorProto declared as an extension. */
static void check_extension(const uint8_t *d, size_t len, ext_search *x)
{
    const uint8_t *extendee;
    size_t n;
    uint64_t number = 0;
    wire w = {d, d + len};
    wfield f;

    if (!string_field(d, len, 2, &extendee, &n))
        return;
    if (n > 0 && extendee[0] == '.') {
        extendee++;
        n--;
    }
    if (strlen(x->type) != n || memcmp(x->type, extendee, n) != 0)
        return;
    while (next_field(&w, &f)) {
        if (f.num == 3 && f.type == 0)
            number = f.v;
    }
    if (x->number >= 0) {
        x->found = x->found || (int64_t)number == x->number;
        return;
    }
    if (x->n_nums == x->cap) {
        x->cap = x->cap ? 2 * x->cap : 8;
        x->nums = cgi_realloc(x->nums, x->cap * sizeof *x->nums);
    }
    x->nums[x->n_nums++] = (int32_t)number;
}

/* Every extension declared in a FileDescriptorProto (ext_field 7) or a
 * DescriptorProto (ext_field 6, and the messages nested in it). */
static void each_extension(const uint8_t *d, size_t len, uint32_t ext_field,
                           uint32_t msg_field, ext_search *x, int depth)
{
    wire w = {d, d + len};
    wfield f;

    if (depth > MAX_DEPTH)
        return;
    while (next_field(&w, &f)) {
        if (f.type != 2)
            continue;
        if (f.num == ext_field)
            check_extension(f.data, f.len, x);
        else if (f.num == msg_field)
            each_extension(f.data, f.len, 6, 3, x, depth + 1);
    }
}

/* ===================================================================== */
/* The files a server has                                                 */
/* ===================================================================== */

/* Every file of every registered service, each name once (several
 * services' tables list the same imports). */
typedef struct file_list {
    const cg_file_descriptor **items;
    size_t n;
} file_list;

static const cg_file_descriptor *find_file(const file_list *fl,
                                           const char *name)
{
    for (size_t i = 0; i < fl->n; i++) {
        if (fl->items[i]->name != NULL && strcmp(fl->items[i]->name, name) == 0)
            return fl->items[i];
    }
    return NULL;
}

static void list_files(const cg_server *srv, file_list *fl)
{
    size_t n_svcs, total = 0;
    const cg_service *const *svcs = cgi_server_services(srv, &n_svcs);

    for (size_t i = 0; i < n_svcs; i++)
        total += svcs[i]->files != NULL ? svcs[i]->n_files : 0;
    fl->items = cgi_calloc(total > 0 ? total : 1, sizeof *fl->items);
    fl->n = 0;
    for (size_t i = 0; i < n_svcs; i++) {
        for (size_t k = 0; svcs[i]->files != NULL && k < svcs[i]->n_files;
             k++) {
            const cg_file_descriptor *fd = &svcs[i]->files[k];
            if (fd->name != NULL && fd->data != NULL &&
                find_file(fl, fd->name) == NULL)
                fl->items[fl->n++] = fd;
        }
    }
}

/* The first file that declares `sym`, with its kind in *kind. */
static const cg_file_descriptor *file_declaring(const file_list *fl,
                                                const char *sym, int *kind)
{
    if (sym[0] == '.')
        sym++;
    for (size_t i = 0; i < fl->n; i++) {
        *kind = in_file(fl->items[i], sym);
        if (*kind != SYM_NONE)
            return fl->items[i];
    }
    *kind = SYM_NONE;
    return NULL;
}

/* ===================================================================== */
/* Answers                                                                */
/* ===================================================================== */

/* What one response points to, freed once it is sent. */
typedef struct answer {
    refl_resp resp;
    Grpc__Reflection__V1__FileDescriptorResponse files;
    Grpc__Reflection__V1__ListServiceResponse list;
    Grpc__Reflection__V1__ExtensionNumberResponse numbers;
    Grpc__Reflection__V1__ErrorResponse error;
    ProtobufCBinaryData *blobs;
    refl_svc *svcs;
    refl_svc **svc_ptrs;
    char message[200];
} answer;

static void answer_error(answer *a, grpc_status_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error_response: the stream stays open for the next request. */
static void answer_error(answer *a, grpc_status_code code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    grpc__reflection__v1__error_response__init(&a->error);
    a->error.error_code = (int32_t)code;
    a->error.error_message = a->message;
    a->resp.message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    a->resp.error_response = &a->error;
}

/* Adds `fd` and, after it, the files it imports that are not in yet. */
static void add_with_imports(answer *a, const file_list *fl,
                             const cg_file_descriptor *fd)
{
    Grpc__Reflection__V1__FileDescriptorResponse *r = &a->files;

    for (size_t i = 0; i < r->n_file_descriptor_proto; i++) {
        if (r->file_descriptor_proto[i].data == fd->data)
            return;
    }
    r->file_descriptor_proto[r->n_file_descriptor_proto++] =
        (ProtobufCBinaryData){fd->len, (uint8_t *)fd->data};
    wire w = {fd->data, fd->data + fd->len};
    wfield f;
    while (next_field(&w, &f)) {
        if (f.num != 3 || f.type != 2) /* dependency */
            continue;
        char name[512];
        if (f.len >= sizeof name)
            continue;
        memcpy(name, f.data, f.len);
        name[f.len] = '\0';
        const cg_file_descriptor *dep = find_file(fl, name);
        if (dep != NULL)
            add_with_imports(a, fl, dep);
    }
}

/* The answer to "the file ... and its imports". */
static void answer_file(answer *a, const file_list *fl,
                        const cg_file_descriptor *fd)
{
    grpc__reflection__v1__file_descriptor_response__init(&a->files);
    a->blobs = cgi_calloc(fl->n, sizeof *a->blobs);
    a->files.file_descriptor_proto = a->blobs;
    add_with_imports(a, fl, fd);
    a->resp.message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    a->resp.file_descriptor_response = &a->files;
}

static void answer_list(answer *a, const cg_server *srv)
{
    size_t n;
    const cg_service *const *svcs = cgi_server_services(srv, &n);

    grpc__reflection__v1__list_service_response__init(&a->list);
    a->svcs = cgi_calloc(n > 0 ? n : 1, sizeof *a->svcs);
    a->svc_ptrs = cgi_calloc(n > 0 ? n : 1, sizeof *a->svc_ptrs);
    for (size_t i = 0; i < n; i++) {
        grpc__reflection__v1__service_response__init(&a->svcs[i]);
        a->svcs[i].name = (char *)(svcs[i]->name ? svcs[i]->name : "");
        a->svc_ptrs[i] = &a->svcs[i];
    }
    a->list.n_service = n;
    a->list.service = a->svc_ptrs;
    a->resp.message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    a->resp.list_services_response = &a->list;
}

static int compare_numbers(const void *x, const void *y)
{
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

/* The extension numbers of a message type, in ascending order: NOT_FOUND
 * for a type the server does not know, else its numbers (none is an
 * answer too). */
static void answer_numbers(answer *a, const file_list *fl, const char *type,
                           ext_search *x)
{
    int kind;

    if (type[0] == '.')
        type++;
    if (file_declaring(fl, type, &kind) == NULL || kind != SYM_MESSAGE) {
        answer_error(a, GRPC_STATUS_NOT_FOUND,
                     "%s is not a message type of this server", type);
        return;
    }
    x->type = type;
    x->number = -1;
    for (size_t i = 0; i < fl->n; i++)
        each_extension(fl->items[i]->data, fl->items[i]->len, 7, 4, x, 0);
    if (x->n_nums > 1)
        qsort(x->nums, x->n_nums, sizeof *x->nums, compare_numbers);
    grpc__reflection__v1__extension_number_response__init(&a->numbers);
    a->numbers.base_type_name = (char *)type;
    a->numbers.n_extension_number = x->n_nums;
    a->numbers.extension_number = x->nums;
    a->resp.message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    a->resp.all_extension_numbers_response = &a->numbers;
}

static void answer_extension(answer *a, const file_list *fl,
                             const Grpc__Reflection__V1__ExtensionRequest *e)
{
    const char *type = e->containing_type ? e->containing_type : "";
    ext_search x = {.type = type[0] == '.' ? type + 1 : type,
                    .number = e->extension_number};

    for (size_t i = 0; i < fl->n; i++) {
        each_extension(fl->items[i]->data, fl->items[i]->len, 7, 4, &x, 0);
        if (x.found) {
            answer_file(a, fl, fl->items[i]);
            return;
        }
    }
    answer_error(a, GRPC_STATUS_NOT_FOUND,
                 "no extension %d of %s is declared in the descriptors of "
                 "this server",
                 (int)e->extension_number, type);
}

static void answer_name(answer *a, const file_list *fl, const char *name,
                        bool symbol)
{
    int kind;
    const cg_file_descriptor *fd =
        symbol ? file_declaring(fl, name, &kind) : find_file(fl, name);

    if (fd != NULL)
        answer_file(a, fl, fd);
    else if (symbol)
        answer_error(a, GRPC_STATUS_NOT_FOUND,
                     "symbol %s is not declared in the descriptors of this "
                     "server",
                     name);
    else
        answer_error(a, GRPC_STATUS_NOT_FOUND,
                     "file %s is not one of this server's", name);
}

/* Fills a->resp for one request. */
static void respond(const cg_server *srv, const refl_req *req, answer *a,
                    ext_search *x)
{
    file_list fl;

    list_files(srv, &fl);
    grpc__reflection__v1__server_reflection_response__init(&a->resp);
    a->resp.valid_host = req->host ? req->host : (char *)"";
    a->resp.original_request = (refl_req *)req;
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        answer_list(a, srv);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        answer_name(a, &fl, req->file_by_filename, false);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        answer_name(a, &fl, req->file_containing_symbol, true);
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
        if (req->file_containing_extension != NULL)
            answer_extension(a, &fl, req->file_containing_extension);
        else
            answer_error(a, GRPC_STATUS_INVALID_ARGUMENT, "%s",
                         "file_containing_extension names no type");
        break;
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        answer_numbers(a, &fl, req->all_extension_numbers_of_type, x);
        break;
    default:
        answer_error(a, GRPC_STATUS_INVALID_ARGUMENT, "%s",
                     "the request asks for nothing: set one of list_services, "
                     "file_by_filename, file_containing_symbol, "
                     "file_containing_extension, "
                     "all_extension_numbers_of_type");
        break;
    }
    free(fl.items);
}

/* ===================================================================== */
/* The stream                                                             */
/* ===================================================================== */

/* `msg` re-encoded as a message of type `desc` (same wire format);
 * free it with protobuf_c_message_free_unpacked. */
static void *convert(const ProtobufCMessage *msg,
                     const ProtobufCMessageDescriptor *desc)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = cgi_malloc(len > 0 ? len : 1);

    protobuf_c_message_pack(msg, buf);
    void *out = protobuf_c_message_unpack(desc, NULL, len, buf);
    free(buf);
    return out;
}

/* Answers one request (of the v1 or v1alpha type); false when the answer
 * could not be sent (the call is over). */
static bool serve_one(const cg_server *srv, cg_stream *s, const void *in,
                      bool alpha)
{
    const refl_req *req = in;
    answer a;
    ext_search x = {0};
    bool sent = false;

    if (alpha)
        req = convert(
            in, &grpc__reflection__v1__server_reflection_request__descriptor);
    memset(&a, 0, sizeof a);
    if (req != NULL) {
        respond(srv, req, &a, &x);
        if (!alpha) {
            sent = cg_send(s, &a.resp);
        } else {
            void *out = convert(
                &a.resp.base,
                &grpc__reflection__v1alpha__server_reflection_response__descriptor);
            sent = out != NULL && cg_send(s, out);
            protobuf_c_message_free_unpacked(out, NULL);
        }
    }
    if (alpha && req != NULL)
        protobuf_c_message_free_unpacked((ProtobufCMessage *)req, NULL);
    free(a.blobs);
    free(a.svcs);
    free(a.svc_ptrs);
    free(x.nums);
    return sent;
}

static cg_status serve(cg_ctx *ctx, cg_stream *stream, bool alpha)
{
    const cg_server *srv = cg_ctx_user(ctx);

    for (;;) {
        const void *req = cg_recv(stream);
        if (req == NULL)
            return cg_stream_error(stream);
        if (!serve_one(srv, stream, req, alpha))
            return cg_error(ctx, GRPC_STATUS_CANCELLED,
                            "reflection: the answer could not be sent");
    }
}

static cg_status serve_v1(cg_ctx *ctx, cg_stream *stream)
{
    return serve(ctx, stream, false);
}

static cg_status serve_v1alpha(cg_ctx *ctx, cg_stream *stream)
{
    return serve(ctx, stream, true);
}

static const Grpc__Reflection__V1__ServerReflection_Server v1_impl = {
    .server_reflection_info = serve_v1,
};

static const Grpc__Reflection__V1alpha__ServerReflection_Server v1alpha_impl = {
    .server_reflection_info = serve_v1alpha,
};

int cg_server_enable_reflection(cg_server *srv)
{
    if (srv == NULL) {
        cgi_warn("cg_server_enable_reflection: srv is NULL");
        return -1;
    }
    if (grpc__reflection__v1__server_reflection__register_server(srv, &v1_impl,
                                                                 srv) != 0)
        return -1;
    return grpc__reflection__v1alpha__server_reflection__register_server(
        srv, &v1alpha_impl, srv);
}
