#!/bin/sh
# Generates the edge-case test PKI of tests/edge_cases.rs with OpenSSL 3 (RSA and ECDSA only, no
# engine needed). Every certificate is valid 2025-01-01 to 2045-01-01 (`openssl ca -startdate/
# -enddate`), so tests pick instants inside or outside that range. CRLs get thisUpdate = the
# time of generation; fresh.crl lasts 20 years, stale.crl one hour.
# The expected verdicts are `openssl verify`'s, which the test re-runs live (see README.md).
set -eu
cd "$(dirname "$0")"
rm -rf work && mkdir work
START=20250101000000Z
END=20450101000000Z

key_rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "work/$1.key" 2>/dev/null; }
key_ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "work/$1.key"; }

# ca NAME: an openssl ca database for the issuer NAME.
db() {
    mkdir -p "work/db-$1"
    : > "work/db-$1/index.txt"
    echo 1000 > "work/db-$1/serial"
    echo 1000 > "work/db-$1/crlnumber"
}

cat > work/ca.cnf <<'CNF'
[ca]
default_ca = dflt
[dflt]
dir = work/db-$ENV::ISSUER
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = work
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[root_pl0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_nokcs]
basicConstraints = critical,CA:TRUE
keyUsage = critical,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[sub]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_noca_bc]
keyUsage = critical,digitalSignature,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_enc]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_critext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
1.2.3.4.5 = critical,DER:05:00
CNF

# selfsign NAME CN EXT
selfsign() {
    db "$1"
    openssl req -new -key "work/$1.key" -subj "/CN=$2/O=rsmev edge" -out "work/$1.csr"
    ISSUER=$1 openssl ca -batch -config work/ca.cnf -selfsign -keyfile "work/$1.key" \
        -startdate $START -enddate $END -extensions "$3" -in "work/$1.csr" -out "work/$1.pem" 2>/dev/null
    openssl x509 -in "work/$1.pem" -out "$1.pem"
}
# issue NAME CN ISSUER EXT
issue() {
    openssl req -new -key "work/$1.key" -subj "/CN=$2/O=rsmev edge" -out "work/$1.csr"
    ISSUER=$3 openssl ca -batch -config work/ca.cnf -cert "$3.pem" -keyfile "work/$3.key" \
        -startdate $START -enddate $END -extensions "$4" -in "work/$1.csr" -out "work/$1.pem" 2>/dev/null
    openssl x509 -in "work/$1.pem" -out "$1.pem"
}

key_rsa root-a;   selfsign root-a "Edge Root A" root
key_rsa root-a2;  selfsign root-a2 "Edge Root A" root        # same name, other key
key_ec sub-a;     db sub-a; issue sub-a "Edge Sub A" root-a sub
key_ec leaf-a;    issue leaf-a "Edge Leaf A" sub-a leaf
key_ec leaf-a2;   issue leaf-a2 "Edge Leaf A2" root-a2 leaf
key_ec leaf-revoked; issue leaf-revoked "Edge Leaf Revoked" sub-a leaf
key_ec leaf-enc;  issue leaf-enc "Edge Leaf KeyEncipherment" sub-a leaf_enc
key_ec leaf-critext; issue leaf-critext "Edge Leaf Critical Ext" sub-a leaf_critext

key_rsa root-pl0; selfsign root-pl0 "Edge Root PathLen0" root_pl0
key_ec sub-pl0;   db sub-pl0; issue sub-pl0 "Edge Sub PathLen0" root-pl0 sub
key_ec leaf-pl0;  issue leaf-pl0 "Edge Leaf PathLen0" sub-pl0 leaf

key_rsa ca-nokcs; selfsign ca-nokcs "Edge CA without keyCertSign" ca_nokcs
key_ec leaf-nokcs; issue leaf-nokcs "Edge Leaf under nokcs" ca-nokcs leaf

key_ec notca;     db notca; issue notca "Edge Not A CA" root-a leaf_noca_bc
key_ec leaf-notca; issue leaf-notca "Edge Leaf under notca" notca leaf

# CRLs of sub-a: leaf-revoked revoked (keyCompromise).
ISSUER=sub-a openssl ca -config work/ca.cnf -cert sub-a.pem -keyfile work/sub-a.key \
    -revoke leaf-revoked.pem -crl_reason keyCompromise 2>/dev/null
ISSUER=sub-a openssl ca -config work/ca.cnf -cert sub-a.pem -keyfile work/sub-a.key \
    -gencrl -crldays 7300 -out sub-a-fresh.crl.pem 2>/dev/null
ISSUER=sub-a openssl ca -config work/ca.cnf -cert sub-a.pem -keyfile work/sub-a.key \
    -gencrl -crlhours 1 -out sub-a-stale.crl.pem 2>/dev/null
# The same fresh CRL in DER, as CAs publish it.
openssl crl -in sub-a-fresh.crl.pem -outform DER -out sub-a-fresh.crl
rm -rf work
