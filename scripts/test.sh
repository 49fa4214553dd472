#!/usr/bin/env bash
# The test suite: builds everything (plugins included: tests dlopen them) and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build --parallel
