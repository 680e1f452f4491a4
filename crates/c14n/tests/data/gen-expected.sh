#!/usr/bin/env bash
# Regenerates tests/data/expected/ from tests/data/corpus/ using libxml2 only
# (xmllint + Debian's python3-libxml2 binding). Deterministic and re-runnable.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
bash "$repo/scripts/install-test-deps.sh"
# Debian's interpreter on purpose: the pyenv python3 on PATH has no libxml2/lxml modules.
exec /usr/bin/python3 "$here/gen_expected.py" "$here"
