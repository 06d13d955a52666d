/*
 * names.c: protobuf-c's naming rules (see names.h for the table).
 *
 * Written from the behaviour of protoc-gen-c 1.4.1 (checked against its output
 * in tests/workspace/plugin): only ASCII letters count as upper or lower case,
 * whatever the locale.
 */
#include "names.h"

#include <string.h>

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static char to_lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static char to_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* CamelToLower / CamelToUpper: an underscore goes before every upper-case
 * letter that follows a character that is not upper case, except at the
 * very start. */
static char *camel_to(arena *a, const char *name, bool upper)
{
    char *out = arena_alloc(a, 2 * strlen(name) + 1);
    char *p = out;
    bool was_upper = true; /* no leading '_' */

    for (; *name; name++) {
        bool up = is_upper(*name);
        if (up && !was_upper)
            *p++ = '_';
        *p++ = upper ? to_upper(*name) : to_lower(*name);
        was_upper = up;
    }
    *p = '\0';
    return out;
}

char *pbc_lower(arena *a, const char *name)
{
    return camel_to(a, name, false);
}

char *pbc_upper(arena *a, const char *name)
{
    return camel_to(a, name, true);
}

/* ToCamel: underscores dropped, the letter after one (and the first) raised. */
char *pbc_to_camel(arena *a, const char *name)
{
    char *out = arena_alloc(a, strlen(name) + 1);
    char *p = out;
    bool next_upper = true;

    for (; *name; name++) {
        if (*name == '_') {
            next_upper = true;
        } else {
            *p++ = next_upper ? to_upper(*name) : *name;
            next_upper = false;
        }
    }
    *p = '\0';
    return out;
}

char *pbc_full_name(arena *a, const char *full_name, const char *package,
                    const char *c_package, pbc_style style)
{
    const char *name = full_name;
    text out = TEXT_INIT;
    char *result;

    /* protobuf-c's OverrideFullName: the package part is replaced. */
    if (c_package != NULL) {
        size_t plen = strlen(package);
        name = arena_printf(a, "%s%s%s", c_package, plen ? "" : ".",
                            full_name + plen);
    }
    /* Pieces between dots, empty ones skipped, joined with "__". */
    while (*name) {
        size_t n = strcspn(name, ".");
        if (n > 0) {
            char *piece = arena_strndup(a, name, n);
            if (out.len > 0)
                text_puts(&out, "__");
            switch (style) {
            case PBC_LOWER:
                text_puts(&out, pbc_lower(a, piece));
                break;
            case PBC_UPPER:
                text_puts(&out, pbc_upper(a, piece));
                break;
            case PBC_TYPE:
                text_puts(&out, pbc_to_camel(a, piece));
                break;
            }
        }
        name += n;
        if (*name == '.')
            name++;
    }
    result = arena_strdup(a, text_str(&out));
    text_free(&out);
    return result;
}

bool c_is_keyword(const char *word)
{
    static const char *const keywords[] = {
        "auto",       "break",     "case",           "char",
        "const",      "continue",  "default",        "do",
        "double",     "else",      "enum",           "extern",
        "float",      "for",       "goto",           "if",
        "inline",     "int",       "long",           "register",
        "restrict",   "return",    "short",          "signed",
        "sizeof",     "static",    "struct",         "switch",
        "typedef",    "union",     "unsigned",       "void",
        "volatile",   "while",     "_Alignas",       "_Alignof",
        "_Atomic",    "_Bool",     "_Complex",       "_Generic",
        "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
    };

    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        if (strcmp(word, keywords[i]) == 0)
            return true;
    }
    return false;
}

char *file_identifier(arena *a, const char *file_name)
{
    static const char hex[] = "0123456789abcdef";
    char *out = arena_alloc(a, 3 * strlen(file_name) + 1);
    char *p = out;

    for (const unsigned char *s = (const unsigned char *)file_name; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
            (*s >= '0' && *s <= '9')) {
            *p++ = (char)*s;
        } else {
            *p++ = '_';
            *p++ = hex[*s >> 4];
            *p++ = hex[*s & 15];
        }
    }
    *p = '\0';
    return out;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

char *strip_proto(arena *a, const char *file_name)
{
    size_t n = strlen(file_name);

    if (ends_with(file_name, ".protodevel"))
        n -= strlen(".protodevel");
    else if (ends_with(file_name, ".proto"))
        n -= strlen(".proto");
    return arena_strndup(a, file_name, n);
}
