/*
 * auth_given.c: given, don't edit; no need to read it (auth.h has the
 * contracts, the lesson shows the lookup). Token auth's given part: reading
 * AUTH_TOKENS, the policy, the constant-time lookup. Exercise 6 is auth.c.
 */
#include "auth.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const char *auth_role_name(auth_role role)
{
    switch (role) {
    case AUTH_ROLE_READER:
        return "reader";
    case AUTH_ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

static bool token_char(char c)
{
    return c > ' ' && c < 0x7f && c != ',' && c != '=';
}

/* Reads one "token=role" entry, s[0..len), spaces around it ignored. */
static int parse_entry(auth_table *t, const char *s, size_t len, int index,
                       char *err, size_t err_len)
{
    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }
    while (len > 0 && s[len - 1] == ' ')
        len--;
    const char *eq = memchr(s, '=', len);
    if (len == 0 || eq == NULL || eq == s) {
        snprintf(err, err_len,
                 "AUTH_TOKENS: entry %d is not token=role "
                 "(e.g. 9f2c1e77b0=admin,41d8a0c3e5=reader)",
                 index);
        return -1;
    }
    size_t token_len = (size_t)(eq - s), role_len = len - token_len - 1;
    const char *role = eq + 1;
    auth_role r;
    if (role_len == 6 && strncmp(role, "reader", 6) == 0) {
        r = AUTH_ROLE_READER;
    } else if (role_len == 5 && strncmp(role, "admin", 5) == 0) {
        r = AUTH_ROLE_ADMIN;
    } else {
        snprintf(err, err_len,
                 "AUTH_TOKENS: entry %d has the role '%.*s': "
                 "use reader or admin",
                 index, (int)(role_len > 20 ? 20 : role_len), role);
        return -1;
    }
    bool plain = token_len < AUTH_TOKEN_MAX;
    for (size_t i = 0; i < token_len && plain; i++)
        plain = token_char(s[i]);
    if (!plain) {
        snprintf(err, err_len,
                 "AUTH_TOKENS: the token of entry %d must be 1 "
                 "to %d visible characters other than ',' and '='",
                 index, AUTH_TOKEN_MAX - 1);
        return -1;
    }
    if (t->n == AUTH_MAX_TOKENS) {
        snprintf(err, err_len, "AUTH_TOKENS: more than %d entries",
                 AUTH_MAX_TOKENS);
        return -1;
    }
    char token[AUTH_TOKEN_MAX];
    memcpy(token, s, token_len);
    token[token_len] = '\0';
    if (auth_lookup(t, token) != AUTH_ROLE_NONE) {
        snprintf(err, err_len,
                 "AUTH_TOKENS: the token of entry %d appears "
                 "twice: give each client a token of its own",
                 index);
        return -1;
    }
    memcpy(t->entries[t->n].token, token, token_len + 1);
    t->entries[t->n].role = r;
    t->n++;
    return 0;
}

int auth_parse(auth_table *t, const char *spec, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t); /* also pads every token with NULs */
    int index = 1;
    for (const char *s = spec;; index++) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        if (parse_entry(t, s, len, index, err, err_len) != 0)
            return -1;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

auth_role auth_role_needed(const char *path)
{
    static const char health[] = "/grpc.health.v1.Health/";
    if (strncmp(path, health, sizeof health - 1) == 0)
        return AUTH_ROLE_NONE;
    if (strcmp(path, "/tutorial.v1.FileService/UploadFile") == 0 ||
        strcmp(path, "/tutorial.v1.ChatService/Chat") == 0)
        return AUTH_ROLE_ADMIN;
    return AUTH_ROLE_READER;
}

/* [constant-time] */
auth_role auth_lookup(const auth_table *t, const char *token)
{
    /* Compare whole buffers, every entry, every byte: strcmp stops at the
     * first difference, and an attacker who can time the answers learns
     * how many leading characters of a guess were right. */
    char padded[AUTH_TOKEN_MAX] = {0};
    size_t len = strlen(token);
    bool fits = len > 0 && len < AUTH_TOKEN_MAX;
    if (fits)
        memcpy(padded, token, len);
    auth_role found = AUTH_ROLE_NONE;
    for (size_t i = 0; i < t->n; i++) {
        unsigned char diff = 0;
        for (size_t k = 0; k < AUTH_TOKEN_MAX; k++)
            diff |= (unsigned char)(padded[k] ^ t->entries[i].token[k]);
        if (diff == 0 && fits)
            found = t->entries[i].role;
    }
    return found;
}
/* [/constant-time] */
