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
# The suites whose tests hold a thread for a minute or more (a headless browser against a running
# host, an out-of-tree Swift package build, plugins that crash or hang in a child process) run on
# their own after the rest: on a 2-core machine they would otherwise occupy Swift concurrency's
# pool and starve the timing-sensitive tests beside them.
long_suites="DashboardBrowserTests|PluginAuthoringTests|PluginCheckTests"
swift test --skip-build --parallel --skip "$long_suites"
swift test --skip-build --parallel --filter "$long_suites"
