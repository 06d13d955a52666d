/*
 * tls.c: reading PEM files into the core's TLS credentials (see tls.h).
 */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "status.h"

/* The whole file as a NUL-terminated malloc'd string, or NULL. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = cgi_malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = cgi_realloc(buf, cap);
        }
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || len == 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* Reads `path` into *out unless path is NULL; false (with *err) if unreadable.
 */
static bool read_pem(const char *what, const char *path, char **out,
                     cg_status *err)
{
    *out = NULL;
    if (path == NULL)
        return true;
    *out = read_file(path);
    if (*out == NULL) {
        *err = cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                          "cannot read %s file %s", what, path);
        return false;
    }
    return true;
}

grpc_server_credentials *cgi_tls_server_creds(const cg_tls_server *tls,
                                              cg_status *err)
{
    char *cert, *key, *ca;
    if (tls->cert_file == NULL || tls->key_file == NULL) {
        *err = cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                          "a TLS server needs cert_file and key_file");
        return NULL;
    }
    if (!read_pem("certificate", tls->cert_file, &cert, err))
        return NULL;
    if (!read_pem("key", tls->key_file, &key, err)) {
        free(cert);
        return NULL;
    }
    if (!read_pem("client CA", tls->client_ca_file, &ca, err)) {
        free(cert);
        free(key);
        return NULL;
    }
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    grpc_ssl_client_certificate_request_type req =
        ca == NULL ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
        : tls->require_client_cert
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    /* The core copies the PEM text, so ours can go right after. */
    grpc_server_credentials *creds =
        grpc_ssl_server_credentials_create_ex(ca, &pair, 1, req, NULL);
    free(cert);
    free(key);
    free(ca);
    if (creds == NULL)
        *err = cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                          "invalid TLS server certificate or key");
    return creds;
}

grpc_channel_credentials *cgi_tls_channel_creds(const cg_tls_client *tls,
                                                cg_status *err)
{
    char *ca, *cert, *key;
    if ((tls->cert_file == NULL) != (tls->key_file == NULL)) {
        *err = cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                          "mutual TLS needs both cert_file and key_file");
        return NULL;
    }
    if (!read_pem("root CA", tls->root_ca_file, &ca, err))
        return NULL;
    if (!read_pem("certificate", tls->cert_file, &cert, err)) {
        free(ca);
        return NULL;
    }
    if (!read_pem("key", tls->key_file, &key, err)) {
        free(ca);
        free(cert);
        return NULL;
    }
    grpc_ssl_pem_key_cert_pair pair = {key, cert};
    grpc_channel_credentials *creds =
        grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
    free(ca);
    free(cert);
    free(key);
    if (creds == NULL)
        *err = cgi_status(GRPC_STATUS_INVALID_ARGUMENT,
                          "invalid TLS client settings");
    return creds;
}
