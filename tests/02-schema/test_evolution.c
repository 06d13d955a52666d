/*
 * test_evolution.c: exercise 3, schema evolution.
 *
 * Old = tutorial.v1.Request (proto/tutorial/v1/my_service.proto).
 * New = tutorial.next.v1.Request, from your evolution.proto, compiled by
 * protoc-gen-c at build time. The tests use protobuf-c's reflection (field
 * descriptors) rather than the generated struct's members, so this file
 * compiles whatever your new Request looks like; a missing field is a
 * failed test, not a build error.
 */
#define LESSON_PAGE "steps/02-schema.md"
#define EXERCISE_FILE "evolution.proto"
#include "lesson.h"

#include <stdlib.h>

#include "compat.h"
#include "descset.h"
#include "evolution.pb-c.h"
#include "tutorial/v1/my_service.pb-c.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const ProtobufCMessageDescriptor *const NEW =
    &tutorial__next__v1__request__descriptor;

/* Messages a test made; freed after each test, pass or fail. */
static ProtobufCMessage *made[4];
static int nmade;

static int free_made(void **state)
{
    (void)state;
    while (nmade > 0)
        protobuf_c_message_free_unpacked(made[--nmade], NULL);
    return 0;
}

static ProtobufCMessage *keep(ProtobufCMessage *m)
{
    if (m)
        made[nmade++] = m;
    return m;
}

/* The new Request's field `name`, which must have type `type` and be
 * repeated or not as `repeated` says. */
static const ProtobufCFieldDescriptor *
field(const char *name, ProtobufCType type, int repeated, const char *want)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(NEW, name);
    expect_true(f != NULL, "#adding-and-removing-fields",
                "the new Request (evolution.proto) has no field %s; want: %s",
                name, want);
    expect_true(
        f->type == type && (f->label == PROTOBUF_C_LABEL_REPEATED) == repeated,
        "#adding-and-removing-fields",
        "evolution.proto: field %s has the wrong type; want: %s", name, want);
    return f;
}

#define AT(msg, f, T) (*(T *)(void *)((char *)(msg) + (f)->offset))

static const ProtobufCFieldDescriptor *f_id, *f_amount, *f_tags, *f_priority;

static void find_new_fields(void)
{
    f_id = field("id", PROTOBUF_C_TYPE_STRING, 0, "string id = 1");
    f_amount = field("amount", PROTOBUF_C_TYPE_INT64, 0, "int64 amount = 3");
    f_tags =
        field("tags", PROTOBUF_C_TYPE_STRING, 1, "repeated string tags = 4");
    f_priority =
        field("priority", PROTOBUF_C_TYPE_ENUM, 0, "Priority priority = 5");
}

/* ---- the schema itself ------------------------------------------------------ */

static ds_set *set;
static const ds_message *next_request;

static int load(void **state)
{
    (void)state;
    set = ds_load("evolution.desc");
    next_request =
        ds_find_message(ds_find_file(set, "evolution.proto"), "Request");
    return next_request ? 0 : -1;
}

static int unload(void **state)
{
    (void)state;
    ds_free(set);
    return 0;
}

static void test_evolution_value_reserved(void **state)
{
    (void)state;
    char text[DS_TEXT];
    const ds_message *m = next_request;

    expect_true(
        !ds_find_field(m, "value") && !ds_find_field_number(m, 2),
        "#adding-and-removing-fields",
        "the new Request still has value (or some field 2): %s\n"
        "      remove it; old clients keep sending it, new code skips it",
        ds_fields_text(m, text, sizeof text));
    int number_reserved = 0, name_reserved = 0;
    for (size_t i = 0; i < m->n_reserved_range; i++)
        if (m->reserved_range[i]->start <= 2 && 2 < m->reserved_range[i]->end)
            number_reserved = 1;
    for (size_t i = 0; i < m->n_reserved_name; i++)
        if (strcmp(m->reserved_name[i], "value") == 0)
            name_reserved = 1;
    expect_true(number_reserved && name_reserved, "#adding-and-removing-fields",
                "the new Request should reserve the number 2 and the name "
                "\"value\"\n      got: %s",
                ds_reserved_text(m, text, sizeof text));
}

static void test_evolution_new_fields(void **state)
{
    (void)state;
    char text[DS_TEXT];
    const char *want =
        "string id = 1; int64 amount = 3; repeated string tags = 4; "
        "Priority priority = 5";
    const char *got = ds_fields_text(next_request, text, sizeof text);
    expect_true(strcmp(got, want) == 0, "#adding-and-removing-fields",
                "message Request (evolution.proto)\n      expected: %s\n"
                "      got:      %s",
                want, got);

    const ds_enum *e =
        ds_find_enum(ds_find_file(set, "evolution.proto"), "Priority");
    want = "PRIORITY_UNSPECIFIED = 0; PRIORITY_LOW = 1; PRIORITY_HIGH = 2";
    got = e ? ds_enum_text(e, text, sizeof text) : "(no enum Priority)";
    expect_true(strcmp(got, want) == 0, "#adding-and-removing-fields",
                "enum Priority (evolution.proto)\n      expected: %s\n"
                "      got:      %s",
                want, got);
}

/* ---- real bytes, both ways --------------------------------------------------- */

/* An old client sends {id "r-1", value 7} to a new server. */
static void test_evolution_old_bytes_new_reader(void **state)
{
    (void)state;
    Tutorial__V1__Request old = TUTORIAL__V1__REQUEST__INIT;
    uint8_t bytes[64], again[64];
    old.id = "r-1";
    old.value = 7;
    size_t n = tutorial__v1__request__pack(&old, bytes);

    ProtobufCMessage *m = keep(protobuf_c_message_unpack(NEW, NULL, n, bytes));
    expect_true(m != NULL, "#adding-and-removing-fields",
                "the new Request could not decode an old Request's bytes");
    f_id = field("id", PROTOBUF_C_TYPE_STRING, 0, "string id = 1");
    expect_str_as(AT(m, f_id, char *), "r-1", "#adding-and-removing-fields",
                  "the new Request's id, decoded from an old Request's bytes");

    /* value has no field any more: its bytes are kept as an unknown field. */
    expect_true(
        m->n_unknown_fields == 1 && m->unknown_fields[0].tag == 2 &&
            m->unknown_fields[0].wire_type == PROTOBUF_C_WIRE_TYPE_VARINT,
        "#unknown-fields",
        "decoding old bytes, the new Request should keep value (field 2) "
        "as its one unknown field; it has %u unknown field(s)",
        m->n_unknown_fields);
    /* Fields the old client never sent read as their defaults. */
    find_new_fields();
    expect_int_as(AT(m, f_amount, int64_t), 0, "#adding-and-removing-fields",
                  "amount, which the old client never sent (its default)");
    expect_int_as(*(size_t *)(void *)((char *)m + f_tags->quantifier_offset), 0,
                  "#adding-and-removing-fields",
                  "the number of tags, which the old client never sent");
    expect_int_as(AT(m, f_priority, int), 0, "#adding-and-removing-fields",
                  "priority, which the old client never sent (its default)");

    /* Re-encoded, the unknown field goes along: the same bytes come out. */
    size_t m_len = protobuf_c_message_get_packed_size(m);
    expect_true(m_len == n && protobuf_c_message_pack(m, again) == n &&
                    memcmp(again, bytes, n) == 0,
                "#unknown-fields",
                "re-encoding the new Request should give back the old bytes, "
                "unknown field and all (%zu bytes, got %zu)",
                n, m_len);
}

/* A new client sends {id, amount, tags, priority} to an old server, which
 * passes it on to a new one. */
static void test_evolution_new_bytes_old_reader(void **state)
{
    (void)state;
    find_new_fields();
    const ProtobufCEnumValue *high =
        protobuf_c_enum_descriptor_get_value_by_name(f_priority->descriptor,
                                                     "PRIORITY_HIGH");
    expect_true(high != NULL, "#adding-and-removing-fields",
                "enum Priority has no PRIORITY_HIGH");

    /* Built by hand from the descriptor; it points at our own strings, so it
     * is freed with free(), not protobuf_c_message_free_unpacked(). */
    ProtobufCMessage *m = malloc(NEW->sizeof_message);
    NEW->message_init(m);
    char *tags[] = {"red", "blue"};
    AT(m, f_id, const char *) = "r-2";
    AT(m, f_amount, int64_t) = 5000000000; /* does not fit an int32 */
    AT(m, f_tags, char **) = tags;
    *(size_t *)(void *)((char *)m + f_tags->quantifier_offset) = 2;
    AT(m, f_priority, int) = high->value;
    uint8_t bytes[128], relayed[128];
    size_t n = protobuf_c_message_pack(m, bytes);
    free(m);

    Tutorial__V1__Request *old = tutorial__v1__request__unpack(NULL, n, bytes);
    expect_true(old != NULL, "#unknown-fields",
                "the old Request could not decode the new Request's bytes");
    keep(&old->base);
    expect_str_as(old->id, "r-2", "#unknown-fields",
                  "the old Request's id, decoded from a new Request's bytes");
    expect_int_as(old->value, 0, "#adding-and-removing-fields",
                  "the old Request's value (field 2, which the new Request "
                  "no longer has)");
    expect_int_as(old->base.n_unknown_fields, 4, "#unknown-fields",
                  "unknown fields the old Request keeps (amount, two tags, "
                  "priority: fields 3, 4, 4, 5)");

    /* The old server forwards the message: nothing it did not know is lost. */
    size_t r = tutorial__v1__request__pack(old, relayed);
    expect_bytes(relayed, r, bytes, n, "#unknown-fields");

    ProtobufCMessage *back =
        keep(protobuf_c_message_unpack(NEW, NULL, r, relayed));
    expect_true(back != NULL, "#unknown-fields",
                "the new Request could not decode the relayed bytes");
    expect_int_as(AT(back, f_amount, int64_t), 5000000000, "#unknown-fields",
                  "amount, after an old server relayed the message");
    size_t n_tags =
        *(size_t *)(void *)((char *)back + f_tags->quantifier_offset);
    expect_int_as(
        n_tags, 2, "#unknown-fields",
        "the number of tags, after an old server relayed the message");
    expect_str_as(n_tags == 2 ? AT(back, f_tags, char **)[1] : NULL, "blue",
                  "#unknown-fields",
                  "tag 2 of 2, after an old server relayed the message");
    expect_int_as(AT(back, f_priority, int), high->value, "#unknown-fields",
                  "priority, after an old server relayed the message");
}

/* ---- which changes break old clients ----------------------------------------- */

static const struct {
    change_kind kind;
    const char *what;
} safe[] =
    {
        {CHANGE_ADD_FIELD, "add a field with a new number"},
        {CHANGE_REMOVE_FIELD_RESERVED,
         "remove a field, reserving its number and name"},
        {CHANGE_RENAME_FIELD, "rename a field (same number, same type)"},
        {CHANGE_RENAME_MESSAGE, "rename a message type"},
        {CHANGE_INT32_TO_INT64, "change int32 to int64"},
        {CHANGE_STRING_TO_BYTES, "change string to bytes"},
        {CHANGE_ADD_ENUM_VALUE, "add an enum value"},
        {CHANGE_ADD_METHOD, "add an rpc to a service"},
},
  breaking[] = {
      {CHANGE_RENUMBER_FIELD, "give a field another number"},
      {CHANGE_REUSE_NUMBER, "reuse a removed field's number"},
      {CHANGE_INT32_TO_STRING, "change int32 to string"},
      {CHANGE_INT32_TO_SINT32, "change int32 to sint32"},
      {CHANGE_REMOVE_METHOD, "remove an rpc"},
      {CHANGE_RENAME_METHOD, "rename an rpc"},
      {CHANGE_RENAME_PACKAGE, "rename the package"},
      {CHANGE_UNARY_TO_STREAMING, "make a unary rpc streaming"},
};

static const char *verdict(compat c)
{
    return c == COMPAT_SAFE       ? "COMPAT_SAFE"
           : c == COMPAT_BREAKING ? "COMPAT_BREAKING"
                                  : "COMPAT_UNSPECIFIED";
}

/* exercise: compat.c */
static void test_evolution_classify_safe(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(safe); i++) {
        compat c = compat_classify(safe[i].kind);
        expect_true(c == COMPAT_SAFE, "#what-breaks-old-clients",
                    "compat_classify(%s) returned %s, want COMPAT_SAFE",
                    safe[i].what, verdict(c));
    }
}

/* exercise: compat.c */
static void test_evolution_classify_breaking(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(breaking); i++) {
        compat c = compat_classify(breaking[i].kind);
        expect_true(c == COMPAT_BREAKING, "#what-breaks-old-clients",
                    "compat_classify(%s) returned %s, want COMPAT_BREAKING",
                    breaking[i].what, verdict(c));
    }
    /* Every kind is in one of the two lists; anything else is unspecified. */
    expect_int_as(COUNT(safe) + COUNT(breaking), CHANGE_KIND_COUNT,
                  "#what-breaks-old-clients",
                  "change kinds these tests know (a test of the tests)");
    compat past = compat_classify(CHANGE_KIND_COUNT);
    compat minus = compat_classify((change_kind)-1);
    expect_true(past == COMPAT_UNSPECIFIED, "#what-breaks-old-clients",
                "compat_classify(CHANGE_KIND_COUNT), not a change kind, "
                "returned %s, want COMPAT_UNSPECIFIED",
                verdict(past));
    expect_true(minus == COMPAT_UNSPECIFIED, "#what-breaks-old-clients",
                "compat_classify(-1), not a change kind, returned %s, want "
                "COMPAT_UNSPECIFIED",
                verdict(minus));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evolution_value_reserved),
        cmocka_unit_test(test_evolution_new_fields),
        cmocka_unit_test_teardown(test_evolution_old_bytes_new_reader,
                                  free_made),
        cmocka_unit_test_teardown(test_evolution_new_bytes_old_reader,
                                  free_made),
        cmocka_unit_test(test_evolution_classify_safe),
        cmocka_unit_test(test_evolution_classify_breaking),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
