#!/usr/bin/env bash
# The main job: build in release mode and run the example trigger (C) and strategy
# (Swift) on the simulated feed, paper mode, SQLite under ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release
exec .build/release/host run --config strategies/demo.yaml "$@"
