#!/usr/bin/env bash
# The dashboard's targets, measured on a release build (scripts/dashboard/measure.py says how):
# first paint with 200 symbols, the host's CPU for pushed updates, the browser's memory.
#   scripts/dashboard/measure.sh [--minutes 10] [--window 30]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
scripts/dashboard/install-browser.sh
swift build -c release
python=/usr/bin/python3; [ -x "$python" ] || python=python3
exec "$python" scripts/dashboard/measure.py --host "$PWD/.build/release/host" "$@"
