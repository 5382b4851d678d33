#!/usr/bin/env bash
# Measures the transaction page of a kontor binary and of the floor (bench.NewFloor)
# on the same database with wrk, 50 connections, one after the other:
#
#   e2e/bench/wrk.sh BINARY DATABASE_URL [SECONDS] [ROUNDS]
#
# DATABASE_URL is sqlite:/path/kontor.db (a fresh file) or postgres://… (a fresh,
# empty database). The binary runs as in production (KONTOR_ENV=production, access
# log at info level into a file, rate limits on, with a read budget no single run
# exhausts). A user registers through the API, `benchdb seed` writes 20,000
# transactions (KONTOR_BENCH_TRANSACTIONS) over 50 accounts for them and runs
# ANALYZE, and wrk requests the first page (limit 50) of the hottest account
# (8,000 entries). ROUNDS (default 2) alternates Kontor and the floor.
set -euo pipefail
bin=$1 db=$2 secs=${3:-20} rounds=${4:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d); echo "work folder: $work" >&2
port=${KONTOR_BENCH_PORT:-18080} floor_port=${KONTOR_BENCH_FLOOR_PORT:-18081}
export KONTOR_ENV=production KONTOR_DATA_DIR=$work KONTOR_DATABASE_URL=$db KONTOR_ADDR=127.0.0.1:$port \
  KONTOR_BASE_URL=http://127.0.0.1:$port KONTOR_SECRET_KEY=bench-secret-key-0123456789abcdef0123456789 \
  KONTOR_LOG_LEVEL=${KONTOR_BENCH_LOG_LEVEL:-info} KONTOR_SANDBOX=false \
  KONTOR_RATE_READ_BURST=100000000 KONTOR_RATE_READ_PER_MINUTE=100000000
go build -o "$work/benchdb" "$root/e2e/bench/cmd/benchdb"
"$bin" >"$work/kontor.log" 2>&1 & kpid=$!
fpid=
trap 'kill $kpid $fpid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.05; done
email="bench-$(date +%s%N)@example.test"
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"correct horse battery staple\",\"name\":\"Bench Mark\"}" \
  "http://127.0.0.1:$port/api/v1/auth/register"
hot=$("$work/benchdb" seed -database-url "$db" -email "$email" -transactions "${KONTOR_BENCH_TRANSACTIONS:-20000}")
token=$(curl -sf -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"correct horse battery staple\"}" \
  "http://127.0.0.1:$port/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
"$work/benchdb" floor -database-url "$db" -secret-key "$KONTOR_SECRET_KEY" -addr "127.0.0.1:$floor_port" ${FLOOR_CPUPROFILE:+-cpuprofile "$FLOOR_CPUPROFILE"} & fpid=$!
until curl -s -o /dev/null "http://127.0.0.1:$floor_port/"; do sleep 0.05; done
path="/api/v1/accounts/$hot/transactions?limit=50"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" >"$work/kontor.json"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$floor_port$path" >"$work/floor.json"
if cmp -s "$work/kontor.json" "$work/floor.json"; then echo "same JSON from Kontor and the floor ($(wc -c <"$work/floor.json") bytes)"
else echo "WARNING: the floor's JSON differs from Kontor's:"; diff <(tr , '\n' <"$work/kontor.json") <(tr , '\n' <"$work/floor.json") | head; fi
for server in kontor:$port floor:$floor_port; do # warm both up
  wrk -t2 -c50 -d3s -H "Authorization: Bearer $token" "http://127.0.0.1:${server#*:}$path" >/dev/null
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system, in 1/100 s
for round in $(seq "$rounds"); do
  for server in kontor:$port floor:$floor_port; do
    pid=$kpid; [ "${server%%:*}" = floor ] && pid=$fpid
    before=$(cpu "$pid")
    out=$(wrk -t2 -c50 -d"${secs}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:${server#*:}$path")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    errs=$(echo "$out" | awk '/Non-2xx/ {print $4}')
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    cpums=$(awk -v a="$before" -v b="$(cpu "$pid")" -v n="$reqs" 'BEGIN {printf "%.3f", (b - a) * 10 / n}')
    echo "round $round ${server%%:*}: $rps req/s, p99 $p99, non-2xx ${errs:-0}, server CPU ${cpums} ms/request, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
