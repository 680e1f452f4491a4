#!/usr/bin/env bash
# Measures rsmev's canonicalization beside libxml2's in one sitting on this machine, and keeps
# the raw output in benches/runs/<date>-<host>/. Usage: run-c14n-peers.sh [SECONDS]
# Needs ../shared/anchors (beside the repo root) for the libxml2 C harness.
set -euo pipefail
top=$(git rev-parse --show-toplevel)
secs=${1:-3}
"$top/scripts/install-test-deps.sh"
anchors="$top/../shared/anchors"
peers="$top/target/peers"
mkdir -p "$peers"
cc -O2 -o "$peers/libxml2_c14n_loop" "$anchors/libxml2_c14n_loop.c" $(pkg-config --cflags --libs libxml-2.0)
(cd "$top" && cargo build -q --release -p rsmev -p rsmev-benches --bin rsmev --bin gen-corpus)
"$top/target/release/gen-corpus" "$peers"
run="$top/benches/runs/$(date +%F)-$(hostname | cut -c1-12)"
mkdir -p "$run"
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"
{
  echo "date: $(date -u +%FT%TZ)"; echo "command: benches/peers/run-c14n-peers.sh $secs"
  echo "rustc: $(rustc -V)"; echo "libxml2: $(xmllint --version 2>&1 | head -1)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
} > "$run/README.txt"
mbs() { grep -Eo '[0-9.]+ MB/s' | head -1 | cut -d' ' -f1; }
printf '| input | libxml2 c14n | rsmev c14n 1.0 | libxml2 exc | rsmev exc | rsmev exc subset | rsmev exc+SMEV subset | exc subset / libxml2 exc |\n|---|---|---|---|---|---|---|---|\n' > "$run/summary.md"
for f in env-4k env-64k env-1m; do
  x="$peers/$f.xml"
  lc=$($pin "$peers/libxml2_c14n_loop" "$x" c14n "$secs" 2>&1 | tee -a "$run/raw.txt" | mbs)
  le=$($pin "$peers/libxml2_c14n_loop" "$x" exc "$secs" 2>&1 | tee -a "$run/raw.txt" | mbs)
  r=(); for flags in "" "--exclusive" "--exclusive --id SIGNED_BY_CONSUMER" "--smev-transform --id SIGNED_BY_CONSUMER"; do
    r+=("$($pin "$top/target/release/rsmev" bench c14n $flags --seconds "$secs" "$x" | tee -a "$run/raw.txt" | mbs)")
  done
  ratio=$(awk -v a="${r[2]}" -v b="$le" 'BEGIN { printf "%.1f×", a / b }')
  echo "| $f ($(stat -c %s "$x") B) | $lc | ${r[0]} | $le | ${r[1]} | ${r[2]} | ${r[3]} | $ratio |" >> "$run/summary.md"
done
cat "$run/README.txt" "$run/summary.md"
