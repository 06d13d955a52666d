/*
 * use_cases.c: exercise 1b, describe the outline's twelve use cases by their
 * traits. Replace each UNDESCRIBED with what the lesson's table says happens;
 * `make test` here runs its tests (suite use_cases,
 * tests/01-design/test_use_cases.c). Lesson:
 * docs/en/steps/01-design.md#use-cases-from-the-outline
 */
#include "rpc_kind.h"

/* A row nobody has thought about yet: every trait unspecified. */
#define UNDESCRIBED                                                            \
    {                                                                          \
        SENDS_UNSPECIFIED, SENDS_UNSPECIFIED, FIRST_UNSPECIFIED                \
    }

const struct use_case USE_CASES[] = {
    /* name                  client sends, server sends, who speaks first */
    {"authentication",
     {SENDS_ONE, SENDS_ONE, FIRST_CLIENT}}, /* worked example */
    {"config lookup", UNDESCRIBED},         /* TODO */
    {"crud", UNDESCRIBED},                  /* TODO */
    {"notifications", UNDESCRIBED},         /* TODO */
    {"large query", UNDESCRIBED},           /* TODO */
    {"progress", UNDESCRIBED},              /* TODO */
    {"file upload", UNDESCRIBED},           /* TODO */
    {"batch upload", UNDESCRIBED},          /* TODO */
    {"metric collection", UNDESCRIBED},     /* TODO */
    {"chat", UNDESCRIBED},                  /* TODO */
    {"game", UNDESCRIBED},                  /* TODO */
    {"log streaming", UNDESCRIBED},         /* TODO */
};

const size_t USE_CASE_COUNT = sizeof USE_CASES / sizeof USE_CASES[0];
