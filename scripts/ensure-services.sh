#!/usr/bin/env bash
# Start the local PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) when they are installed
# but stopped. Used by `npm test` (the root "pretest" script) and by .ci/run. Always exits 0: a
# service that stays unreachable is reported on stderr, and the suites decide to skip or fail.
set -euo pipefail

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && return; sleep 1; done
  fi
  echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return; fi
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no || true
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return; sleep 1; done
  fi
  echo "Redis is not reachable on 127.0.0.1:6379" >&2
}

ensure_postgres
ensure_redis
exit 0
