#!/usr/bin/env bash
# Load test of the gateway (issue 4): `rsmev serve` relaying signed ~4 KB SMEV 3 requests to the
# demo provider, beside NGINX relaying the same requests to the same provider without any
# verification (the cost of a bare relay), in one sitting, on loopback, with wrk.
# Usage: benches/load/run-load.sh [SECONDS] [ROUNDS]
#   SECONDS per run (default 10), ROUNDS of the four runs (default 2); about 1.5 min at 10 and 2,
#   plus the release build.
#
# What runs where (taskset; the comparison is fair only if both relays get the same core):
#   core 0: the relay under test — `rsmev serve` (its tokio runtime sees one CPU, so one
#           worker thread) and NGINX (master + `worker_processes 1`); each is idle while the
#           other is measured;
#   core 1: the demo provider (`rsmev demo-provider`, GOST R 34.10-2012-256 key: it signs every
#           answer) and the load generator (`wrk -t1 -c32`).
# Runs, in this order, so the NGINX runs bracket the rsmev runs (the VM's speed drifts), and
# the whole round again (ROUNDS):
#   a) NGINX → provider, RSA-signed body   b) rsmev → provider, RSA-signed body (verified)
#   c) rsmev → provider, GOST-signed body  d) NGINX → provider, GOST-signed body
# Per run it also reads the CPU time of each process (relay, provider, wrk) and of each core
# from /proc: what bounds the run, the relay's CPU per request, and any load from outside the
# test (the machine is shared; a run with much unaccounted CPU is flagged).
# rsmev verifies the request (signature, certificate path to certs-test/trust-all, registered
# certificate of the sending system, access matrix) and the provider's signed answer (and that
# its signer is a system of the service's provider) before passing it back. NGINX does neither.
#
# Fails if the gateway refuses any request during the load runs (rsmev_exchanges_total with
# outcome refused), or wrk sees a non-2xx answer or a socket error. Keeps the requests, the
# configurations, wrk's raw output, the gateway's metrics, per-process CPU time and a summary
# in benches/runs/<date>-<host>-load/. Loopback only (127.0.0.1); everything started here is
# stopped on exit. Ports: 18080 (gateway), 19090 (its admin), 18081 (NGINX), 19001 (provider).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-10}
rounds=${2:-2}
case "$secs$rounds" in *[!0-9]*) echo "usage: $0 [SECONDS] [ROUNDS]" >&2; exit 2 ;; esac
conns=32
warm=2
certs="$top/certs-test"
here="$top/benches/load"
gw_port=18080 admin_port=19090 nginx_port=18081 provider_port=19001

if [ "$(nproc)" -lt 2 ]; then
  echo "needs 2 cores: the relay on core 0, provider and wrk on core 1" >&2
  exit 1
fi

# ── tools: wrk and NGINX from Debian (nginx-light is enough: proxy + upstream keepalive) ─────
# On a machine with systemd the nginx package also starts its default site on :80; this test
# does not use it (its own nginx runs with its own configuration on 127.0.0.1:18081).
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
installed wrk || missing+=(wrk)
installed nginx-light || installed nginx-core || installed nginx-full || installed nginx-extras ||
  missing+=(nginx-light)
installed curl || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

(cd "$top" && cargo build -q --release -p rsmev --bin rsmev)
rsmev="$top/target/release/rsmev"

for p in $gw_port $admin_port $nginx_port $provider_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "127.0.0.1:$p is in use; stop whatever listens there first" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rsmev-load.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A kept run is never overwritten: a second sitting the same day gets -2, -3, …
run="$top/benches/runs/$(date +%F)-$(hostname | cut -c1-12)-load"
if [ -e "$run" ]; then
  n=2
  while [ -e "$run-$n" ]; do n=$((n + 1)); done
  run="$run-$n"
fi
mkdir -p "$run"

# ── configuration: the gateway, its registry, NGINX ──────────────────────────────────────────
# The registry follows deploy/examples/registry.toml: a consumer (МФЦ) with two systems, one
# signing with RSA-2048, one with GOST 2012-256 (TC26-A), both granted test and prod; the
# provider (ГИБДД) whose system signs answers with GOST 2012-256 (CryptoPro-A). One certificate
# has one owner in the registry, hence three different keys. No windows: always in force.
cat > "$work/registry.toml" <<EOF
# Written by benches/load/run-load.sh.
[node]
code = "44"
name = "load test node (loopback)"

[federal]
[federal.endpoints]
test = "http://127.0.0.1:17001/smev3"        # not used by this test

[[participants]]
id = "mfc44"
name = "МФЦ Костромской области (consumer)"
ogrn = "1024400534577"
region = "44"

[[participants.systems]]
mnemonic = "MFC440001"
name = "consumer, RSA-2048 key"
[[participants.systems.certificates]]
file = "$certs/participant-rsa.cert.pem"

[[participants.systems]]
mnemonic = "MFC440002"
name = "consumer, GOST R 34.10-2012-256 TC26-A key"
[[participants.systems.certificates]]
file = "$certs/participant-gost256-tca.cert.pem"

[[participants]]
id = "gibdd44"
name = "УГИБДД по Костромской области (provider)"
ogrn = "1024400527000"
region = "44"

[[participants.systems]]
mnemonic = "GIBD44001"
name = "provider, GOST R 34.10-2012-256 CryptoPro-A key"
[[participants.systems.certificates]]
file = "$certs/participant-gost256.cert.pem"

[[services]]
sid = "SID0004401"
name = "Сведения о штрафах ГИБДД"
owner = "gibdd44"
level = "regional"
mode = "sync"
request_namespace = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0"
request_element = "BreachRequest"
timeout_ms = 10000
[services.endpoints]
test = "http://127.0.0.1:$provider_port/provider"
prod = "http://127.0.0.1:$provider_port/provider"

[[grants]]
system = "MFC440001"
service = "SID0004401"
environments = ["test", "prod"]

[[grants]]
system = "MFC440002"
service = "SID0004401"
environments = ["test", "prod"]
EOF

cat > "$work/rsmev.toml" <<EOF
# Written by benches/load/run-load.sh.
[server]
listen = "127.0.0.1:$gw_port"
admin_listen = "127.0.0.1:$admin_port"
[trust]
anchors = "$certs/trust-all"
[registry]
file = "$work/registry.toml"
# wrk sends one signed request over and over: a replay to the MessageID check, which is
# turned off here (its cost, a hash-map insert under a lock, is not what is measured).
[message_ids]
window_secs = 0
# The journal stays on, as in production: a JSON line per exchange, fsynced every second.
[journal]
dir = "$work/journal"
EOF

mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<EOF
# Written by benches/load/run-load.sh: a bare relay to the demo provider, no verification.
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream provider {
    server 127.0.0.1:$provider_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    client_max_body_size 16m;
    client_body_buffer_size 64k;     # the request stays in memory, as it does in rsmev
    location / {
      proxy_pass http://provider;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF

# ── the requests: the SMEV 3 SendRequest of the signature tests, padded to ~4 KB ────────────
# Twenty more <req:Note> lines inside req:BreachRequest, i.e. inside SenderProvidedRequestData,
# so the padding is signed content; then signed by each consumer system.
awk '{ print }
  /<req:Note>/ && !done {
    for (i = 1; i <= 20; i++)
      printf "              <req:Note>Запись %04d: постановление по делу об административном правонарушении</req:Note>\n", i
    done = 1
  }' "$top/crates/signature/tests/data/smev3-send-request-unsigned.xml" > "$work/unsigned.xml"
"$rsmev" sign --profile smev3 --key "$certs/participant-rsa.key.pem" \
  --cert "$certs/participant-rsa.cert.pem" "$work/unsigned.xml" > "$work/request-rsa.xml"
"$rsmev" sign --profile smev3 --key "$certs/participant-gost256-tca.key.pem" \
  --cert "$certs/participant-gost256-tca.cert.pem" "$work/unsigned.xml" > "$work/request-gost.xml"
cp "$work"/{unsigned,request-rsa,request-gost}.xml "$work"/{rsmev,registry}.toml "$work/nginx.conf" "$run/"
cp "$here/post.lua" "$work/post.lua"

# ── start: provider and wrk on core 1, the relays on core 0 ──────────────────────────────────
wait_port() { # port, what
  local _
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$2 did not start listening on 127.0.0.1:$1 in 10 s" >&2
  return 1
}
taskset -c 1 "$rsmev" demo-provider --listen "127.0.0.1:$provider_port" \
  --key "$certs/participant-gost256.key.pem" --cert "$certs/participant-gost256.cert.pem" \
  > "$work/provider.log" 2>&1 &
provider=$!; pids+=("$provider")
taskset -c 0 "$rsmev" serve --config "$work/rsmev.toml" > "$work/gateway.log" 2>&1 &
gateway=$!; pids+=("$gateway")
taskset -c 0 "$nginx_bin" -c "$work/nginx.conf" -p "$work/nginx/" -e "$work/nginx/error.log" \
  > "$work/nginx/stdout.log" 2>&1 &
nginx_master=$!; pids+=("$nginx_master")
wait_port $provider_port "the demo provider"
wait_port $admin_port "the gateway"
wait_port $nginx_port "nginx"
curl -fsS "http://127.0.0.1:$admin_port/readyz" >/dev/null
nginx_workers=$(pgrep -P "$nginx_master" | tr '\n' ' ')
[ -n "$nginx_workers" ] || { echo "nginx has no worker process" >&2; exit 1; }

# ── one request each way by hand: HTTP 200 and an answer the consumer can verify ─────────────
post() { # url file out -> http code
  curl -sS -o "$3" -w '%{http_code}' -H 'Content-Type: text/xml; charset=utf-8' --data-binary @"$2" "$1"
}
for alg in rsa gost; do
  for relay in "rsmev:$gw_port" "nginx:$nginx_port"; do
    code=$(post "http://127.0.0.1:${relay#*:}/ws" "$work/request-$alg.xml" "$work/answer.xml")
    if [ "$code" != 200 ]; then
      echo "check FAILED: ${relay%%:*} answered HTTP $code to the $alg request:" >&2
      head -c 2000 "$work/answer.xml" >&2; exit 1
    fi
    "$rsmev" verify --profile smev3 --trust "$certs/trust-gost" "$work/answer.xml" >/dev/null
  done
done
# …and rsmev really verifies here: one changed character in the signed content is refused.
sed 's/Запись 0007/Запись 0008/' "$work/request-rsa.xml" > "$work/tampered.xml"
code=$(post "http://127.0.0.1:$gw_port/ws" "$work/tampered.xml" "$work/answer.xml")
if [ "$code" = 200 ] || ! grep -q 'RSMEV-' "$work/answer.xml"; then
  echo "check FAILED: the gateway did not refuse a tampered request (HTTP $code)" >&2; exit 1
fi
cp "$work/answer.xml" "$run/tampered-refusal.xml"

# ── measurement helpers ──────────────────────────────────────────────────────────────────────
hz=$(getconf CLK_TCK)
ticks() { # CPU ticks (user + system, all threads) of the given processes
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
core_busy() { # "busy total" jiffies of cpuN from /proc/stat (busy = all but idle and iowait)
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}
metric() { # sum of rsmev_exchanges_total samples whose labels match $1
  curl -fsS "http://127.0.0.1:$admin_port/metrics" |
    awk -v m="$1" '/^rsmev_exchanges_total\{/ && index($0, m) { s += $NF } END { printf "%d\n", s }'
}
gauge() { curl -fsS "http://127.0.0.1:$admin_port/metrics" | awk -v g="$1" '$1 == g { print $2 }'; }
to_ms() { # wrk's latency (850.00us, 3.70ms, 1.02s) in ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

wrk_run() { # name url body seconds; wrk's own CPU time (user sys, s) goes to $work/wrk-time
  local TIMEFORMAT='%U %S'
  { time taskset -c 1 wrk -t1 -c"$conns" -d"$4"s -s "$work/post.lua" --latency "$2" -- "$3" 2>&1; } 2> "$work/wrk-time"
}

# Is the machine quiet (a build or test of another job would skew every figure)? Both cores
# over 2 s with the test processes started but idle; wait up to a minute for < 10% on each.
for _ in $(seq 30); do
  q0=$(core_busy 0); q1=$(core_busy 1); sleep 2; e0=$(core_busy 0); e1=$(core_busy 1)
  quiet=$(echo "$q0 $e0 $q1 $e1" | awk '{ printf "core 0 %.0f%%, core 1 %.0f%% busy over 2 s", 100 * ($3 - $1) / ($4 - $2), 100 * ($7 - $5) / ($8 - $6) }')
  echo "$q0 $e0 $q1 $e1" | awk '{ exit !(($3 - $1) / ($4 - $2) < 0.1 && ($7 - $5) / ($8 - $6) < 0.1) }' && break
  echo "waiting for a quiet machine: $quiet" >&2
done
echo "before the runs: $quiet (test processes idle); loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Warm-up (not measured): certificate cache, connection pools, page cache.
for alg in rsa gost; do
  wrk_run warm "http://127.0.0.1:$gw_port/ws" "$work/request-$alg.xml" "$warm" >/dev/null
  wrk_run warm "http://127.0.0.1:$nginx_port/ws" "$work/request-$alg.xml" "$warm" >/dev/null
done
refused_before=$(metric 'outcome="refused"')

rows=()
failed=0
measure() { # label relay(rsmev|nginx) alg
  local label=$1 relay=$2 alg=$3 url relay_pids out
  if [ "$relay" = rsmev ]; then url="http://127.0.0.1:$gw_port/ws"; relay_pids=$gateway
  else url="http://127.0.0.1:$nginx_port/ws"; relay_pids="$nginx_master ${nginx_workers% }"; fi
  local body="$work/request-$alg.xml"
  local relayed0; relayed0=$(metric 'outcome="relayed"')
  local r0 p0 c0 c1
  # shellcheck disable=SC2086
  r0=$(ticks $relay_pids); p0=$(ticks "$provider"); c0=$(core_busy 0); c1=$(core_busy 1)
  out=$(wrk_run "$label" "$url" "$body" "$secs")
  local r1 p1 d0 d1 wrk_cpu
  # shellcheck disable=SC2086
  r1=$(ticks $relay_pids); p1=$(ticks "$provider"); d0=$(core_busy 0); d1=$(core_busy 1)
  wrk_cpu=$(awk '{ print $1 + $2 }' "$work/wrk-time")
  local relayed1; relayed1=$(metric 'outcome="relayed"')
  local in_flight; in_flight=$(gauge rsmev_in_flight)
  {
    echo "== $label: $relay, $alg body ($(stat -c %s "$body") B), $(date -u +%FT%TZ)"
    echo "\$ taskset -c 1 wrk -t1 -c$conns -d${secs}s -s post.lua --latency $url -- $(basename "$body")"
    echo "$out"
    echo "-- CPU ticks (1/$hz s) during the run: relay ($relay, pids $relay_pids) $((r1 - r0)), provider $((p1 - p0)); wrk $wrk_cpu s"
    echo "-- /proc/stat cpu0 busy/total $(echo "$c0 $d0" | awk '{ print $3 - $1 "/" $4 - $2 }'), cpu1 $(echo "$c1 $d1" | awk '{ print $3 - $1 "/" $4 - $2 }')"
    echo "-- gateway: rsmev_exchanges_total relayed $relayed0 -> $relayed1 (+$((relayed1 - relayed0))), rsmev_in_flight after the run: $in_flight"
    echo
  } > "$run/wrk-$label.txt"
  local rps req p50 p99 non2xx sockerr
  rps=$(echo "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
  req=$(echo "$out" | awk '/ requests in / { print $1 }')
  p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }'); non2xx=${non2xx:-0}
  sockerr=$(echo "$out" | awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }'); sockerr=${sockerr:-0}
  if [ "$non2xx" != 0 ] || [ "$sockerr" != 0 ]; then
    echo "run $label FAILED: $non2xx non-2xx answers, $sockerr socket errors (see $run/wrk-$label.txt)" >&2
    failed=1
  fi
  local us_relay us_prov busy0 busy1
  us_relay=$(awk -v t=$((r1 - r0)) -v hz="$hz" -v n="$req" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  us_prov=$(awk -v t=$((p1 - p0)) -v hz="$hz" -v n="$req" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  busy0=$(echo "$c0 $d0" | awk '{ printf "%.0f%%", 100 * ($3 - $1) / ($4 - $2) }')
  busy1=$(echo "$c1 $d1" | awk '{ printf "%.0f%%", 100 * ($3 - $1) / ($4 - $2) }')
  # Busy time of both cores not accounted for by the relay, the provider and wrk, in % of one
  # core: kernel work outside process context plus anything else running on the machine.
  local other
  other=$(echo "$c0 $d0 $c1 $d1" | awk -v r=$((r1 - r0)) -v p=$((p1 - p0)) -v w="$wrk_cpu" -v hz="$hz" '{
    busy = ($3 - $1) + ($7 - $5); wall = ($4 - $2) / 1; o = (busy - r - p - w * hz) / wall; printf "%.0f%%", 100 * (o < 0 ? 0 : o) }')
  if [ "${other%\%}" -gt 10 ]; then
    echo "warning: run $label: $other of a core busy outside the test (another job on the machine?)" >&2
  fi
  rows+=("$label|$relay|$alg|$(stat -c %s "$body")|$rps|$req|$p50|$p99|$busy0|$busy1|$us_relay|$us_prov|$non2xx|$((relayed1 - relayed0))|$other")
  echo "$label $relay $alg: $rps req/s, p50 $p50 ms, p99 $p99 ms, core0 $busy0, core1 $busy1" >&2
}

for n in $(seq "$rounds"); do
  measure "a$n" nginx rsa
  measure "b$n" rsmev rsa
  measure "c$n" rsmev gost
  measure "d$n" nginx gost
done

refused_after=$(metric 'outcome="refused"')
curl -fsS "http://127.0.0.1:$admin_port/metrics" > "$run/metrics.txt"
for n in $(seq "$rounds"); do for x in a b c d; do cat "$run/wrk-$x$n.txt"; rm -f "$run/wrk-$x$n.txt"; done; done > "$run/raw.txt"
sed 's/\x1b\[[0-9;]*m//g' "$work/gateway.log" > "$work/gateway.txt"   # it colours even a file
{
  echo "== gateway log: first lines, and lines by kind over the whole sitting (warm-up included)"
  head -3 "$work/gateway.txt"
  echo "relayed lines: $(grep -c ' relayed ' "$work/gateway.txt" || true)"
  echo "refused lines: $(grep -c ' refused ' "$work/gateway.txt" || true) (one is the tampered-request check)"
  echo "WARN/ERROR lines: $(grep -cE ' (WARN|ERROR) ' "$work/gateway.txt" || true); those other than the check's refusal:"
  grep -E ' (WARN|ERROR) ' "$work/gateway.txt" | grep -v 'RSMEV-DSIG-DIGEST-MISMATCH' | head -20 || true
  echo "== provider log"; sed 's/\x1b\[[0-9;]*m//g' "$work/provider.log" | head -5
  echo "== nginx error log"; cat "$work/nginx/error.log" 2>/dev/null || true
} > "$run/logs.txt"

field() { echo "$1" | cut -d'|' -f"$2"; }
rps_of() { local r; for r in "${rows[@]}"; do [ "$(field "$r" 1)" = "$1" ] && field "$r" 5; done; }
us_of() { local r; for r in "${rows[@]}"; do [ "$(field "$r" 1)" = "$1" ] && field "$r" 11; done; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
{
  echo "| run | relay | signed request | requests/s | p50 ms | p99 ms | core 0 busy (relay) | core 1 busy (provider + wrk) | relay CPU µs/request | provider CPU µs/request | CPU outside the test |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do
    alg=$(field "$r" 3); [ "$alg" = rsa ] && alg="RSA-2048" || alg="GOST 2012-256"
    relay=$(field "$r" 2); [ "$relay" = rsmev ] && relay="rsmev (verifies)" || relay="NGINX (bare relay)"
    echo "| $(field "$r" 1) | $relay | $alg, $(field "$r" 4) B | $(field "$r" 5) | $(field "$r" 7) | $(field "$r" 8) | $(field "$r" 9) | $(field "$r" 10) | $(field "$r" 11) | $(field "$r" 12) | $(field "$r" 15) |"
  done
  echo
  for n in $(seq "$rounds"); do
    echo "Round $n: rsmev / NGINX throughput RSA $(ratio "$(rps_of "b$n")" "$(rps_of "a$n")") (b/a), GOST $(ratio "$(rps_of "c$n")" "$(rps_of "d$n")") (c/d), target ≥ 50%;" \
      "NGINX / rsmev relay CPU per request RSA $(ratio "$(us_of "a$n")" "$(us_of "b$n")"), GOST $(ratio "$(us_of "d$n")" "$(us_of "c$n")")."
  done
  echo
  echo "Refused by the gateway during the load runs: $((refused_after - refused_before)). Non-2xx answers seen by wrk: $(for r in "${rows[@]}"; do field "$r" 13; done | awk '{ s += $1 } END { print s + 0 }')."
  echo "rsmev_in_flight after the last run (nothing in flight by then): $(gauge rsmev_in_flight)."
  echo
  grep -E '^rsmev_(exchanges_total|upstream_requests_total|in_flight)' "$run/metrics.txt" | sed 's/^/    /'
} > "$run/summary.md"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "command: benches/load/run-load.sh $secs $rounds"
  echo "tree: $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown); uncommitted in crates/, Cargo.*: $(git -C "$top" status --short -- crates Cargo.toml Cargo.lock 2>/dev/null | awk '{ print $2 }' | paste -sd' ' - | grep . || echo none)"
  echo "rustc: $(rustc -V)"
  echo "nginx: $("$nginx_bin" -v 2>&1) ($(dpkg-query -W -f='${Package} ${Version}' nginx-light 2>/dev/null || dpkg-query -W -f='${Package} ${Version}' nginx 2>/dev/null || echo '?'))"
  echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; kernel $(uname -r)"
  echo "pinning: core 0 = the relay under test (rsmev serve: 1 tokio worker; nginx: master + 1 worker), core 1 = rsmev demo-provider (1 tokio worker) + wrk -t1 -c$conns"
  echo "runs: ${secs} s each, after ${warm} s warm-ups of each relay with each body; $rounds round(s) of a) NGINX RSA, b) rsmev RSA, c) rsmev GOST, d) NGINX GOST"
  echo "load before the runs: $quiet"
  echo "requests: unsigned.xml ($(stat -c %s "$work/unsigned.xml") B) signed by certs-test/participant-rsa (request-rsa.xml, $(stat -c %s "$work/request-rsa.xml") B) and participant-gost256-tca (request-gost.xml, $(stat -c %s "$work/request-gost.xml") B)"
  echo "provider: rsmev demo-provider, certs-test/participant-gost256 (GOST 2012-256 CryptoPro-A), signs every answer (~2.6 KB)"
  echo "gateway: rsmev.toml + registry.toml here (paths as on the machine that ran it); default limits; RSMEV_LOG unset (info: one log line per exchange, to a file)"
  echo "files: raw.txt (wrk output, CPU ticks, metrics per run), summary.md, metrics.txt (after the runs), logs.txt, tampered-refusal.xml (the fault for a tampered request)"
} > "$run/README.txt"

cat "$run/README.txt"; echo; cat "$run/summary.md"
if [ "$failed" != 0 ] || [ "$((refused_after - refused_before))" != 0 ]; then
  echo "FAILED: refusals or non-2xx answers under load (see $run)" >&2
  exit 1
fi
