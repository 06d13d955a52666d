/*
 * clash.h: are the generated names free?
 *
 * The stubs' names are built from the same pieces as protoc-gen-c's, so some
 * .proto files make them collide: a method named RegisterServer gets the
 * closure-style function tutorial__v1__my_service__register_server from
 * protoc-gen-c, which is also the name of our registration function; methods
 * GetHTTP and GetHttp both become get_http. A collision would surface as a
 * confusing compiler error far from its cause, so the plugin refuses such
 * files with a message that names the file, the service and the method.
 *
 * The check lists every identifier protoc-gen-c 1.4.1 declares for every file
 * of the request (they all end up in one translation unit through the
 * .pb-c.h includes), then every identifier this plugin would declare for the
 * files to generate, and reports each of ours that is already taken. Method
 * names that are C keywords ("Do" -> do) are reported too: a struct member
 * cannot have that name, here or in protoc-gen-c's own output.
 */
#ifndef CGRPC_PLUGIN_CLASH_H
#define CGRPC_PLUGIN_CLASH_H

#include "model.h"
#include "util.h"

/* Adds one message to d per clash; d->count unchanged means no clash. */
void clash_check(const model *m, arena *a, diags *d);

#endif /* CGRPC_PLUGIN_CLASH_H */
