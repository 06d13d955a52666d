/*
 * clash.c: the name clash check described in clash.h.
 *
 * A symbol is one identifier with a description of who declares it and for
 * which .proto element. All symbols go into one array that is sorted by name,
 * so equal names end up next to each other; the first of a run is the
 * owner, and each of our symbols later in the run is a clash. Members of a
 * handler table are entered as "Type.member", a namespace of their own.
 */
#include "clash.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"

typedef struct symbol {
    const char *name;
    const char *file;    /* the .proto that declares the element */
    const char *element; /* "service tutorial.v1.MyService, method Get" */
    const char *what;    /* what the name is, for the message */
    bool ours;
    size_t seq; /* insertion order, for stable results */
} symbol;

typedef struct symbols {
    arena *a;
    symbol *items;
    size_t n, cap;
} symbols;

static void add(symbols *s, bool ours, const char *file, const char *element,
                const char *what, const char *name)
{
    symbol *sym;

    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->items = xrealloc(s->items, s->cap * sizeof s->items[0]);
    }
    sym = &s->items[s->n];
    sym->name = name;
    sym->file = file;
    sym->element = element;
    sym->what = what;
    sym->ours = ours;
    sym->seq = s->n++;
}

/* ---- what protoc-gen-c declares ---- */

static void add_pbc_enum(symbols *s, const model_proto *f, const char *full,
                         const Google__Protobuf__EnumDescriptorProto *e)
{
    arena *a = s->a;
    const char *elem = arena_printf(a, "enum %s", full);
    const char *type =
        pbc_full_name(a, full, f->package, f->c_package, PBC_TYPE);
    const char *lower =
        pbc_full_name(a, full, f->package, f->c_package, PBC_LOWER);
    const char *upper =
        pbc_full_name(a, full, f->package, f->c_package, PBC_UPPER);
    const char *what = arena_printf(a, "a name of enum %s", full);

    add(s, false, f->name, elem, what, type);
    add(s, false, f->name, elem, what, arena_printf(a, "_%s", type));
    add(s, false, f->name, elem, what,
        arena_printf(a, "%s__descriptor", lower));
    for (size_t i = 0; i < e->n_value; i++) {
        add(s, false, f->name, elem,
            arena_printf(a, "value %s of enum %s", e->value[i]->name, full),
            arena_printf(a, "%s__%s", upper, e->value[i]->name));
    }
}

/* The default-value constants protobuf-c names after fields of `msg`. */
static void add_pbc_defaults(symbols *s, const model_proto *f, const char *elem,
                             const char *full, const char *lower,
                             const pb_message *msg)
{
    arena *a = s->a;

    for (size_t k = 0; k < msg->n_field; k++) {
        const Google__Protobuf__FieldDescriptorProto *fd = msg->field[k];
        if (fd->default_value == NULL)
            continue;
        add(s, false, f->name, elem,
            arena_printf(a, "the default value of field %s of message %s",
                         fd->name, full),
            arena_printf(a, "%s__%s__default_value", lower,
                         pbc_lower(a, fd->name)));
    }
}

/* The names protobuf-c gives the oneofs of `msg`: a Case enum type and
 * one value per member, plus NOT_SET. */
static void add_pbc_oneofs(symbols *s, const model_proto *f, const char *elem,
                           const char *full, const char *upper,
                           const pb_message *msg)
{
    arena *a = s->a;

    for (size_t k = 0; k < msg->n_oneof_decl; k++) {
        const char *oneof = msg->oneof_decl[k]->name;
        const char *owhat =
            arena_printf(a, "a name of oneof %s of message %s", oneof, full);
        const char *oupper = pbc_upper(a, oneof);
        add(s, false, f->name, elem, owhat,
            arena_printf(a, "%sCase",
                         pbc_full_name(a, arena_printf(a, "%s.%s", full, oneof),
                                       f->package, f->c_package, PBC_TYPE)));
        add(s, false, f->name, elem, owhat,
            arena_printf(a, "%s__%s__NOT_SET", upper, oupper));
        for (size_t j = 0; j < msg->n_field; j++) {
            const Google__Protobuf__FieldDescriptorProto *fd = msg->field[j];
            if (!fd->has_oneof_index || fd->oneof_index != (int32_t)k)
                continue;
            add(s, false, f->name, elem, owhat,
                arena_printf(a, "%s__%s_%s", upper, oupper,
                             pbc_upper(a, fd->name)));
        }
    }
}

static void add_pbc_messages(symbols *s, const model_proto *f,
                             const char *scope, pb_message *const *msgs,
                             size_t n)
{
    static const char *const functions[] = {
        "init",   "get_packed_size", "pack",       "pack_to_buffer",
        "unpack", "free_unpacked",   "descriptor",
    };
    arena *a = s->a;

    for (size_t i = 0; i < n; i++) {
        const pb_message *msg = msgs[i];
        const char *full =
            scope[0] ? arena_printf(a, "%s.%s", scope, msg->name) : msg->name;
        const char *elem = arena_printf(a, "message %s", full);
        const char *what = arena_printf(a, "a name of message %s", full);
        const char *type =
            pbc_full_name(a, full, f->package, f->c_package, PBC_TYPE);
        const char *lower =
            pbc_full_name(a, full, f->package, f->c_package, PBC_LOWER);
        const char *upper =
            pbc_full_name(a, full, f->package, f->c_package, PBC_UPPER);

        add(s, false, f->name, elem, what, type);
        add(s, false, f->name, elem, what, arena_printf(a, "%s_Closure", type));
        add(s, false, f->name, elem, what, arena_printf(a, "%s__INIT", upper));
        for (size_t k = 0; k < sizeof functions / sizeof functions[0]; k++) {
            add(s, false, f->name, elem, what,
                arena_printf(a, "%s__%s", lower, functions[k]));
        }
        add_pbc_defaults(s, f, elem, full, lower, msg);
        add_pbc_oneofs(s, f, elem, full, upper, msg);
        for (size_t k = 0; k < msg->n_enum_type; k++) {
            add_pbc_enum(
                s, f, arena_printf(a, "%s.%s", full, msg->enum_type[k]->name),
                msg->enum_type[k]);
        }
        add_pbc_messages(s, f, full, msg->nested_type, msg->n_nested_type);
    }
}

static void add_pbc_file(symbols *s, const model_proto *f)
{
    arena *a = s->a;
    const pb_file *p = f->proto;
    const char *scope = f->package;

    add_pbc_messages(s, f, scope, p->message_type, p->n_message_type);
    for (size_t i = 0; i < p->n_enum_type; i++) {
        const char *name = p->enum_type[i]->name;
        add_pbc_enum(s, f,
                     scope[0] ? arena_printf(a, "%s.%s", scope, name) : name,
                     p->enum_type[i]);
    }
    for (size_t i = 0; i < p->n_service; i++) {
        const Google__Protobuf__ServiceDescriptorProto *ps = p->service[i];
        const char *full =
            scope[0] ? arena_printf(a, "%s.%s", scope, ps->name) : ps->name;
        const char *elem = arena_printf(a, "service %s", full);
        const char *what = arena_printf(a, "a name of service %s", full);
        const char *type =
            pbc_full_name(a, full, f->package, f->c_package, PBC_TYPE);
        const char *lower =
            pbc_full_name(a, full, f->package, f->c_package, PBC_LOWER);
        const char *upper =
            pbc_full_name(a, full, f->package, f->c_package, PBC_UPPER);

        add(s, false, f->name, elem, what, arena_printf(a, "%s_Service", type));
        add(s, false, f->name, elem, what,
            arena_printf(a, "%s_ServiceDestroy", type));
        add(s, false, f->name, elem, what, arena_printf(a, "%s__init", lower));
        add(s, false, f->name, elem, what,
            arena_printf(a, "%s__descriptor", lower));
        add(s, false, f->name, elem, what,
            arena_printf(a, "%s__method_indices_by_name", lower));
        add(s, false, f->name, elem, what,
            arena_printf(a, "%s__BASE_INIT", upper));
        add(s, false, f->name, elem, what, arena_printf(a, "%s__INIT", upper));
        for (size_t k = 0; k < ps->n_method; k++) {
            add(s, false, f->name,
                arena_printf(a, "service %s, method %s", full,
                             ps->method[k]->name),
                arena_printf(a, "the closure-style function of method %s.%s",
                             full, ps->method[k]->name),
                arena_printf(a, "%s__%s", lower,
                             pbc_lower(a, ps->method[k]->name)));
        }
    }
}

/* ---- what this plugin declares ---- */

static void add_ours(symbols *s, const model_file *file)
{
    arena *a = s->a;
    const char *fname = file->proto->name;

    for (size_t i = 0; i < file->n_services; i++) {
        const model_service *svc = &file->service[i];
        const char *full = svc->full_name;
        const char *elem = arena_printf(a, "service %s", full);

        add(s, true, fname, elem,
            arena_printf(a, "the method table of service %s", full),
            svc->table);
        add(s, true, fname, elem,
            arena_printf(a, "the method array of service %s", full),
            svc->methods);
        add(s, true, fname, elem,
            arena_printf(a, "the handler table type of service %s", full),
            svc->server_type);
        add(s, true, fname, elem,
            arena_printf(a, "the registration function of service %s", full),
            svc->register_fn);
        for (size_t k = 0; k < svc->n_methods; k++) {
            const model_method *m = &svc->method[k];
            const char *melem =
                arena_printf(a, "service %s, method %s", full, m->name);
            const char *mfull = arena_printf(a, "%s.%s", full, m->name);

            add(s, true, fname, melem,
                arena_printf(a, "the cg_method macro of method %s", mfull),
                m->macro);
            add(s, true, fname, melem,
                arena_printf(a, "the invoke function of method %s", mfull),
                m->invoke);
            add(s, true, fname, melem,
                arena_printf(a, "the client function of method %s", mfull),
                m->client);
            add(s, true, fname, melem,
                arena_printf(a, "the handler of method %s in %s", mfull,
                             svc->server_type),
                arena_printf(a, "%s.%s", svc->server_type, m->lower));
        }
    }
}

/* ---- the check ---- */

static int by_name(const void *x, const void *y)
{
    const symbol *a = x, *b = y;
    int c = strcmp(a->name, b->name);

    if (c != 0)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

typedef struct clash {
    const symbol *ours;
    const symbol *owner;
} clash;

static int by_seq(const void *x, const void *y)
{
    const clash *a = x, *b = y;

    if (a->ours->seq != b->ours->seq)
        return a->ours->seq < b->ours->seq ? -1 : 1;
    return 0;
}

static void check_keywords(const model *m, diags *d)
{
    for (size_t i = 0; i < m->n_files; i++) {
        const model_file *file = &m->files[i];
        for (size_t k = 0; k < file->n_services; k++) {
            const model_service *svc = &file->service[k];
            for (size_t j = 0; j < svc->n_methods; j++) {
                const model_method *mm = &svc->method[j];
                if (!c_is_keyword(mm->lower))
                    continue;
                diag(d,
                     "%s: service %s, method %s: its C name `%s` is a C "
                     "keyword and cannot name the handler (protoc-gen-c's "
                     "own output would not compile either). Choose another "
                     "name for the method in the .proto.",
                     file->proto->name, svc->full_name, mm->name, mm->lower);
            }
        }
    }
}

void clash_check(const model *m, arena *a, diags *d)
{
    symbols s = {a, NULL, 0, 0};
    clash *found;
    size_t n_found = 0;

    check_keywords(m, d);
    for (size_t i = 0; i < m->n_protos; i++)
        add_pbc_file(&s, &m->protos[i]);
    for (size_t i = 0; i < m->n_files; i++)
        add_ours(&s, &m->files[i]);
    if (s.n == 0)
        return;
    qsort(s.items, s.n, sizeof s.items[0], by_name);

    found = xmalloc(s.n * sizeof found[0]);
    for (size_t i = 0; i < s.n;) {
        size_t end = i + 1;
        while (end < s.n && strcmp(s.items[end].name, s.items[i].name) == 0)
            end++;
        for (size_t k = i + 1; k < end; k++) {
            if (s.items[k].ours) {
                found[n_found].ours = &s.items[k];
                found[n_found].owner = &s.items[i];
                n_found++;
            }
        }
        i = end;
    }
    qsort(found, n_found, sizeof found[0], by_seq);

    /* One message per pair of elements: methods GetHTTP and GetHttp clash
     * in every name made from them, but that is one problem. */
    for (size_t i = 0; i < n_found; i++) {
        const symbol *ours = found[i].ours, *owner = found[i].owner;
        bool repeated = false;
        for (size_t k = 0; k < i && !repeated; k++) {
            repeated = strcmp(found[k].ours->element, ours->element) == 0 &&
                       strcmp(found[k].owner->element, owner->element) == 0;
        }
        if (repeated)
            continue;
        const char *dot = strchr(ours->name, '.');
        size_t elen = strlen(ours->element);
        /* When our name comes from the service and the owner is one of its
         * methods, only renaming that method helps. */
        bool inside = strncmp(owner->element, ours->element, elen) == 0 &&
                      strncmp(owner->element + elen, ", ", 2) == 0;
        diag(d,
             "%s: %s: protoc-gen-cgrpc names %s `%s`, but %s already uses "
             "that name for %s%s. Rename %s in the .proto.",
             ours->file, ours->element, ours->what, dot ? dot + 1 : ours->name,
             owner->ours ? "protoc-gen-cgrpc" : "protoc-gen-c", owner->what,
             strcmp(owner->file, ours->file) != 0
                 ? arena_printf(a, " (in %s)", owner->file)
                 : "",
             inside ? owner->element + elen + 2 : "one of them");
    }
    free(found);
    free(s.items);
}
