#!/bin/sh
# make_certs.sh: the certificates test_security uses, made fresh into DIR
# (a temporary directory the test creates and removes again).
#
#   sh make_certs.sh DIR
#
#   ca.pem                      the CA both sides trust
#   server.pem/.key             signed by it; names localhost and 127.0.0.1
#   client.pem/.key             signed by it; a client identity for mutual TLS
#   expired-server.pem/.key     signed by it, but its validity ended yesterday
#   elsewhere.pem/.key          signed by it, for elsewhere.example only
#   expired-client.pem/.key     a client identity whose validity has ended
#   other-ca.pem                a second CA nobody here trusts
#   other-client.pem/.key       a client identity signed by the other CA
#   other-server.pem/.key       a server certificate signed by the other CA
#
# Keys are EC P-256, valid for two days at most: nothing secret is kept.
# Needs the openssl command (Debian: apt install openssl).
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

command -v openssl >/dev/null 2>&1 || {
    echo "make_certs.sh: the openssl command is missing (apt install openssl)" >&2
    exit 3
}

ca() { # name subject
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# leaf NAME SUBJECT CA DAYS EXTENSIONS: a key and a certificate signed by
# CA. A negative DAYS gives a certificate whose end of validity has passed.
leaf() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf '%s\n' "$5" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
        -CAcreateserial -out "$1.pem" -days "$4" -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

server_ext="subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth"
client_ext="extendedKeyUsage=clientAuth"

ca ca "faults test CA"
ca other-ca "another CA"
leaf server localhost ca 2 "$server_ext"
leaf client "faults client" ca 2 "$client_ext"
leaf expired-server localhost ca -1 "$server_ext"
leaf elsewhere elsewhere.example ca 2 "subjectAltName=DNS:elsewhere.example
extendedKeyUsage=serverAuth"
leaf expired-client "expired client" ca -1 "$client_ext"
leaf other-client "other client" other-ca 2 "$client_ext"
leaf other-server localhost other-ca 2 "$server_ext"
rm -f ./*.srl
echo "certificates in $dir"
