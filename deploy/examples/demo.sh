#!/usr/bin/env bash
# The example deployment end to end on loopback: the demo provider (ГИБДД, GOST 2012-512 key),
# the gateway on deploy/examples/rsmev.toml, and a participant (МФЦ, GOST 2012-256 key) whose
# signed SMEV 3 request goes through the bus and comes back signed by the provider.
# Run by `make demo`; needs the release build (`cargo build --release -p rsmev`).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rsmev=./target/release/rsmev
certs=certs-test
work=target/demo
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

"$rsmev" demo-provider --listen 127.0.0.1:9001 \
  --key "$certs/participant-gost512.key.pem" --cert "$certs/participant-gost512.cert.pem" \
  > "$work/provider.log" 2>&1 &
pids+=($!)
"$rsmev" serve --config deploy/examples/rsmev.toml > "$work/gateway.log" 2>&1 &
pids+=($!)

# Wait for the gateway to answer /readyz (at most 10 s).
for _ in $(seq 100); do
  if curl -fsS http://127.0.0.1:9090/readyz >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS http://127.0.0.1:9090/readyz

echo
echo "== a participant's information system (MFC440001) signs an SMEV 3 request (test environment)"
"$rsmev" sign --profile smev3 --key "$certs/participant-gost256.key.pem" \
  --cert "$certs/participant-gost256.cert.pem" --new-message-id \
  crates/signature/tests/data/smev3-send-request-unsigned.xml > "$work/request.xml"
echo "   $(wc -c < "$work/request.xml") bytes -> POST http://127.0.0.1:8080/ws"
curl -sS -o "$work/answer.xml" -w "   HTTP %{http_code}, %{size_download} bytes back in %{time_total} s\n" \
  -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$work/request.xml" http://127.0.0.1:8080/ws

echo
echo "== the provider's answer, as the participant checks it"
"$rsmev" verify --profile smev3 --trust "$certs/trust-gost" "$work/answer.xml"

fault_lines() { sed 's/></>\n</g' | grep -E 'faultstring|<Code>|<Description>|r:Detail|HTTP'; }

echo
echo "== the same signed request once more: a replay, refused"
curl -sS -w "\n   HTTP %{http_code}\n" -H 'Content-Type: text/xml; charset=utf-8' \
  --data-binary @"$work/request.xml" http://127.0.0.1:8080/ws | fault_lines

echo
echo "== a request signed with a key no information system registered is refused"
"$rsmev" sign --profile smev3 --key "$certs/operator-rsa.key.pem" --cert "$certs/operator-rsa.cert.pem" \
  --new-message-id crates/signature/tests/data/smev3-send-request-unsigned.xml > "$work/unregistered.xml"
curl -sS -w "\n   HTTP %{http_code}\n" -H 'Content-Type: text/xml; charset=utf-8' \
  --data-binary @"$work/unregistered.xml" http://127.0.0.1:8080/ws | fault_lines

echo
echo "== what the operator sees: the log lines and the metrics"
grep -E 'relayed|refused' "$work/gateway.log" | tail -3
curl -fsS http://127.0.0.1:9090/metrics | grep -E '^rsmev_(exchanges_total|upstream_requests_total|registry_generation|journal_records_written_total|message_ids_remembered)'

echo
echo "== the exchange journal (target/demo/journal), after the gateway stops"
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
tail -n 3 "$(ls -t "$work"/journal/exchanges-*.jsonl | head -1)"
