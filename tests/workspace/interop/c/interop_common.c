/*
 * interop_common.c: flags and zero payloads for the C interop programs.
 */
#include "interop_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In .bss: costs no file size, and pages are only mapped when read. Never
 * written, so it is safe to share between handler threads. */
static uint8_t zeros[INTEROP_MAX_PAYLOAD];

uint8_t *interop_zeros(size_t size)
{
    return size <= sizeof zeros ? zeros : NULL;
}

bool interop_all_zero(const uint8_t *data, size_t len)
{
    return len == 0 || (data[0] == 0 && memcmp(data, data + 1, len - 1) == 0);
}

bool interop_parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || *s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool known_flag(const char *arg, const char *const *known,
                       size_t *name_len)
{
    for (; *known; known++) {
        size_t n = strlen(*known);
        if (strncmp(arg, *known, n) == 0 && (arg[n] == '=' || arg[n] == '\0')) {
            *name_len = n;
            return true;
        }
    }
    return false;
}

const char *interop_flag(int argc, char **argv, const char *const *known,
                         const char *name, const char *usage)
{
    const char *found = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        size_t n;
        if (strncmp(arg, "--", 2) != 0 || !known_flag(arg + 2, known, &n)) {
            fprintf(stderr, "unknown argument %s\nusage: %s\n", arg, usage);
            exit(2);
        }
        const char *value =
            arg[2 + n] == '=' ? arg + 3 + n : (i + 1 < argc ? argv[++i] : "");
        if (strncmp(arg + 2, name, n) == 0 && name[n] == '\0')
            found = value;
    }
    return found;
}
