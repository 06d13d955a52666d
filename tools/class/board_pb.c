/*
 * board_pb.c: store_view -> ClassBoard (see board_pb.h).
 */
#include "board_pb.h"

#include <stdio.h>
#include <stdlib.h>

static void *mem_alloc(board_pb_mem *m, size_t size)
{
    if (m->ctx != NULL)
        return cg_alloc(m->ctx, size ? size : 1);
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        void **b = realloc(m->blocks, m->cap * sizeof *b);
        if (b == NULL)
            abort();
        m->blocks = b;
    }
    void *p = calloc(1, size ? size : 1);
    if (p == NULL)
        abort();
    m->blocks[m->n++] = p;
    return p;
}

static char *mem_str(board_pb_mem *m, const char *s)
{
    return m->ctx != NULL ? cg_strdup(m->ctx, s) : (char *)s;
}

void board_pb_free(board_pb_mem *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->blocks[i]);
    free(m->blocks);
    m->blocks = NULL;
    m->n = m->cap = 0;
}

static Tutorial__V1__ClassCell *cell_pb(const store_cell *c, const char *step,
                                        board_pb_mem *m)
{
    Tutorial__V1__ClassCell *out = mem_alloc(m, sizeof *out);
    tutorial__v1__class_cell__init(out);
    out->step = mem_str(m, step);
    out->passed = c->passed;
    out->failed = c->failed;
    out->build_failed = c->build_failed;
    out->done = c->done;
    out->first_failing = mem_str(m, c->first_failing);
    out->section = mem_str(m, c->section);
    out->at = c->at;
    return out;
}

static Tutorial__V1__ClassLearner *
learner_pb(const store_view *v, const store_learner *l, board_pb_mem *m)
{
    Tutorial__V1__ClassLearner *out = mem_alloc(m, sizeof *out);
    tutorial__v1__class_learner__init(out);
    out->name = mem_str(m, l->name);
    out->cells = mem_alloc(m, v->n_steps * sizeof *out->cells);
    for (size_t i = 0; i < v->n_steps; i++)
        if (l->cells[i].present)
            out->cells[out->n_cells++] = cell_pb(&l->cells[i], v->steps[i], m);
    out->stuck_on = mem_str(m, l->stuck_on);
    out->stuck_section = mem_str(m, l->stuck_section);
    out->stuck_seconds = l->stuck_seconds;
    out->last_seen = l->last_seen;
    out->reports = l->reports;
    return out;
}

static Tutorial__V1__ClassHotspot **hot_pb(const store_hot *h, size_t n,
                                           board_pb_mem *m)
{
    Tutorial__V1__ClassHotspot **out = mem_alloc(m, n * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out[i] = mem_alloc(m, sizeof *out[i]);
        tutorial__v1__class_hotspot__init(out[i]);
        out[i]->what = mem_str(m, h[i].what);
        out[i]->learners = h[i].learners;
    }
    return out;
}

void board_pb_fill(Tutorial__V1__ClassBoard *out, const store_view *v,
                   board_pb_mem *m)
{
    out->n_steps = v->n_steps;
    out->steps = mem_alloc(m, v->n_steps * sizeof *out->steps);
    for (size_t i = 0; i < v->n_steps; i++)
        out->steps[i] = mem_str(m, v->steps[i]);
    out->n_learners = v->n_learners;
    out->learners = mem_alloc(m, v->n_learners * sizeof *out->learners);
    for (size_t i = 0; i < v->n_learners; i++)
        out->learners[i] = learner_pb(v, &v->learners[i], m);
    out->n_failing_tests = v->n_tests;
    out->failing_tests = hot_pb(v->tests, v->n_tests, m);
    out->n_failing_sections = v->n_sections;
    out->failing_sections = hot_pb(v->sections, v->n_sections, m);
    out->reports = v->reports;
    out->now = v->now;
}
