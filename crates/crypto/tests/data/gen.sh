#!/usr/bin/env bash
# Regenerates every file in this directory with the peers named in README.md: OpenSSL 3.0 and
# the Debian OpenSSL GOST engine (libengine-gost-openssl). Keys are fresh each run, so the
# signature files change too; the tests only need them to be consistent with each other.
set -euo pipefail
cd "$(dirname "$0")"
E=(-engine gost)
quiet() { "$@" 2>/dev/null; }

# The message every signature file signs.
printf 'rsmev-crypto golden message: SMEV \xd0\xa1\xd0\x9c\xd0\xad\xd0\x92 3\n' > msg.bin

# ---- GOST: name, genpkey algorithm, paramset, dgst option --------------------------------
gost() {
  local name=$1 alg=$2 set=$3 md=$4
  quiet openssl genpkey "${E[@]}" -algorithm "$alg" -pkeyopt "paramset:$set" -out "$name.key.pem"
  quiet openssl pkey "${E[@]}" -in "$name.key.pem" -pubout -out "$name.pub.pem"
  quiet openssl dgst "${E[@]}" "-$md" -sign "$name.key.pem" -out "$name.sig" msg.bin
  quiet openssl req "${E[@]}" -new -x509 -key "$name.key.pem" "-$md" -days 3650 \
    -subj "/CN=rsmev-crypto test $name" -out "$name.cert.pem"
}
gost gost256-A   gost2012_256 A   md_gost12_256
gost gost256-TCA gost2012_256 TCA md_gost12_256
gost gost256-XA  gost2012_256 XA  md_gost12_256
gost gost512-A   gost2012_512 A   md_gost12_512
gost gost512-C   gost2012_512 C   md_gost12_512
gost gost2001-A  gost2001     A   md_gost94

# The same kind of key in the engine's wrapped form (privateKey = OCTET STRING { d LE }).
for spec in "gost256-wrapped gost2012_256 A" "gost512-wrapped gost2012_512 C"; do
  set -- $spec
  GOST_PK_FORMAT=LEGACY_PK_WRAP quiet openssl genpkey "${E[@]}" -algorithm "$2" \
    -pkeyopt "paramset:$3" -out "$1.key.pem"
  quiet openssl pkey "${E[@]}" -in "$1.key.pem" -pubout -out "$1.pub.pem"
done

# The INTEGER form (privateKey = INTEGER d, big-endian) of gost256-XA's scalar, assembled with
# asn1parse -genconf; the engine reading it back to the same public key is the evidence that
# the INTEGER is big-endian.
d_le=$(openssl asn1parse -in gost256-XA.key.pem | awk -F: '/OCTET STRING/ {print $NF}')
d_be=$(echo "$d_le" | fold -w2 | tac | tr -d '\n')
cat > int.cnf <<CNF
asn1=SEQUENCE:pk
[pk]
ver=INTEGER:0
alg=SEQUENCE:alg
key=OCTWRAP,INTEGER:0x$d_be
[alg]
oid=OID:1.2.643.7.1.1.1.1
params=SEQUENCE:params
[params]
curve=OID:1.2.643.2.2.36.0
digest=OID:1.2.643.7.1.1.2.2
CNF
openssl asn1parse -genconf int.cnf -out gost256-XA-integer.key.der > /dev/null
rm int.cnf
quiet openssl pkey "${E[@]}" -inform DER -in gost256-XA-integer.key.der -pubout \
  -out gost256-XA-integer.pub.pem
cmp gost256-XA-integer.pub.pem gost256-XA.pub.pem

# ---- RSA and ECDSA ------------------------------------------------------------------------
rsa() {
  local name=$1 bits=$2
  openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$name.key.pem" 2>/dev/null
}
ec() {
  local name=$1 curve=$2
  openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$curve" \
    -pkeyopt ec_param_enc:named_curve -out "$name.key.pem" 2>/dev/null
}
rsa rsa2048 2048; rsa rsa3072 3072
ec p256 P-256; ec p384 P-384
for spec in "rsa2048 sha256" "rsa3072 sha512" "p256 sha256" "p384 sha384"; do
  set -- $spec
  openssl pkey -in "$1.key.pem" -pubout -out "$1.pub.pem"
  openssl dgst "-$2" -sign "$1.key.pem" -out "$1.sig" msg.bin
  openssl req -new -x509 -key "$1.key.pem" "-$2" -days 3650 -subj "/CN=rsmev-crypto test $1" \
    -out "$1.cert.pem"
done
# A traditional (SEC 1) EC key file with its EC PARAMETERS block, as `openssl ecparam -genkey`
# writes it.
openssl ecparam -name prime256v1 -genkey -out p256-sec1.key.pem
openssl pkey -in p256-sec1.key.pem -pubout -out p256-sec1.pub.pem
# Too small to be admitted.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -pubout -out rsa1024.pub.pem
# Not admitted at all.
openssl genpkey -algorithm ED25519 | openssl pkey -pubout -out ed25519.pub.pem
openssl ecparam -name secp256k1 -genkey -noout | openssl pkey -pubout -out secp256k1.pub.pem

# ---- Digests: algorithm, input (hex), digest (hex) as `openssl dgst` prints it -------------
printf '012345678901234567890123456789012345678901234567890123456789012' > m1.tmp
printf '\xd1\xe5\x20\xe2\xe5\xf2\xf0\xe8\x2c\x20\xd1\xf2\xf0\xe8\xe1\xee\xe6\xe8\x20\xe2\xed\xf3\xf6\xe8\x2c\x20\xe2\xe5\xfe\xf2\xfa\x20\xf1\x20\xec\xee\xf0\xff\x20\xf1\xf2\xf0\xe5\xeb\xe0\xec\xe8\x20\xed\xe0\x20\xf5\xf0\xe0\xe1\xf0\xfb\xff\x20\xef\xeb\xfa\xea\xfb\x20\xc8\xe3\xee\xf0\xe5\xe2\xfb' > m2.tmp
printf '' > empty.tmp
printf 'abc' > abc.tmp
head -c 1000 /dev/urandom > rand1000.tmp
{
  echo "# algorithm	input-name	input-hex	digest-hex (openssl dgst; GOST with -engine gost)"
  for f in empty abc m1 m2 rand1000; do
    in=$(xxd -p "$f.tmp" | tr -d '\n')
    for spec in "Streebog256 md_gost12_256 1" "Streebog512 md_gost12_512 1" "Gost94 md_gost94 1" \
                "Sha1 sha1 0" "Sha256 sha256 0" "Sha384 sha384 0" "Sha512 sha512 0"; do
      set -- $spec
      if [ "$3" = 1 ]; then out=$(quiet openssl dgst "${E[@]}" "-$2" -r "$f.tmp"); else out=$(openssl dgst "-$2" -r "$f.tmp"); fi
      printf '%s\t%s\t%s\t%s\n' "$1" "$f" "${in:--}" "${out%% *}"
    done
  done
} > digests.tsv
# Where the GOST engine departs from the standard: GOST R 34.11-94 of the empty message. The
# standard (§7, stage 2) pads the empty message to one zero block and hashes it; gost-engine's
# finish_hash hashes no block when nothing is left over. RHash follows the standard.
{
  echo "# algorithm	input-name	digest-hex (rhash --gost94-cryptopro)	engine-digest-hex"
  printf '%s\t%s\t%s\t%s\n' Gost94 empty "$(rhash --gost94-cryptopro empty.tmp | cut -d' ' -f1)" \
    "$(quiet openssl dgst "${E[@]}" -md_gost94 -r empty.tmp | cut -d' ' -f1)"
} > digests-deviations.tsv
rm -f ./*.tmp
