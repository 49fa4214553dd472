#!/usr/bin/env bash
# Installs what the host needs on a fresh Debian/Ubuntu machine (when root), or prints
# the exact command to run. Swift 6.1+ must already be on PATH.
set -euo pipefail

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc)
command -v c++ >/dev/null 2>&1 || need+=(g++)
[ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
[ -e /usr/include/secp256k1_recovery.h ] || need+=(libsecp256k1-dev)
[ -e /usr/include/xxhash.h ] || need+=(libxxhash-dev)
[ -e /usr/include/hiredis/hiredis.h ] || need+=(libhiredis-dev)

if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${need[*]}" >&2
    echo "setup: run: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift is not on PATH; install Swift 6.1 or newer (https://www.swift.org/install/)" >&2
  exit 1
fi
