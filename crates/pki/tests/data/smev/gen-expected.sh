#!/bin/sh
# Regenerates <cert>.openssl.txt beside each certificate: OpenSSL's own reading of it, which
# tests/smev_samples.rs compares rsmev-pki's parse against. Needs OpenSSL 3 with the GOST engine
# (Debian libengine-gost-openssl) so the GOST keys decode.
set -eu
cd "$(dirname "$0")"
export OPENSSL_CONF="${OPENSSL_CONF:-/work/shared/anchors/gost-engine.cnf}"
for f in *.der; do
    openssl x509 -inform DER -in "$f" -noout \
        -subject -issuer -serial -dateopt iso_8601 -startdate -enddate \
        -fingerprint -sha256 -nameopt RFC2253,-esc_msb \
        -ext keyUsage,basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier \
        > "${f%.der}.openssl.txt"
done
