/*
 * store.h: the class board's state: every learner's reports, validated,
 * counted once, kept on disk, and seen as a board.
 *
 * The store is the one place the class server keeps results. A report is
 * checked (store_check), then added (store_add): known report ids are
 * answered as duplicates and change nothing; a new report is appended to
 * the log file and fsync'ed before it counts, so a server stopped at any
 * moment loses no acknowledged report. At start the log is replayed.
 *
 * Why an append-only file and not SQLite: the server needs one table
 * written in one order and read whole at start; an append-only file of
 * length-prefixed, checksummed protobuf records does that with no new
 * library on the teacher's machine (SQLite would be a new package and a
 * schema to migrate), a crash can only tear the last record (found by its
 * checksum and cut off at start), and `protoc --decode` reads a record.
 *
 * Thread-safety: every function may be called from any thread; one mutex
 * guards the state, and store_wait lets board viewers sleep until it
 * changes.
 */
#ifndef CLASS_STORE_H
#define CLASS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "class/v1/class_service.pb-c.h"

/* Limits of a report's fields, in bytes (UTF-8) or values. */
#define STORE_NAME_MAX 40
#define STORE_ID_MIN 8
#define STORE_ID_MAX 64
#define STORE_STEP_MAX 32
#define STORE_TEXT_MAX 200        /* first_failing, section */
#define STORE_ERROR_MAX 300       /* build_error */
#define STORE_COUNT_MAX 100000    /* passed, failed */
#define STORE_PAST_S (14 * 86400) /* `at` no older than two weeks */
#define STORE_FUTURE_S 86400      /* nor more than a day ahead */
#define STORE_LEARNERS_MAX 300
#define STORE_HISTORY 200 /* reports kept in memory per learner */
#define STORE_BURST 60    /* a learner may send 60 reports at once, */
#define STORE_PER_S 1     /* then one a second */
#define STORE_STEPS_MAX 16
#define STORE_HOT 5 /* hotspots shown */

typedef struct store store;

/* Outcome of store_add. */
typedef enum store_result {
    STORE_ADDED,
    STORE_DUPLICATE,
    STORE_INVALID, /* the message says which field and why */
    STORE_FLOOD,   /* too many reports from this learner just now */
    STORE_FULL,    /* too many learners */
    STORE_IO,      /* the log could not be written */
} store_result;

/* Opens (creating) the log file at `path` and replays it. `steps` are the
 * known step names ("01-design", ...), n_steps of them (at most
 * STORE_STEPS_MAX). NULL with a message in err (size errlen) on failure. */
store *store_open(const char *path, const char *const *steps, size_t n_steps,
                  char *err, size_t errlen);
void store_free(store *s);

/* Records replayed at open, and torn records cut off the end of the log. */
size_t store_replayed(const store *s);
size_t store_torn(const store *s);

/* Checks a report's fields against the limits above; true when fine, else
 * false with the reason in why (a sentence for a learner). */
bool store_check(const store *s, const Tutorial__V1__ClassReport *r,
                 int64_t now, char *why, size_t whylen);

/* Checks and adds a report received at `now` (Unix seconds). *reports gets
 * the learner's report count (may be NULL). */
store_result store_add(store *s, const Tutorial__V1__ClassReport *r,
                       int64_t now, int32_t *reports, char *why, size_t whylen);

/* The board version: it grows with every change. */
uint64_t store_version(store *s);

/* Waits until the version differs from `seen`, the store is closing, or
 * timeout_ms passes; returns the version (0 once closing). */
uint64_t store_wait(store *s, uint64_t seen, int64_t timeout_ms);

/* Wakes every store_wait for good: the server is stopping. */
void store_close(store *s);

/* ---- the board as plain values ------------------------------------- */

typedef struct store_cell {
    bool present;
    int32_t passed, failed;
    bool build_failed, done;
    char first_failing[STORE_TEXT_MAX + 1];
    char section[STORE_TEXT_MAX + 1];
    int64_t at;
} store_cell;

typedef struct store_learner {
    char name[STORE_NAME_MAX + 1];
    store_cell cells[STORE_STEPS_MAX];
    char stuck_on[STORE_STEP_MAX + STORE_TEXT_MAX + 3];
    char stuck_section[STORE_TEXT_MAX + 1];
    int64_t stuck_seconds;
    int64_t last_seen;
    int32_t reports;
} store_learner;

typedef struct store_hot {
    char what[STORE_STEP_MAX + STORE_TEXT_MAX + 3];
    int32_t learners;
} store_hot;

typedef struct store_view {
    size_t n_steps;
    char steps[STORE_STEPS_MAX][STORE_STEP_MAX + 1];
    size_t n_learners;
    store_learner *learners; /* by name */
    size_t n_tests, n_sections;
    store_hot tests[STORE_HOT], sections[STORE_HOT];
    int64_t reports, now;
    uint64_t version;
} store_view;

/* The board at `now`; free with store_view_free. False when out of memory. */
bool store_snapshot(store *s, int64_t now, store_view *v);
void store_view_free(store_view *v);

/* One learner's reports, oldest first (at most STORE_HISTORY), as copies
 * in *out (free with free); *n gets the count. False when the learner is
 * unknown. */
typedef struct store_entry {
    char id[STORE_ID_MAX + 1];
    char step[STORE_STEP_MAX + 1];
    int32_t passed, failed;
    bool build_failed;
    char first_failing[STORE_TEXT_MAX + 1];
    char section[STORE_TEXT_MAX + 1];
    char build_error[STORE_ERROR_MAX + 1];
    char source[8];
    int64_t at, received;
} store_entry;

bool store_history(store *s, const char *learner, store_entry **out, size_t *n);

#endif /* CLASS_STORE_H */
