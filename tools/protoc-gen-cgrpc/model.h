/*
 * model.h: what the generator knows about the request, with every C name
 * already worked out.
 *
 * protoc hands the plugin the descriptors of the files to generate and of
 * everything they import. model_build() turns them into a small model: per
 * file to generate, its services; per service, its methods; per method, the
 * message types with the C names protobuf-c gave them (found by their fully
 * qualified .proto name, so types from imported files and nested types work)
 * and the names the stubs will use. Both the clash check (clash.h) and the
 * writer (generate.h) read this model, so a name is decided in one place.
 */
#ifndef CGRPC_PLUGIN_MODEL_H
#define CGRPC_PLUGIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "google/protobuf/compiler/plugin.pb-c.h"
#include "util.h"

typedef Google__Protobuf__FileDescriptorProto pb_file;
typedef Google__Protobuf__DescriptorProto pb_message;

/* One .proto file of the request (generated or imported). */
typedef struct model_proto {
    const pb_file *proto;
    const char *name;      /* "tutorial/v1/my_service.proto" */
    const char *package;   /* "tutorial.v1", "" for none */
    const char *c_package; /* (pb_c_file).c_package, or NULL */
    bool no_generate;      /* (pb_c_file).no_generate: no .pb-c.h at all */
    bool pack_helpers;     /* (pb_c_file).gen_pack_helpers (default true) */
} model_proto;

/* One message type, as protobuf-c names it. */
typedef struct model_type {
    const char *full_name; /* "tutorial.v1.Outer.Inner" (no leading dot) */
    const model_proto *file;
    const pb_message *proto;
    bool nested;            /* declared inside another message */
    const char *c_type;     /* "Tutorial__V1__Outer__Inner" */
    const char *lower;      /* "tutorial__v1__outer__inner" */
    const char *descriptor; /* "tutorial__v1__outer__inner__descriptor" */
    const char *free_fn;    /* "..._free_unpacked" or NULL if not generated */
} model_type;

typedef enum model_kind {
    KIND_UNARY,
    KIND_SERVER_STREAMING,
    KIND_CLIENT_STREAMING,
    KIND_BIDI_STREAMING,
} model_kind;

typedef struct model_method {
    int index;         /* position in the service */
    const char *name;  /* "UnaryCall" */
    const char *lower; /* "unary_call": the handler table member */
    const char *upper; /* "UNARY_CALL" */
    const char *path;  /* "/tutorial.v1.MyService/UnaryCall" */
    model_kind kind;
    const model_type *input;
    const model_type *output;
    const char *comment; /* the .proto's comment, cleaned, or NULL */
    bool deprecated;
    /* Names generated for it. */
    const char *macro;  /* TUTORIAL__V1__MY_SERVICE__UNARY_CALL__METHOD */
    const char *invoke; /* my_service__unary_call__invoke (static) */
    const char *client; /* tutorial__v1__my_service_client__unary_call */
} model_method;

typedef struct model_service {
    int index;               /* position in the file */
    const char *name;        /* "MyService" */
    const char *full_name;   /* "tutorial.v1.MyService" */
    const char *lower;       /* "tutorial__v1__my_service" */
    const char *upper;       /* "TUTORIAL__V1__MY_SERVICE" */
    const char *c_type;      /* "Tutorial__V1__MyService" */
    const char *short_lower; /* "my_service": static names in the .c */
    const char *comment;     /* the .proto's comment, cleaned, or NULL */
    bool deprecated;
    /* Names generated for it. */
    const char *table;         /* tutorial__v1__my_service__grpc_service */
    const char *methods;       /* my_service_methods (static) */
    const char *server_type;   /* Tutorial__V1__MyService_Server */
    const char *register_fn;   /* tutorial__v1__my_service__register_server */
    const char *client_prefix; /* tutorial__v1__my_service_client */
    size_t n_methods;
    model_method *method;
} model_service;

/* A file to generate. */
typedef struct model_file {
    const model_proto *proto;
    const char *pbc_header; /* "tutorial/v1/my_service.pb-c.h" */
    const char *header;     /* "tutorial/v1/my_service.cgrpc.h" */
    const char *source;     /* "tutorial/v1/my_service.cgrpc.c" */
    const char *guard;      /* include guard macro */
    /* For server reflection: the file itself first, then every file it
     * imports, directly or not, in the request's order. */
    size_t n_deps;
    const model_proto **deps;
    size_t n_services;
    model_service *service;
} model_file;

typedef struct model {
    size_t n_protos;
    model_proto *protos; /* every file of the request, in its order */
    size_t n_types;
    model_type *types; /* every message, sorted by full_name */
    size_t n_files;
    model_file *files; /* the files to generate, in request order */
} model;

/* Builds the model into `a`. Problems in the .proto files (an unknown type,
 * proto3 `optional`, ...) are added to `d`; the model is complete only when
 * d->count did not grow. */
void model_build(model *m, arena *a,
                 const Google__Protobuf__Compiler__CodeGeneratorRequest *req,
                 diags *d);

/* The message with this fully qualified name (a leading dot is allowed), or
 * NULL. */
const model_type *model_find_type(const model *m, const char *full_name);

/* "unary", "server streaming", ... and the cgrpc.h enumerator "CG_UNARY". */
const char *model_kind_text(model_kind k);
const char *model_kind_enum(model_kind k);

#endif /* CGRPC_PLUGIN_MODEL_H */
