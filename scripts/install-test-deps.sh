#!/usr/bin/env bash
# Installs the system packages rsmev's build and test suite need on a fresh Debian machine.
# Peers used as test oracles: libxml2 (xmllint, python3-lxml, python3-libxml2), xmlsec1,
# the OpenSSL GOST engine; the C harness in ../shared/anchors needs the -dev packages.
# python3 + python3-venv: crates/gateway/tests/smev2_interop.rs makes a venv for its SMEV 2
# peer (m3-spyne-smev, pinned in crates/gateway/tests/interop/requirements.txt) from PyPI.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
pkgs=(
  build-essential pkg-config
  libxml2-utils python3-lxml python3-libxml2
  libxml2-dev libxmlsec1-dev libssl-dev xmlsec1 libengine-gost-openssl
  curl
  python3 python3-venv
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
