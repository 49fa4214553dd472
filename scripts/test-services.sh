#!/usr/bin/env bash
# Real servers for the integration tests, on loopback in a temporary directory: PostgreSQL
# (TSH_TEST_POSTGRES_URL) and Redis (TSH_TEST_REDIS_URL; the binary in TSH_TEST_REDIS_SERVER for
# tests that kill and restart a server of their own). Sourced by scripts/test.sh, which stops them on exit
# (stop_test_services). Installs the server with apt-get when root and it is missing; without
# one, its tests fail under CI=true and are skipped with a printed reason elsewhere.

TSH_SERVICES_DIR=""
TSH_PG_BIN=""

_as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

_start_redis() {
  local server
  server="$(command -v redis-server || true)"
  if [ -z "$server" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test services: installing redis-server" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # The package starts a system-wide server on 6379 where an init system runs; ours has its own port.
    server="$(command -v redis-server || true)"
  fi
  if [ -z "$server" ]; then
    echo "test services: no Redis server (apt-get install redis-server): its tests are skipped" >&2
    return 0
  fi
  local port
  port="$(_free_port)"
  mkdir -p "$TSH_SERVICES_DIR/redis"
  "$server" --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$TSH_SERVICES_DIR/redis" \
    --daemonize yes --pidfile "$TSH_SERVICES_DIR/redis/redis.pid" --logfile "$TSH_SERVICES_DIR/redis/redis.log" >/dev/null || {
    echo "test services: Redis did not start" >&2; return 1; }
  for _ in $(seq 1 50); do
    [ -s "$TSH_SERVICES_DIR/redis/redis.pid" ] && redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export TSH_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
  export TSH_TEST_REDIS_SERVER="$server"
  echo "test services: Redis $("$server" --version | awk '{print $3}' | sed 's/v=//') at $TSH_TEST_REDIS_URL" >&2
}

start_test_services() {
  TSH_PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$TSH_PG_BIN" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test services: installing postgresql" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    TSH_PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  fi
  TSH_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tsh-test-services.XXXXXX")"
  chmod 755 "$TSH_SERVICES_DIR"
  _start_redis || return 1
  if [ -z "$TSH_PG_BIN" ]; then
    echo "test services: no PostgreSQL server (apt-get install postgresql): its tests are skipped" >&2
    return 0
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$TSH_SERVICES_DIR"
  local port
  port="$(_free_port)"
  _as_postgres "$TSH_PG_BIN/initdb" -D "$TSH_SERVICES_DIR/pg" -U tsh -A trust >"$TSH_SERVICES_DIR/initdb.log" 2>&1 || {
    cat "$TSH_SERVICES_DIR/initdb.log" >&2; echo "test services: initdb failed" >&2; return 1; }
  _as_postgres "$TSH_PG_BIN/pg_ctl" -D "$TSH_SERVICES_DIR/pg" -l "$TSH_SERVICES_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $TSH_SERVICES_DIR -c fsync=off -c max_connections=200" start >/dev/null || {
    cat "$TSH_SERVICES_DIR/postgres.log" >&2; echo "test services: PostgreSQL did not start" >&2; return 1; }
  "$TSH_PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U tsh tsh_test
  export TSH_TEST_POSTGRES_URL="postgres://tsh@127.0.0.1:$port/tsh_test"
  # For tests that start (and stop) a server of their own: the binaries.
  export TSH_TEST_PG_BIN="$TSH_PG_BIN"
  echo "test services: PostgreSQL $("$TSH_PG_BIN/postgres" --version | awk '{print $3}') at $TSH_TEST_POSTGRES_URL" >&2
}

stop_test_services() {
  if [ -n "$TSH_SERVICES_DIR" ] && [ -s "$TSH_SERVICES_DIR/redis/redis.pid" ]; then
    kill "$(cat "$TSH_SERVICES_DIR/redis/redis.pid")" 2>/dev/null || true
  fi
  if [ -n "$TSH_SERVICES_DIR" ] && [ -d "$TSH_SERVICES_DIR/pg" ]; then
    _as_postgres "$TSH_PG_BIN/pg_ctl" -D "$TSH_SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$TSH_SERVICES_DIR" ] && rm -rf "$TSH_SERVICES_DIR"
  TSH_SERVICES_DIR=""
}
