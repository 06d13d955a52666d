/*
 * descset.c: load a protoc descriptor set and print parts of it back in
 * .proto syntax (see descset.h). Test code, not part of the exercise.
 */
#include "descset.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ds_set *ds_load(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", STEP_BUILD_DIR, name);

    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "cannot open %s: was it built? Run make again.\n",
                path);
        return NULL;
    }
    uint8_t *data = NULL;
    long size = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    size_t len = 0;
    if (size >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (data = malloc((size_t)size + 1)) != NULL)
        len = fread(data, 1, (size_t)size, fp);
    fclose(fp);
    if (!data || len != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        free(data);
        return NULL;
    }

    ds_set *set =
        google__protobuf__file_descriptor_set__unpack(NULL, len, data);
    free(data);
    if (!set)
        fprintf(stderr, "%s is not a descriptor set\n", path);
    return set;
}

void ds_free(ds_set *set)
{
    if (set)
        google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

const ds_file *ds_find_file(const ds_set *set, const char *name)
{
    for (size_t i = 0; set && i < set->n_file; i++)
        if (same(set->file[i]->name, name))
            return set->file[i];
    return NULL;
}

const ds_message *ds_find_message(const ds_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->n_message_type; i++)
        if (same(f->message_type[i]->name, name))
            return f->message_type[i];
    return NULL;
}

const ds_enum *ds_find_enum(const ds_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->n_enum_type; i++)
        if (same(f->enum_type[i]->name, name))
            return f->enum_type[i];
    return NULL;
}

const ds_service *ds_find_service(const ds_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->n_service; i++)
        if (same(f->service[i]->name, name))
            return f->service[i];
    return NULL;
}

const ds_method *ds_find_method(const ds_service *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_method; i++)
        if (same(s->method[i]->name, name))
            return s->method[i];
    return NULL;
}

const ds_field *ds_find_field(const ds_message *m, const char *name)
{
    for (size_t i = 0; m && i < m->n_field; i++)
        if (same(m->field[i]->name, name))
            return m->field[i];
    return NULL;
}

const ds_field *ds_find_field_number(const ds_message *m, int number)
{
    for (size_t i = 0; m && i < m->n_field; i++)
        if (m->field[i]->number == number)
            return m->field[i];
    return NULL;
}

const char *ds_package(const ds_file *f)
{
    return f && f->package ? f->package : "";
}

void ds_appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strnlen(buf, cap);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* ".tutorial.v1.Request" -> "tutorial.v1.Request", or "Request" if short. */
static const char *type_ref(const char *name, int full)
{
    if (!name)
        return "?";
    if (!full && strrchr(name, '.'))
        return strrchr(name, '.') + 1;
    return name[0] == '.' ? name + 1 : name;
}

static const char *type_text(const ds_field *f)
{
    static const char *const names[] = {
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE] =
            "double",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT] = "float",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64] = "int64",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64] =
            "uint64",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32] = "int32",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64] =
            "fixed64",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32] =
            "fixed32",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL] = "bool",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING] =
            "string",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP] = "group",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BYTES] = "bytes",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32] =
            "uint32",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32] =
            "sfixed32",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64] =
            "sfixed64",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32] =
            "sint32",
        [GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT64] =
            "sint64",
    };
    if (f->type_name) /* a message or an enum */
        return type_ref(f->type_name, 0);
    if ((size_t)f->type < sizeof names / sizeof names[0] && names[f->type])
        return names[f->type];
    return "?";
}

static int by_number(const void *a, const void *b)
{
    const ds_field *x = *(const ds_field *const *)a;
    const ds_field *y = *(const ds_field *const *)b;
    return (x->number > y->number) - (x->number < y->number);
}

const char *ds_fields_text(const ds_message *m, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!m || m->n_field == 0) {
        ds_appendf(buf, cap, "(no fields)");
        return buf;
    }
    const ds_field **sorted = malloc(m->n_field * sizeof *sorted);
    if (!sorted)
        return buf;
    memcpy(sorted, m->field, m->n_field * sizeof *sorted);
    qsort(sorted, m->n_field, sizeof *sorted, by_number);
    for (size_t i = 0; i < m->n_field; i++) {
        const ds_field *f = sorted[i];
        const char *label =
            f->label ==
                    GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED
                ? "repeated "
            : f->has_proto3_optional && f->proto3_optional ? "optional "
                                                           : "";
        ds_appendf(buf, cap, "%s%s%s %s = %d", i ? "; " : "", label,
                   type_text(f), f->name, f->number);
    }
    free(sorted);
    return buf;
}

const char *ds_method_text(const ds_method *m, int full_names, char *buf,
                           size_t cap)
{
    buf[0] = '\0';
    int cs = m->has_client_streaming && m->client_streaming;
    int ss = m->has_server_streaming && m->server_streaming;
    ds_appendf(buf, cap, "rpc %s(%s%s) returns (%s%s)", m->name,
               cs ? "stream " : "", type_ref(m->input_type, full_names),
               ss ? "stream " : "", type_ref(m->output_type, full_names));
    return buf;
}

const char *ds_enum_text(const ds_enum *e, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; e && i < e->n_value; i++)
        ds_appendf(buf, cap, "%s%s = %d", i ? "; " : "", e->value[i]->name,
                   e->value[i]->number);
    return buf;
}

const char *ds_reserved_text(const ds_message *m, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < m->n_reserved_range; i++) {
        int start = m->reserved_range[i]->start,
            end = m->reserved_range[i]->end;
        if (end - start == 1) /* ranges are stored end-exclusive */
            ds_appendf(buf, cap, "%sreserved %d", buf[0] ? "; " : "", start);
        else
            ds_appendf(buf, cap, "%sreserved %d to %d", buf[0] ? "; " : "",
                       start, end - 1);
    }
    for (size_t i = 0; i < m->n_reserved_name; i++)
        ds_appendf(buf, cap, "%sreserved \"%s\"", buf[0] ? "; " : "",
                   m->reserved_name[i]);
    if (!buf[0])
        ds_appendf(buf, cap, "(nothing reserved)");
    return buf;
}

const char *ds_names_text(const ds_file *f, char what, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t n = what == 's'   ? f->n_service
               : what == 'm' ? f->n_message_type
                             : f->n_enum_type;
    for (size_t i = 0; i < n; i++) {
        const char *name = what == 's'   ? f->service[i]->name
                           : what == 'm' ? f->message_type[i]->name
                                         : f->enum_type[i]->name;
        ds_appendf(buf, cap, "%s%s", i ? ", " : "", name);
    }
    if (!buf[0])
        ds_appendf(buf, cap, "(none)");
    return buf;
}

const char *ds_method_names(const ds_service *s, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_method; i++)
        ds_appendf(buf, cap, "%s%s", i ? ", " : "", s->method[i]->name);
    if (!buf[0])
        ds_appendf(buf, cap, "(none)");
    return buf;
}
