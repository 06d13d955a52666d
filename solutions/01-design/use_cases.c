/*
 * use_cases.c: exercise 1b, describe the outline's twelve use cases by their
 * traits. Replace each UNDESCRIBED with what the lesson's table says happens;
 * `make test` here runs its tests (suite use_cases,
 * tests/01-design/test_use_cases.c). Lesson:
 * docs/en/steps/01-design.md#use-cases-from-the-outline
 */
#include "rpc_kind.h"

const struct use_case USE_CASES[] = {
    /* name                  client sends, server sends, who speaks first */
    {"authentication",
     {SENDS_ONE, SENDS_ONE, FIRST_CLIENT}}, /* worked example */
    {"config lookup", {SENDS_ONE, SENDS_ONE, FIRST_CLIENT}},
    {"crud", {SENDS_ONE, SENDS_ONE, FIRST_CLIENT}},
    {"notifications", {SENDS_ONE, SENDS_MANY, FIRST_CLIENT}},
    {"large query", {SENDS_ONE, SENDS_MANY, FIRST_CLIENT}},
    {"progress", {SENDS_ONE, SENDS_MANY, FIRST_CLIENT}},
    {"file upload", {SENDS_MANY, SENDS_ONE, FIRST_CLIENT}},
    {"batch upload", {SENDS_MANY, SENDS_ONE, FIRST_CLIENT}},
    {"metric collection", {SENDS_MANY, SENDS_ONE, FIRST_CLIENT}},
    {"chat", {SENDS_MANY, SENDS_MANY, FIRST_CLIENT}},
    /* The world state flows before the player's first move. */
    {"game", {SENDS_MANY, SENDS_MANY, FIRST_SERVER}},
    {"log streaming", {SENDS_MANY, SENDS_MANY, FIRST_CLIENT}},
};

const size_t USE_CASE_COUNT = sizeof USE_CASES / sizeof USE_CASES[0];
