#!/usr/bin/env bash
# The collector's benchmarks (issue 14), start to exit, on a release build with real PostgreSQL
# and Redis servers on loopback (started here by scripts/test-services.sh, stopped after):
#   1. stream: 200 symbols × 3 streams (book ticker, trades, depth) from the fake Binance into
#      PostgreSQL for --seconds; the end-to-end lag of every row (store acknowledgement − exchange time)
#   2. the Redis ticker cache: 1,000,000 pipelined updates (HSET of 8 fields + EXPIRE), 5 runs
#   3. COPY ingest: 1,000,000 trades into PostgreSQL, 5 runs
#   4. backfill: 90 days × 5 timeframes (1m 5m 15m 1h 4h) × 50 symbols from the fake Binance at
#      Binance's request-weight limit (6,000 a minute), killed once after 60 s and resumed
# Usage: scripts/bench_collector.sh [stream-seconds (default 60)] [parts: stream redis copy backfill (default: all)]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
parts="${*:-stream redis copy backfill}"
want() { [[ " $parts " == *" $1 "* ]]; }

swift build -c release >/dev/null
host=.build/release/host
# shellcheck source=scripts/test-services.sh
source scripts/test-services.sh
work="$(mktemp -d "${TMPDIR:-/tmp}/tsh-bench-collector.XXXXXX")"
fake_pid=""
cleanup() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
  stop_test_services
  rm -rf "$work"
}
trap cleanup EXIT
start_test_services
[ -n "${TSH_TEST_POSTGRES_URL:-}" ] && [ -n "${TSH_TEST_REDIS_URL:-}" ] || { echo "bench: PostgreSQL and Redis are needed" >&2; exit 1; }
admin="$TSH_TEST_POSTGRES_URL"
schema() { psql_url="$admin"; "$TSH_TEST_PG_BIN/psql" -q "$psql_url" -c "CREATE SCHEMA $1" >/dev/null; echo "$admin?schema=$1"; }

fake() {  # fake Binance with $1 symbols; sets fake_pid, REST and WS
  rm -f "$work/feed.yaml"
  "$host" fake-venue binance --symbols "$1" --feed-file "$work/feed.yaml" >"$work/fake.log" 2>&1 &
  fake_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/feed.yaml" ] && break; sleep 0.1; done
  REST="$(awk '/rest_url/ {print $2}' "$work/feed.yaml")"
  WS="$(awk '/ws_url/ {print $2}' "$work/feed.yaml")"
}

if want stream; then
echo "== 1. stream: 200 symbols × 3 streams into PostgreSQL for ${seconds} s"
fake 200
store="$(schema bench_stream)"
/usr/bin/time -f "   start to exit %e s (user %U s, sys %S s)" "$host" collect stream --rest-url "$REST" --ws-url "$WS" --top 200 --tiers rest:full \
  --store "$store" --seconds "$seconds" --data-dir "$work/stream" --json --quiet >"$work/stream.json"
python3 - "$work/stream.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["store"]
print(f"   rows {s['written']:,} written of {s['received']:,}; lag p50 {s['lag_p50_ms']:.0f} ms, p99 {s['lag_p99_ms']:.0f} ms, max {s['lag_max_ms']:.0f} ms")
EOF
kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fake_pid=""
fi

if want redis; then
echo "== 2. Redis ticker cache: 1,000,000 pipelined updates, 5 runs"
for _ in 1 2 3 4 5; do "$host" collect bench --redis "$TSH_TEST_REDIS_URL" --tickers 1000000 | sed 's/^/   /'; done
fi

if want copy; then
echo "== 3. COPY ingest: 1,000,000 trades into PostgreSQL, 5 runs"
for i in 1 2 3 4 5; do
  store="$(schema bench_copy_$i)"
  /usr/bin/time -f "   start to exit %e s (host CPU user %U s, sys %S s) = 1,000,000 rows" "$host" collect bench --rows 1000000 --store "$store" 2>&1 >/dev/null | grep -v INFO
done
fi

if want backfill; then
  echo "== 4. backfill: 90 days × 5 timeframes × 50 symbols at 6,000 weight a minute, killed after 60 s and resumed"
  fake 50
  store="$(schema bench_backfill)"
  args=(collect backfill --rest-url "$REST" --top 50 --timeframe 1m --timeframe 5m --timeframe 15m --timeframe 1h --timeframe 4h --days 90 --store "$store" --quiet)
  started=$(date +%s.%N)
  "$host" "${args[@]}" >"$work/backfill1.txt" 2>&1 &
  pid=$!
  sleep 60
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "   killed after 60 s; resuming"
  "$host" "${args[@]}" | sed 's/^/   /'
  ended=$(date +%s.%N)
  echo "   both runs: $(python3 -c "print(f'{$ended - $started:.0f}')") s"
  "$host" collect status --store "$store" --json >"$work/status.json"
  python3 - "$work/status.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))["candles"]
count = sum(x["count"] for x in c)
gaps = sum(x["gaps"] for x in c)
print(f"   stored: {len(c)} series, {count:,} candles, {gaps} gaps")
EOF2
fi
