#!/usr/bin/env bash
# The same backtest, run alone and under load, must persist the same decisions.
#
#   scripts/determinism.sh [DATA_DIR] [CONFIG] [RUNS]
#
# Runs `host backtest` RUNS times (default 4; every other run with both cores kept busy by
# `yes`), then digests orders, order_events, signals, smart_candles and iceberg_levels of every
# run (all columns but session_id; `-` for a table the run does not have) and compares them. Exit 0 when every run is identical.
# Needs the sqlite3 command (Debian: sqlite3). DATA_DIR defaults to a fresh dataset of ../shared/bench/gen_tardis.py in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
work=$(mktemp -d /tmp/tsh-determinism.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
data=${1:-}
config=${2:-strategies/screener_backtest.yaml}
runs=${3:-4}
if [[ -z "$data" ]]; then
    data="$work/data"
    python3 ../shared/bench/gen_tardis.py --out "$data" >/dev/null
fi
swift build -c release >/dev/null
host=.build/release/host
for i in $(seq 1 "$runs"); do
    loaders=()
    if (( i % 2 == 0 )); then
        for _ in 1 2; do yes >/dev/null & loaders+=($!); done
    fi
    "$host" backtest --data "$data" --config "$config" --data-dir "$work/run$i" --json --quiet >"$work/run$i.json"
    for pid in "${loaders[@]}"; do kill "$pid"; done
    for table in orders order_events signals smart_candles iceberg_levels; do
        columns=$(sqlite3 "$work/run$i/host.sqlite" "SELECT group_concat(name, ',') FROM pragma_table_info('$table') WHERE name != 'session_id'")
        if [[ -z "$columns" ]]; then printf '%s -\n' "$table"; continue; fi
        printf '%s %s\n' "$table" "$(sqlite3 "$work/run$i/host.sqlite" "SELECT $columns FROM $table" | md5sum | cut -c1-12)"
    done >"$work/digest$i"
    echo "run $i$( (( i % 2 == 0 )) && echo ' (under load)'): $(tr '\n' ' ' <"$work/digest$i")"
done
for i in $(seq 2 "$runs"); do
    if ! cmp -s "$work/digest1" "$work/digest$i"; then
        echo "NOT DETERMINISTIC: run $i differs from run 1" >&2
        exit 1
    fi
done
echo "identical: $runs runs"
