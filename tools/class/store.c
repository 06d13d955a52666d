/*
 * store.c: the class board's state and its append-only log (see store.h).
 *
 * Log record: 4 bytes payload length, 4 bytes FNV-1a checksum of the
 * payload (both little-endian), then the packed ClassReport (with its
 * `received` time set). Records are only ever appended.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct cell_state {
    store_cell c;
    char key[STORE_TEXT_MAX + 20]; /* what fails; "" when nothing does */
    int64_t since;                 /* `at` of the first report with key */
} cell_state;

typedef struct learner {
    char name[STORE_NAME_MAX + 1];
    cell_state cells[STORE_STEPS_MAX];
    store_entry *ring; /* STORE_HISTORY entries */
    size_t ring_start, ring_n;
    int current; /* step of the latest `make stepN` report, or -1 */
    int64_t current_at;
    int64_t last_seen; /* server clock */
    int32_t reports;
    double tokens;
    int64_t refilled;
} learner;

struct store {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    int fd;
    size_t n_steps;
    char steps[STORE_STEPS_MAX][STORE_STEP_MAX + 1];
    learner **learners;
    size_t n_learners, cap_learners;
    char **ids; /* open addressing set of report ids */
    size_t n_ids, cap_ids;
    int64_t reports;
    uint64_t version;
    bool closing;
    size_t replayed, torn;
};

/* ---- small helpers ------------------------------------------------- */

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (p == NULL) {
        fprintf(stderr, "class server: out of memory\n");
        abort();
    }
    return p;
}

/* Length of the UTF-8 sequence at s, or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = (s[0] & 0xE0) == 0xC0   ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || (n == 2 && s[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* NULL when `text` is valid UTF-8 without control characters and at most
 * max bytes; otherwise what is wrong with it. */
static const char *text_problem(const char *text, size_t max)
{
    size_t len = strlen(text);
    if (len > max)
        return "is too long";
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        if (*p < 0x20 || *p == 0x7f)
            return "holds a control character";
        size_t n = utf8_len(p);
        if (n == 0)
            return "is not valid UTF-8";
        p += n;
    }
    return NULL;
}

/* ---- the id set ---------------------------------------------------- */

static size_t id_slot(char **ids, size_t cap, const char *id)
{
    size_t i = fnv1a((const uint8_t *)id, strlen(id)) & (cap - 1);
    while (ids[i] != NULL && strcmp(ids[i], id) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static bool id_known(const store *s, const char *id)
{
    return s->ids[id_slot(s->ids, s->cap_ids, id)] != NULL;
}

static void id_add(store *s, const char *id)
{
    if (2 * (s->n_ids + 1) > s->cap_ids) {
        size_t cap = s->cap_ids * 2;
        char **ids = xcalloc(cap, sizeof *ids);
        for (size_t i = 0; i < s->cap_ids; i++)
            if (s->ids[i] != NULL)
                ids[id_slot(ids, cap, s->ids[i])] = s->ids[i];
        free(s->ids);
        s->ids = ids;
        s->cap_ids = cap;
    }
    size_t i = id_slot(s->ids, s->cap_ids, id);
    s->ids[i] = strdup(id);
    if (s->ids[i] == NULL)
        abort();
    s->n_ids++;
}

/* ---- checking a report --------------------------------------------- */

static int step_index(const store *s, const char *step)
{
    for (size_t i = 0; i < s->n_steps; i++)
        if (strcmp(s->steps[i], step) == 0)
            return (int)i;
    return -1;
}

static bool fail(char *why, size_t len, const char *fmt, const char *a,
                 const char *b)
{
    snprintf(why, len, fmt, a, b);
    return false;
}

static bool id_ok(const char *id, char *why, size_t whylen)
{
    size_t n = strlen(id);
    bool ok = n >= STORE_ID_MIN && n <= STORE_ID_MAX;
    for (const char *p = id; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
             (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
    return ok ? true
              : fail(why, whylen,
                     "report_id must be %s-%s characters of A-Z, a-z, 0-9, - "
                     "or _",
                     "8", "64");
}

static bool name_ok(const char *name, char *why, size_t whylen)
{
    const char *p = text_problem(name, STORE_NAME_MAX);
    if (p != NULL)
        return fail(why, whylen, "the name %s (at most 40 bytes of text): %s",
                    p, "make join CLASS=... CODE=... NAME=a-shorter-name");
    if (strspn(name, " ") == strlen(name))
        return fail(why, whylen, "the name is empty: %s%s",
                    "make join CLASS=... CODE=... NAME=your-name", "");
    return true;
}

static bool fields_ok(const Tutorial__V1__ClassReport *r, char *why,
                      size_t whylen)
{
    const char *p;
    if ((p = text_problem(r->first_failing, STORE_TEXT_MAX)) != NULL)
        return fail(why, whylen, "first_failing %s (at most %s bytes)", p,
                    "200");
    if ((p = text_problem(r->section, STORE_TEXT_MAX)) != NULL)
        return fail(why, whylen, "section %s (at most %s bytes)", p, "200");
    if ((p = text_problem(r->build_error, STORE_ERROR_MAX)) != NULL)
        return fail(why, whylen, "build_error %s (at most %s bytes)", p, "300");
    if (r->passed < 0 || r->failed < 0 || r->passed > STORE_COUNT_MAX ||
        r->failed > STORE_COUNT_MAX)
        return fail(why, whylen,
                    "passed and failed must be counts from %s to %s", "0",
                    "100000");
    if (r->source[0] && strcmp(r->source, "step") &&
        strcmp(r->source, "check") && strcmp(r->source, "report"))
        return fail(why, whylen, "source must be %s, or %s",
                    "\"step\", \"check\"", "\"report\"");
    return true;
}

bool store_check(const store *s, const Tutorial__V1__ClassReport *r,
                 int64_t now, char *why, size_t whylen)
{
    if (s == NULL || r == NULL)
        return fail(why, whylen, "%s%s", "no report", "");
    if (!id_ok(r->report_id, why, whylen) || !name_ok(r->learner, why, whylen))
        return false;
    if (step_index(s, r->step) < 0) {
        char cut[STORE_STEP_MAX + 1];
        copy_text(cut, sizeof cut, r->step);
        return fail(why, whylen, "unknown step '%s': the steps are %s", cut,
                    s->n_steps ? "those in steps/ (e.g. 01-design)" : "none");
    }
    if (r->at < now - STORE_PAST_S || r->at > now + STORE_FUTURE_S)
        return fail(why, whylen, "at (the run's time) must be %s, %s",
                    "Unix seconds within two weeks",
                    "set from the learner's clock");
    return fields_ok(r, why, whylen);
}

/* ---- applying a report --------------------------------------------- */

static learner *find_learner(const store *s, const char *name)
{
    for (size_t i = 0; i < s->n_learners; i++)
        if (strcmp(s->learners[i]->name, name) == 0)
            return s->learners[i];
    return NULL;
}

static learner *new_learner(store *s, const char *name, int64_t now)
{
    if (s->n_learners == s->cap_learners) {
        s->cap_learners = s->cap_learners ? 2 * s->cap_learners : 32;
        learner **l = realloc(s->learners, s->cap_learners * sizeof *l);
        if (l == NULL)
            abort();
        s->learners = l;
    }
    learner *l = xcalloc(1, sizeof *l);
    copy_text(l->name, sizeof l->name, name);
    l->ring = xcalloc(STORE_HISTORY, sizeof *l->ring);
    l->current = -1;
    l->tokens = STORE_BURST;
    l->refilled = now;
    s->learners[s->n_learners++] = l;
    return l;
}

static void entry_of(store_entry *e, const Tutorial__V1__ClassReport *r)
{
    copy_text(e->id, sizeof e->id, r->report_id);
    copy_text(e->step, sizeof e->step, r->step);
    e->passed = r->passed;
    e->failed = r->failed;
    e->build_failed = r->build_failed;
    copy_text(e->first_failing, sizeof e->first_failing, r->first_failing);
    copy_text(e->section, sizeof e->section, r->section);
    copy_text(e->build_error, sizeof e->build_error, r->build_error);
    copy_text(e->source, sizeof e->source, r->source[0] ? r->source : "step");
    e->at = r->at;
    e->received = r->received;
}

static void update_cell(cell_state *cs, const Tutorial__V1__ClassReport *r)
{
    if (cs->c.present && r->at < cs->c.at)
        return; /* an older run sent late (from a queue): history only */
    store_cell *c = &cs->c;
    c->present = true;
    c->passed = r->passed;
    c->failed = r->failed;
    c->build_failed = r->build_failed;
    c->done = !r->build_failed && r->failed == 0 && r->passed > 0;
    copy_text(c->first_failing, sizeof c->first_failing, r->first_failing);
    copy_text(c->section, sizeof c->section, r->section);
    c->at = r->at;
    char key[sizeof cs->key];
    if (r->build_failed)
        copy_text(key, sizeof key, "does not compile");
    else if (r->failed > 0)
        copy_text(key, sizeof key,
                  r->first_failing[0] ? r->first_failing : "failing tests");
    else
        key[0] = '\0';
    if (strcmp(key, cs->key) != 0 || cs->since == 0) {
        memcpy(cs->key, key, sizeof key);
        cs->since = r->at;
    }
}

static void apply(store *s, learner *l, const Tutorial__V1__ClassReport *r)
{
    int step = step_index(s, r->step);
    update_cell(&l->cells[step], r);
    bool from_step = r->source[0] == '\0' || strcmp(r->source, "step") == 0;
    if (from_step && r->at >= l->current_at) {
        l->current = step;
        l->current_at = r->at;
    }
    size_t slot = (l->ring_start + l->ring_n) % STORE_HISTORY;
    if (l->ring_n == STORE_HISTORY)
        l->ring_start = (l->ring_start + 1) % STORE_HISTORY;
    else
        l->ring_n++;
    entry_of(&l->ring[slot], r);
    if (r->received > l->last_seen)
        l->last_seen = r->received;
    l->reports++;
    s->reports++;
    id_add(s, r->report_id);
}

static bool take_token(learner *l, int64_t now)
{
    if (now > l->refilled) {
        l->tokens += (double)(now - l->refilled) * STORE_PER_S;
        if (l->tokens > STORE_BURST)
            l->tokens = STORE_BURST;
        l->refilled = now;
    }
    if (l->tokens < 1)
        return false;
    l->tokens -= 1;
    return true;
}

/* Appends r to the log and fsyncs; false on an I/O error. */
static bool log_append(store *s, const Tutorial__V1__ClassReport *r)
{
    size_t n = tutorial__v1__class_report__get_packed_size(r);
    uint8_t *buf = xcalloc(1, n + 8);
    tutorial__v1__class_report__pack(r, buf + 8);
    uint32_t sum = fnv1a(buf + 8, n);
    for (int i = 0; i < 4; i++) {
        buf[i] = (uint8_t)(n >> (8 * i));
        buf[4 + i] = (uint8_t)(sum >> (8 * i));
    }
    ssize_t w = write(s->fd, buf, n + 8);
    free(buf);
    if (w != (ssize_t)(n + 8)) {
        if (w > 0) /* a short write: leave no torn record behind */
            (void)ftruncate(s->fd, lseek(s->fd, 0, SEEK_END) - w);
        return false;
    }
    return fsync(s->fd) == 0;
}

static store_result add_locked(store *s, const Tutorial__V1__ClassReport *in,
                               int64_t now, int32_t *reports, char *why,
                               size_t whylen)
{
    learner *l = find_learner(s, in->learner);
    if (id_known(s, in->report_id)) {
        if (reports)
            *reports = l ? l->reports : 0;
        return STORE_DUPLICATE;
    }
    if (l == NULL && s->n_learners >= STORE_LEARNERS_MAX) {
        snprintf(why, whylen,
                 "the board is full (%d learners): ask your teacher",
                 STORE_LEARNERS_MAX);
        return STORE_FULL;
    }
    if (l != NULL && !take_token(l, now)) {
        snprintf(why, whylen,
                 "too many reports from %s just now (at most %d at once, then "
                 "%d a second): "
                 "this one stays queued and is sent later",
                 l->name, STORE_BURST, STORE_PER_S);
        return STORE_FLOOD;
    }
    Tutorial__V1__ClassReport r = *in;
    r.received = now;
    if (!log_append(s, &r)) {
        snprintf(why, whylen, "the class server could not write its log: %s",
                 strerror(errno));
        return STORE_IO;
    }
    if (l == NULL) {
        l = new_learner(s, r.learner, now);
        take_token(l, now);
    }
    apply(s, l, &r);
    s->version++;
    pthread_cond_broadcast(&s->changed);
    if (reports)
        *reports = l->reports;
    return STORE_ADDED;
}

store_result store_add(store *s, const Tutorial__V1__ClassReport *r,
                       int64_t now, int32_t *reports, char *why, size_t whylen)
{
    if (!store_check(s, r, now, why, whylen))
        return STORE_INVALID;
    pthread_mutex_lock(&s->mu);
    store_result res = add_locked(s, r, now, reports, why, whylen);
    pthread_mutex_unlock(&s->mu);
    return res;
}

/* ---- opening and replaying ------------------------------------------ */

static uint8_t *read_all(int fd, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NULL;
    uint8_t *buf = xcalloc(1, (size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *len = got;
    return buf;
}

/* Replays the log; a record that is cut short or fails its checksum ends
 * it (a crash mid-write) and is cut off. */
static void replay(store *s)
{
    size_t len = 0, off = 0;
    uint8_t *buf = read_all(s->fd, &len);
    if (buf == NULL)
        return;
    while (off + 8 <= len) {
        uint32_t n = 0, sum = 0;
        for (int i = 0; i < 4; i++) {
            n |= (uint32_t)buf[off + i] << (8 * i);
            sum |= (uint32_t)buf[off + 4 + i] << (8 * i);
        }
        if (n > len - off - 8 || fnv1a(buf + off + 8, n) != sum)
            break;
        Tutorial__V1__ClassReport *r =
            tutorial__v1__class_report__unpack(NULL, n, buf + off + 8);
        if (r == NULL)
            break;
        if (step_index(s, r->step) >= 0 && !id_known(s, r->report_id)) {
            learner *l = find_learner(s, r->learner);
            apply(s, l ? l : new_learner(s, r->learner, r->received), r);
            s->replayed++;
        }
        tutorial__v1__class_report__free_unpacked(r, NULL);
        off += 8 + n;
    }
    if (off < len) {
        s->torn = 1;
        if (ftruncate(s->fd, (off_t)off) != 0)
            perror("class server: cutting a torn record off the log");
    }
    free(buf);
}

store *store_open(const char *path, const char *const *steps, size_t n_steps,
                  char *err, size_t errlen)
{
    if (n_steps > STORE_STEPS_MAX) {
        snprintf(err, errlen, "too many steps (%zu, at most %d)", n_steps,
                 STORE_STEPS_MAX);
        return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    store *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &ca);
    pthread_condattr_destroy(&ca);
    s->fd = fd;
    s->n_steps = n_steps;
    for (size_t i = 0; i < n_steps; i++)
        copy_text(s->steps[i], sizeof s->steps[i], steps[i]);
    s->cap_ids = 1024;
    s->ids = xcalloc(s->cap_ids, sizeof *s->ids);
    s->version = 1;
    replay(s);
    return s;
}

void store_free(store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_learners; i++) {
        free(s->learners[i]->ring);
        free(s->learners[i]);
    }
    free(s->learners);
    for (size_t i = 0; i < s->cap_ids; i++)
        free(s->ids[i]);
    free(s->ids);
    close(s->fd);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

size_t store_replayed(const store *s)
{
    return s ? s->replayed : 0;
}
size_t store_torn(const store *s)
{
    return s ? s->torn : 0;
}

/* ---- waiting for changes ------------------------------------------- */

uint64_t store_version(store *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t v = s->closing ? 0 : s->version;
    pthread_mutex_unlock(&s->mu);
    return v;
}

uint64_t store_wait(store *s, uint64_t seen, int64_t timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (!s->closing && s->version == seen)
        if (pthread_cond_timedwait(&s->changed, &s->mu, &until) == ETIMEDOUT)
            break;
    uint64_t v = s->closing ? 0 : s->version;
    pthread_mutex_unlock(&s->mu);
    return v;
}

void store_close(store *s)
{
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}

/* ---- the board ------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const store_learner *)a)->name,
                  ((const store_learner *)b)->name);
}

static void view_learner(const store *s, const learner *l, int64_t now,
                         store_learner *out)
{
    copy_text(out->name, sizeof out->name, l->name);
    for (size_t i = 0; i < s->n_steps; i++)
        out->cells[i] = l->cells[i].c;
    out->last_seen = l->last_seen;
    out->reports = l->reports;
    int cur = l->current;
    for (size_t i = 0; cur < 0 && i < s->n_steps; i++)
        if (l->cells[i].c.present && !l->cells[i].c.done)
            cur = (int)i;
    if (cur >= 0 && l->cells[cur].key[0]) {
        const cell_state *cs = &l->cells[cur];
        snprintf(out->stuck_on, sizeof out->stuck_on, "%s: %s", s->steps[cur],
                 cs->key);
        copy_text(out->stuck_section, sizeof out->stuck_section, cs->c.section);
        /* On the learner's clock from the first failing run to the last,
         * plus the time since the last report reached us. */
        int64_t since_seen = now > l->last_seen ? now - l->last_seen : 0;
        out->stuck_seconds = (cs->c.at - cs->since) + since_seen;
    }
}

/* Adds one to `what` in hot (n entries so far, at most cap). */
static void count_hot(store_hot *hot, size_t *n, size_t cap, const char *what)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(hot[i].what, what) == 0) {
            hot[i].learners++;
            return;
        }
    if (*n < cap) {
        copy_text(hot[*n].what, sizeof hot[*n].what, what);
        hot[(*n)++].learners = 1;
    }
}

static int by_count(const void *a, const void *b)
{
    const store_hot *x = a, *y = b;
    if (x->learners != y->learners)
        return y->learners - x->learners;
    return strcmp(x->what, y->what);
}

static void view_hotspots(store_view *v)
{
    store_hot *tests = xcalloc(v->n_learners + 1, sizeof *tests);
    store_hot *sections = xcalloc(v->n_learners + 1, sizeof *sections);
    size_t nt = 0, ns = 0;
    for (size_t i = 0; i < v->n_learners; i++) {
        const store_learner *l = &v->learners[i];
        if (!l->stuck_on[0])
            continue;
        count_hot(tests, &nt, v->n_learners, l->stuck_on);
        if (l->stuck_section[0])
            count_hot(sections, &ns, v->n_learners, l->stuck_section);
    }
    qsort(tests, nt, sizeof *tests, by_count);
    qsort(sections, ns, sizeof *sections, by_count);
    v->n_tests = nt < STORE_HOT ? nt : STORE_HOT;
    v->n_sections = ns < STORE_HOT ? ns : STORE_HOT;
    memcpy(v->tests, tests, v->n_tests * sizeof *tests);
    memcpy(v->sections, sections, v->n_sections * sizeof *sections);
    free(tests);
    free(sections);
}

bool store_snapshot(store *s, int64_t now, store_view *v)
{
    memset(v, 0, sizeof *v);
    pthread_mutex_lock(&s->mu);
    v->learners = calloc(s->n_learners + 1, sizeof *v->learners);
    if (v->learners == NULL) {
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    v->n_steps = s->n_steps;
    memcpy(v->steps, s->steps, sizeof v->steps);
    v->n_learners = s->n_learners;
    for (size_t i = 0; i < s->n_learners; i++)
        view_learner(s, s->learners[i], now, &v->learners[i]);
    v->reports = s->reports;
    v->version = s->version;
    pthread_mutex_unlock(&s->mu);
    v->now = now;
    qsort(v->learners, v->n_learners, sizeof *v->learners, by_name);
    view_hotspots(v);
    return true;
}

void store_view_free(store_view *v)
{
    if (v == NULL)
        return;
    free(v->learners);
    v->learners = NULL;
    v->n_learners = 0;
}

bool store_history(store *s, const char *name, store_entry **out, size_t *n)
{
    pthread_mutex_lock(&s->mu);
    learner *l = find_learner(s, name);
    if (l == NULL) {
        pthread_mutex_unlock(&s->mu);
        return false;
    }
    *out = xcalloc(l->ring_n + 1, sizeof **out);
    for (size_t i = 0; i < l->ring_n; i++)
        (*out)[i] = l->ring[(l->ring_start + i) % STORE_HISTORY];
    *n = l->ring_n;
    pthread_mutex_unlock(&s->mu);
    return true;
}
