#!/usr/bin/env bash
# The main job: build in release mode, run the Polymarket last-second strategy
# (last_second.so) on SIMULATED up/down windows in paper mode with SQLite under ./data,
# then print the trading report (and write ./data/report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
.build/release/host --strategy last_second.so "$@"
.build/release/host report --data-dir ./data
