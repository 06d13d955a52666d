/*
 * tls.h: TLS credentials from PEM files, for servers and channels.
 *
 * The core takes certificates as PEM text in memory; the public API takes
 * file paths, which is what a learner has after running openssl. These
 * functions read the files and build the core's credentials, reporting an
 * unreadable file as a status that names it.
 */
#ifndef CGRPC_TLS_H
#define CGRPC_TLS_H

#include <grpc/grpc_security.h>

#include "cgrpc.h"

/* NULL with *err set when a file cannot be read. */
grpc_server_credentials *cgi_tls_server_creds(const cg_tls_server *tls,
                                              cg_status *err);
grpc_channel_credentials *cgi_tls_channel_creds(const cg_tls_client *tls,
                                                cg_status *err);

#endif
