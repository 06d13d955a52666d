#!/bin/sh
# gen_certs.sh: makes the certificates the TLS tests use, into DIR.
#
#   sh gen_certs.sh DIR
#
#   ca.pem / ca.key            the test CA
#   server.pem / server.key    signed by it, for localhost and 127.0.0.1
#   client.pem / client.key    signed by it, a client identity for mTLS
#   rogue-ca.pem               another CA, trusted by nobody
#   rogue.pem / rogue.key      a client identity signed by the rogue CA
#
# Short-lived keys (EC P-256) made fresh on every run: nothing secret is
# ever checked in.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

ca() { # name subject
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
}

leaf() { # name subject ca ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
    printf '%s\n' "$4" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
        -CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext"
    rm -f "$1.csr" "$1.ext"
}

ca ca "cgrpc test CA"
ca rogue-ca "rogue CA"
leaf server localhost ca \
    "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
leaf client "test client" ca "extendedKeyUsage=clientAuth"
leaf rogue "rogue client" rogue-ca "extendedKeyUsage=clientAuth"
