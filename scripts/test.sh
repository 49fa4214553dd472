#!/usr/bin/env bash
# The test suite: builds everything (plugins included: tests dlopen them), starts the real
# servers the integration tests use (scripts/test-services.sh: PostgreSQL on loopback in a
# temporary directory), runs the suite and stops them. The dashboard's browser test needs
# Debian's chromium, chromium-driver and python3-selenium (installed here when root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/dashboard/install-browser.sh   # headless Chromium + Selenium for the dashboard's browser test
source scripts/test-services.sh
trap stop_test_services EXIT
start_test_services
swift build --build-tests
swift test --skip-build --parallel
