/*
 * generate.h: writes the .cgrpc.h and .cgrpc.c of one .proto file.
 *
 * Input is a model_file whose names have passed the clash check; output is
 * two texts. What the files contain is described at the top of generate.c
 * and, for the learner, in the header's own opening comment.
 */
#ifndef CGRPC_PLUGIN_GENERATE_H
#define CGRPC_PLUGIN_GENERATE_H

#include "model.h"
#include "util.h"

/* Appends the header and the source for `file` to *h and *c. */
void generate_file(const model_file *file, arena *a, text *h, text *c);

#endif /* CGRPC_PLUGIN_GENERATE_H */
