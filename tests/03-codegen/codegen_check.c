/*
 * codegen_check.c: looking at generated files from the outside (see
 * codegen_check.h). Commands run through popen() with their output
 * captured, so a compiler error or a make message lands in the test's
 * failure message instead of scrolling past.
 */
#define _DEFAULT_SOURCE /* DT_DIR, d_type */
#define LESSON_PAGE "steps/03-codegen.md"
#include "lesson.h"

#include "codegen_check.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Commands run without the make variables of the build that started the
 * tests (MAKEFLAGS would pass SOLUTION=1 and friends down to them). */
#define CLEAN_ENV "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES "

/* ---- small helpers ------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Runs cmd through the shell, stdout and stderr together into a static
 * buffer (the last 6000 bytes are kept); returns the exit status. */
static int run(const char *cmd, const char **output)
{
    static char out[6000];
    char full[4096];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    out[0] = '\0';
    FILE *p = popen(full, "r");
    if (p == NULL) {
        *output = "(could not start the shell)";
        return -1;
    }
    size_t n = 0;
    char chunk[1024];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, p)) > 0) {
        if (n + got > sizeof out - 1) { /* keep the end: errors come last */
            size_t drop = n + got - (sizeof out - 1);
            memmove(out, out + drop, n - drop);
            n -= drop;
        }
        memcpy(out + n, chunk, got);
        n += got;
    }
    out[n] = '\0';
    int st = pclose(p);
    *output = out;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Indents every line of s by 6 spaces, into a static buffer. */
static const char *indent(const char *s)
{
    static char out[8000];
    size_t n = 0;
    bool bol = true;
    for (; *s && n + 8 < sizeof out; s++) {
        if (bol) {
            memcpy(out + n, "      ", 6);
            n += 6;
        }
        out[n++] = *s;
        bol = *s == '\n';
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        n--;
    out[n] = '\0';
    return n ? out : "      (nothing)";
}

const char *cg_rel(const char *path)
{
    size_t n = strlen(ROOT_DIR);
    if (strncmp(path, ROOT_DIR, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

/* ---- the log ------------------------------------------------------------- */

int cg_log_status(void)
{
    char *log = slurp(STEP03_LOG, NULL);
    if (log == NULL)
        return CG_NO_LOG;
    int status = CG_NO_LOG;
    const char *p = strstr(log, "exit status ");
    while (p) { /* the last one counts */
        status = atoi(p + 12);
        p = strstr(p + 1, "exit status ");
    }
    free(log);
    return status;
}

const char *cg_log_tail(int lines)
{
    static char out[8000];
    char *log = slurp(STEP03_LOG, NULL);
    if (log == NULL) {
        snprintf(out, sizeof out, "      (no log: %s is missing)",
                 cg_rel(STEP03_LOG));
        return out;
    }
    size_t n = strlen(log);
    int seen = 0;
    size_t start = n;
    while (start > 0) {
        if (log[start - 1] == '\n' && start != n && ++seen > lines)
            break;
        start--;
    }
    snprintf(out, sizeof out, "%s", indent(log + start));
    free(log);
    return out;
}

/* ---- files --------------------------------------------------------------- */

static bool find_below(const char *dir, const char *base, char *found,
                       size_t cap)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    struct dirent *e;
    bool ok = false;
    while (!ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[CG_PATH * 2];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            ok = find_below(path, base, found, cap);
        else if (strcmp(e->d_name, base) == 0) {
            snprintf(found, cap, "%s", path);
            ok = true;
        }
    }
    closedir(d);
    return ok;
}

void cg_expect_file(const char *rel, const char *section)
{
    char path[CG_PATH * 2], found[CG_PATH * 2];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", STEP03_OUT, rel);
    if (stat(path, &st) == 0 && st.st_size > 0)
        return;
    if (stat(path, &st) == 0)
        expect_fail(section, "%s is empty", cg_rel(path));
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    if (find_below(STEP03_OUT, base, found, sizeof found))
        expect_fail("#where-the-files-land",
                    "expected %s,\n      but it was written to %s: protoc "
                    "names its output after the .proto's path below the -I "
                    "directory",
                    cg_rel(path), cg_rel(found));
    expect_fail(section,
                "%s was not generated. The end of what `make -f codegen.mk` "
                "printed (%s):\n%s",
                cg_rel(path), cg_rel(STEP03_LOG), cg_log_tail(12));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

size_t cg_course_protos(char names[][CG_PATH])
{
    DIR *d = opendir(ROOT_DIR "/proto/tutorial/v1");
    size_t n = 0;
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < CG_MAX_PROTOS) {
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".proto") == 0)
            snprintf(names[n++], CG_PATH, "tutorial/v1/%.*s", (int)(len - 6),
                     e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    return n;
}

/* ---- compiling ------------------------------------------------------------ */

static void expect_compile(const char *src, const char *what,
                           const char *section)
{
    char cmd[4096];
    const char *out;
    const char *base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && %s -I'%s' -c '%s' -o '%s/%s.o'",
             STEP03_OBJ, STEP03_CC, STEP03_OUT, src, STEP03_OBJ, base);
    int rc = run(cmd, &out);
    expect_true(rc == 0, section, "%s does not compile:\n      $ %s\n%s", what,
                cmd, indent(out));
}

void cg_expect_compiles(const char *rel, const char *section)
{
    char path[CG_PATH * 2];
    cg_expect_file(rel, "#running-protoc-with-two-plugins");
    snprintf(path, sizeof path, "%s/%s", STEP03_OUT, rel);
    expect_compile(path, cg_rel(path), section);
}

void cg_expect_probe_compiles(const char *section)
{
    expect_compile(ROOT_DIR "/tests/03-codegen/probe/use_stubs.c",
                   "a program that uses the generated stubs "
                   "(tests/03-codegen/probe/use_stubs.c)",
                   section);
}

/* ---- make ----------------------------------------------------------------- */

void cg_expect_up_to_date(const char *section)
{
    char cmd[4096];
    const char *out;
    snprintf(cmd, sizeof cmd, CLEAN_ENV "%s -q %s codegen", STEP03_MAKE,
             STEP03_MAKE_ARGS);
    int rc = run(cmd, &out);
    if (rc == 0)
        return;
    if (rc != 1)
        expect_fail(section,
                    "make -q could not read codegen.mk (exit status "
                    "%d):\n%s",
                    rc, indent(out));
    snprintf(cmd, sizeof cmd, CLEAN_ENV "%s -n %s codegen", STEP03_MAKE,
             STEP03_MAKE_ARGS);
    run(cmd, &out);
    expect_fail(section,
                "right after a complete run, make still has work to do: a "
                "target of the rule was not created where the rule says it "
                "would be. A second run would do this again:\n%s",
                indent(out));
}

/* ---- text ------------------------------------------------------------------- */

cg_text cg_read(const char *rel, const char *section)
{
    cg_text t = {0};
    char path[CG_PATH * 2];
    cg_expect_file(rel, section);
    snprintf(path, sizeof path, "%s/%s", STEP03_OUT, rel);
    snprintf(t.name, sizeof t.name, "%s", cg_rel(path));
    t.text = slurp(path, &t.len);
    expect_true(t.text != NULL, section, "cannot read %s", t.name);
    /* Blank out comments, so a name that is only mentioned does not count. */
    char *s = t.text;
    for (size_t i = 0; i < t.len; i++) {
        if (s[i] == '"') { /* skip a string literal */
            for (i++; i < t.len && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
        } else if (s[i] == '/' && i + 1 < t.len && s[i + 1] == '*') {
            size_t j = i;
            for (; j + 1 < t.len && !(s[j] == '*' && s[j + 1] == '/'); j++)
                s[j] = ' ';
            if (j + 1 < t.len)
                s[j] = s[j + 1] = ' ';
            i = j + 1;
        } else if (s[i] == '/' && i + 1 < t.len && s[i + 1] == '/') {
            for (; i < t.len && s[i] != '\n'; i++)
                s[i] = ' ';
        }
    }
    return t;
}

void cg_free(cg_text *t)
{
    free(t->text);
    t->text = NULL;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* The next whole-identifier occurrence of word in t at or after from. */
static const char *find_word(const cg_text *t, const char *from,
                             const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(from, word); p; p = strstr(p + 1, word)) {
        bool left = p == t->text || !ident_char(p[-1]);
        if (left && !ident_char(p[n]))
            return p;
    }
    return NULL;
}

void cg_expect_word(const cg_text *t, const char *word, const char *section)
{
    expect_true(find_word(t, t->text, word) != NULL, section,
                "%s does not declare or use %s", t->name, word);
}

void cg_expect_text(const cg_text *t, const char *text, const char *section)
{
    expect_true(strstr(t->text, text) != NULL, section,
                "%s does not contain %s", t->name, text);
}

static const char *skip_space_back(const char *start, const char *p)
{
    while (p > start && isspace((unsigned char)p[-1]))
        p--;
    return p;
}

cg_text cg_struct_body(const cg_text *t, const char *type, const char *section)
{
    cg_text body = {0};
    const char *open = NULL, *close = NULL;
    for (const char *p = find_word(t, t->text, type); p && !open;
         p = find_word(t, p + 1, type)) {
        const char *after = p + strlen(type);
        while (isspace((unsigned char)*after))
            after++;
        const char *before = skip_space_back(t->text, p);
        if (*after == '{' && before - t->text >= 6 &&
            strncmp(before - 6, "struct", 6) == 0) {
            open = after; /* struct type { ... } */
        } else if (before > t->text && before[-1] == '}' && *after == ';') {
            close = before - 1; /* ... } type; */
            int depth = 0;
            for (const char *q = close; q >= t->text; q--) {
                depth += *q == '}' ? 1 : *q == '{' ? -1 : 0;
                if (depth == 0) {
                    open = q;
                    break;
                }
            }
        }
    }
    expect_true(open != NULL, section, "%s does not define the struct %s",
                t->name, type);
    if (close == NULL) {
        int depth = 0;
        for (const char *q = open; *q; q++) {
            depth += *q == '{' ? 1 : *q == '}' ? -1 : 0;
            if (depth == 0) {
                close = q;
                break;
            }
        }
    }
    expect_true(close != NULL, section, "%s: the struct %s never ends", t->name,
                type);
    body.len = (size_t)(close - open) + 1;
    body.text = malloc(body.len + 1);
    memcpy(body.text, open, body.len);
    body.text[body.len] = '\0';
    snprintf(body.name, sizeof body.name, "the struct %.100s in %.300s", type,
             t->name);
    return body;
}
