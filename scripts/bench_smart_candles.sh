#!/usr/bin/env bash
# Start-to-exit timings of issue 13's smart-candle targets, release build, best and median of 5:
#   1. `host candles materialize` of the shared generator's day (3 symbols, 1m and 1h candles,
#      iceberg.so + orderflow.so, strategies/smart_candles.yaml), target < 2 s;
#   2. the same plugins as a backtest over the generator's L2 + trades only, target >= 5 M rows/s.
# Usage: scripts/bench_smart_candles.sh [TARDIS_DIR]   (generated with ../shared/bench/gen_tardis.py when absent)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-${TMPDIR:-/tmp}/tsh-bench-tardis}"
if [ ! -d "$data" ]; then
    python3 ../shared/bench/gen_tardis.py --out "$data"
fi
swift build -c release >/dev/null 2>&1
host=.build/release/host
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prints "best X s, median Y s" over 5 runs of the command (a fresh data directory each).
measure() {
    local times=()
    for i in 1 2 3 4 5; do
        rm -rf "$work/data"
        local start end
        start=$(date +%s.%N)
        "$@" --data-dir "$work/data" --quiet --json >"$work/out.json"
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "best %.3f s, median %.3f s\n", a[1], a[3]}'
}

rows() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'])" "$work/out.json"; }

echo "materialize a day, 1m + 1h, 3 symbols:"
measure "$host" candles materialize --data "$data" --config strategies/smart_candles.yaml
echo "  rows: $(rows)"
echo "iceberg + orderflow backtest over L2 + trades:"
measure "$host" backtest --data "$data" --config strategies/smart_candles.yaml --data-types incremental_book_L2 trades
echo "  rows: $(rows)"
echo "the host alone on the same rows (one quote/trade plugin, no book consumer):"
cat >"$work/none.yaml" <<'YAML'
version: 1
instances:
  - {id: ema, plugin: ema_bench.so, kind: ema, symbols: [BTCUSDT], params: {order_every: 0}}
YAML
measure "$host" backtest --data "$data" --config "$work/none.yaml" --data-types incremental_book_L2 trades
