#!/usr/bin/env bash
# Regenerates the test PKI in this directory with OpenSSL 3.0 and the Debian OpenSSL GOST
# engine (libengine-gost-openssl). Every key is fresh on each run; the tests only rely on the
# files being consistent with each other, never on their bytes.
#
#   gost-ca          GOST R 34.10-2012-256 (CryptoPro-A) root CA, with gost-ca.crl
#   rsa-ca           RSA-2048 root CA, with rsa-ca.crl
#   participant-*    an information system's signing certificates (ЭП-ОВ):
#                      gost256 (CryptoPro-A), gost256-tca (TC26-256-A), gost512 (TC26-512-A),
#                      rsa (RSA-2048), ec (P-256)
#   operator-*       the regional operator's own signing certificates (gost256, rsa)
#   federal-gost256  federal SMEV's signing certificate (ЭП-СМЭВ) as the registry lists it
#   expired-gost256  valid 2020-01-01 .. 2021-01-01
#   revoked-gost256  listed on gost-ca.crl (keyCompromise)
#   revoked-rsa      listed on rsa-ca.crl
#   selfsigned-rsa   a self-signed end-entity certificate, trusted as itself in test setups
#   tls-server       TLS server certificate for 127.0.0.1 / localhost (rsa-ca)
#   tls-client-mfc   TLS client certificate of an information system (rsa-ca)
#
# Everything is valid from 2026-01-01 to 2046-01-01 unless named otherwise above.
#
#   ./gen.sh                    regenerates everything
#   ./gen.sh federal-gost256    issues only federal-gost256 from the existing gost-ca (it was
#                               added after the rest; the other files stay as they are)
set -euo pipefail
cd "$(dirname "$0")"
export OPENSSL_CONF="$PWD/openssl.cnf"
work=$(mktemp -d)
export work
trap 'rm -rf "$work"' EXIT

FROM=20260101000000Z
TO=20460101000000Z

# openssl ca needs a database per CA.
ca_init() {
  local ca=$1
  mkdir -p "$work/$ca"
  : > "$work/$ca/index.txt"
  echo 1000 > "$work/$ca/serial"
  echo 1000 > "$work/$ca/crlnumber"
}

key() { # name kind
  case $2 in
    gost256) openssl genpkey -algorithm gost2012_256 -pkeyopt paramset:A -out "$1.key.pem" ;;
    gost256-tca) openssl genpkey -algorithm gost2012_256 -pkeyopt paramset:TCA -out "$1.key.pem" ;;
    gost512) openssl genpkey -algorithm gost2012_512 -pkeyopt paramset:A -out "$1.key.pem" ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key.pem" ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key.pem" ;;
  esac 2>/dev/null
}

# The digest a signer of this kind (or a CA of this name) signs with.
md_of() { case $1 in gost512) echo md_gost12_512 ;; gost*) echo md_gost12_256 ;; *) echo sha256 ;; esac; }

root() { # name kind subject
  local name=$1 kind=$2 subj=$3
  key "$name" "$kind"
  ca_init "$name"
  openssl req -new -key "$name.key.pem" -subj "$subj" -out "$work/$name.csr" 2>/dev/null
  openssl ca -batch -selfsign -name "ca_$name" -keyfile "$name.key.pem" -in "$work/$name.csr" \
    -extensions ext_ca -md "$(md_of "$kind")" -startdate $FROM -enddate $TO -notext \
    -out "$name.cert.pem" 2>/dev/null
}

leaf() { # name kind ca subject [from] [to]
  local name=$1 kind=$2 ca=$3 subj=$4 from=${5:-$FROM} to=${6:-$TO}
  key "$name" "$kind"
  openssl req -new -key "$name.key.pem" -subj "$subj" -out "$work/$name.csr" 2>/dev/null
  openssl ca -batch -name "ca_$ca" -cert "$ca.cert.pem" -keyfile "$ca.key.pem" \
    -in "$work/$name.csr" -preserveDN -extensions ext_leaf -md "$(md_of "$ca")" \
    -startdate "$from" -enddate "$to" -notext -out "$name.cert.pem" 2>/dev/null
}

# Added after the rest: its own function so it can be issued alone. Serial 1007 of gost-ca, the
# one after the leaves above, in a full run and alone alike — a repeated serial would make it
# revoked with revoked-gost256 (a CRL lists serials).
FEDERAL_SERIAL=1007
federal() {
  leaf federal-gost256 gost256 gost-ca "/C=RU/O=SMEV federal test/CN=SMEV federal node GOST-256"
}
if [ "${1:-}" = federal-gost256 ]; then
  ca_init gost-ca
  echo $FEDERAL_SERIAL > "$work/gost-ca/serial"
  federal
  openssl verify -attime 1800000000 -CAfile gost-ca.cert.pem -CRLfile gost-ca.crl -crl_check \
    federal-gost256.cert.pem >/dev/null
  echo "federal-gost256 issued"
  exit 0
fi

root gost-ca gost256 "/C=RU/O=rsmev test GOST CA/CN=rsmev test GOST CA 2026"
root rsa-ca rsa "/C=RU/O=rsmev test RSA CA/CN=rsmev test RSA CA 2026"

leaf participant-gost256 gost256 gost-ca "/C=RU/O=MFC Kostroma/OGRN=1024400534577/INN=4401032040/CN=IS MFC44 GOST-256"
leaf participant-gost256-tca gost256-tca gost-ca "/C=RU/O=MFC Kostroma/OGRN=1024400534577/CN=IS MFC44 TC26-256-A"
leaf participant-gost512 gost512 gost-ca "/C=RU/O=FNS test/OGRN=1047707030513/CN=IS FNS GOST-512"
leaf participant-rsa rsa rsa-ca "/C=RU/O=MFC Kostroma/CN=IS MFC44 RSA"
leaf participant-ec ec rsa-ca "/C=RU/O=MFC Kostroma/CN=IS MFC44 P-256"
leaf operator-gost256 gost256 gost-ca "/C=RU/O=RSMEV operator/CN=RSMEV44 node GOST-256"
leaf operator-rsa rsa rsa-ca "/C=RU/O=RSMEV operator/CN=RSMEV44 node RSA"
leaf expired-gost256 gost256 gost-ca "/C=RU/O=MFC Kostroma/CN=IS MFC44 expired" 20200101000000Z 20210101000000Z
leaf revoked-gost256 gost256 gost-ca "/C=RU/O=MFC Kostroma/CN=IS MFC44 revoked"
leaf revoked-rsa rsa rsa-ca "/C=RU/O=MFC Kostroma/CN=IS MFC44 RSA revoked"
[ "$(cat "$work/gost-ca/serial")" = $FEDERAL_SERIAL ] || { echo "gost-ca serials moved" >&2; exit 1; }
federal

openssl ca -name ca_gost-ca -cert gost-ca.cert.pem -keyfile gost-ca.key.pem \
  -revoke revoked-gost256.cert.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -name ca_rsa-ca -cert rsa-ca.cert.pem -keyfile rsa-ca.key.pem \
  -revoke revoked-rsa.cert.pem -crl_reason keyCompromise 2>/dev/null
# CRLs valid for 20 years: a test suite run years from now still finds them current.
openssl ca -gencrl -name ca_gost-ca -cert gost-ca.cert.pem -keyfile gost-ca.key.pem \
  -md md_gost12_256 -crldays 7300 -out gost-ca.crl 2>/dev/null
openssl ca -gencrl -name ca_rsa-ca -cert rsa-ca.cert.pem -keyfile rsa-ca.key.pem \
  -md sha256 -crldays 7300 -out rsa-ca.crl 2>/dev/null

# Self-signed end entity (test deployments trust such a certificate as itself).
key selfsigned-rsa rsa
openssl req -new -x509 -key selfsigned-rsa.key.pem -sha256 -days 7300 \
  -subj "/C=RU/O=Demo IS/CN=demo self-signed RSA" -addext "keyUsage=critical,digitalSignature" \
  -out selfsigned-rsa.cert.pem 2>/dev/null

# TLS (rustls: RSA and ECDSA only — GOST TLS is terminated in front of the gateway): a server
# certificate for 127.0.0.1/localhost and a client certificate an information system presents.
tls() { # name subject eku san
  key "$1" rsa
  openssl req -new -key "$1.key.pem" -subj "$2" -out "$work/$1.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n%s\n' "$3" "$4" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA rsa-ca.cert.pem -CAkey rsa-ca.key.pem -set_serial "0x$(openssl rand -hex 8)" \
    -days 7300 -sha256 -extfile "$work/$1.ext" -out "$1.cert.pem" 2>/dev/null
}
tls tls-server "/C=RU/O=RSMEV operator/CN=localhost" serverAuth "subjectAltName=DNS:localhost,IP:127.0.0.1"
tls tls-client-mfc "/C=RU/O=MFC Kostroma/CN=MFC440001 TLS client" clientAuth ""

# Trust directories the tests and the demo load as a whole: each CA with its CRL.
rm -rf trust-gost trust-rsa trust-all
mkdir -p trust-gost trust-rsa trust-all
cp gost-ca.cert.pem gost-ca.crl trust-gost/
cp rsa-ca.cert.pem rsa-ca.crl trust-rsa/
cp gost-ca.cert.pem gost-ca.crl rsa-ca.cert.pem rsa-ca.crl trust-all/

# Self-checks with the peer itself: every leaf chains to its CA, the revoked ones do not.
for c in participant-gost256 participant-gost256-tca participant-gost512 operator-gost256 federal-gost256; do
  openssl verify -attime 1800000000 -CAfile gost-ca.cert.pem -CRLfile gost-ca.crl -crl_check "$c.cert.pem" >/dev/null
done
for c in participant-rsa participant-ec operator-rsa; do
  openssl verify -attime 1800000000 -CAfile rsa-ca.cert.pem -CRLfile rsa-ca.crl -crl_check "$c.cert.pem" >/dev/null
done
if openssl verify -attime 1800000000 -CAfile gost-ca.cert.pem -CRLfile gost-ca.crl -crl_check revoked-gost256.cert.pem >/dev/null 2>&1; then
  echo "revoked-gost256 still verifies" >&2
  exit 1
fi
echo "certs-test regenerated"
